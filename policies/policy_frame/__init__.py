"""The policy frame both AccuNode packs stand on (``policies/security``, ``policies/cost``).

One unknown representation (:data:`UNKNOWN`, converted once from the engine's sentinels), one
resource graph with link lookups, one exemption mechanism, one stack-settings resolution, one rule
adapter to CrossGuard policies, and declarative one-property checks. A pack's ``__main__.py`` puts
``policies/`` on ``sys.path`` (the engine runs a pack with its own directory as cwd), so the packs
import it as ``policy_frame``.
"""

from .checks import Expect, Forbid
from .exemptions import EXEMPTION_LOG, Exemption, exemption_for, exemptions
from .graph import Graph, Res
from .rule import (
    ADVISORY,
    ALL_TYPES,
    CRITICAL,
    HIGH,
    LOW,
    MANDATORY,
    MEDIUM,
    Context,
    ResourceCheck,
    Rule,
    StackCheck,
    exemptions_report,
)
from .stack import DEFAULT_ENVIRONMENT, ENVIRONMENTS, NAMESPACE
from .values import (
    UNKNOWN,
    UNKNOWN_STRING,
    as_bool,
    as_list,
    as_number,
    as_str,
    contains_unknown,
    dicts,
    get,
    is_unknown,
    known_strings,
    number,
    parse_json,
    text,
    to_wire,
    unwrap,
)

__all__ = [
    "ADVISORY", "ALL_TYPES", "CRITICAL", "DEFAULT_ENVIRONMENT", "ENVIRONMENTS", "EXEMPTION_LOG", "HIGH", "LOW",
    "MANDATORY", "MEDIUM", "NAMESPACE", "UNKNOWN", "UNKNOWN_STRING", "Context", "Exemption", "Expect", "Forbid",
    "Graph", "Res", "ResourceCheck", "Rule", "StackCheck", "as_bool", "as_list", "as_number", "as_str",
    "contains_unknown", "dicts", "exemption_for", "exemptions", "exemptions_report", "get", "is_unknown",
    "known_strings", "number", "parse_json", "text", "to_wire", "unwrap",
]
