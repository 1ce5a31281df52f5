"""The shared policy frame (``policies/policy_frame``) with this pack's name on its rules.

Properties are plain values with every unknown as ``UNKNOWN`` (``is_unknown`` tells), so a rule
decides from what is known on a first preview instead of tripping the SDK's unknown-checking proxy.
The cost model reads the engine's wire form: :func:`to_wire` converts back before pricing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import policy_frame
from policy_frame import (  # noqa: F401 - re-exported for the rule modules
    ADVISORY,
    ALL_TYPES,
    HIGH,
    LOW,
    MANDATORY,
    MEDIUM,
    Context,
    Res,
    is_unknown,
    number,
    text,
    to_wire,
)
from policy_frame import Graph as Stack  # noqa: F401 - the cost rules' name for the stack's graph


@dataclass(frozen=True)
class Rule(policy_frame.Rule):
    """A cost rule (tagged ``cost``; internal errors name this pack's owners)."""

    pack: ClassVar[str] = "cost"
    owner: ClassVar[str] = "policies/cost"
