"""The shared policy frame (``policies/policy_frame``) with this pack's name on its rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import policy_frame
from policy_frame import (  # noqa: F401 - re-exported for the rule modules
    ADVISORY,
    ALL_TYPES,
    CRITICAL,
    HIGH,
    LOW,
    MANDATORY,
    MEDIUM,
    UNKNOWN,
    Context,
    Expect,
    Forbid,
    Graph,
    Res,
    as_bool,
    as_list,
    as_number,
    as_str,
    dicts,
    get,
    known_strings,
    parse_json,
    text,
)


@dataclass(frozen=True)
class Rule(policy_frame.Rule):
    """A security rule (tagged ``security``; internal errors name this pack's owners)."""

    pack: ClassVar[str] = "security"
    owner: ClassVar[str] = "policies/security"
