"""Policy configuration: environment, exemptions, and the JSON schemas the engine validates.

Everything here is what ``pulumi preview --policy-pack-config FILE`` can set per policy::

    {
      "all": "mandatory",
      "alb-waf-attached": {"requireWaf": true},
      "rds-deletion-protection": {"environment": "prod"},
      "security-group-public-ingress": {
        "exemptions": [{"resource": "legacy-bastion-sg*", "reason": "SSH for the 2026 migration, ticket OPS-12"}]
      }
    }
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENVIRONMENTS = ("dev", "staging", "prod")
DEFAULT_ENVIRONMENT = "prod"  # when nothing says otherwise, hold a stack to the strictest rules

EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this policy does not apply to: a name (or URN) glob pattern and why.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "minLength": 1},
            "reason": {"type": "string", "minLength": 10},
        },
        "required": ["resource", "reason"],
        "additionalProperties": False,
    },
}

ENVIRONMENT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": list(ENVIRONMENTS),
    "description": "The stack's environment; defaults to the stack config accunode:environment, else prod.",
}


@dataclass(frozen=True)
class Exemption:
    resource: str
    reason: str

    def matches(self, name: str, urn: str) -> bool:
        return fnmatch.fnmatchcase(name, self.resource) or fnmatch.fnmatchcase(urn, self.resource)


def exemptions(config: Mapping[str, Any] | None) -> list[Exemption]:
    """The well-formed exemptions in a policy's config (the engine has validated the schema already)."""
    raw = (config or {}).get("exemptions")
    found = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("resource"), str) and isinstance(item.get("reason"), str):
            found.append(Exemption(item["resource"], item["reason"]))
    return found


def exemption_for(config: Mapping[str, Any] | None, name: str, urn: str) -> Exemption | None:
    return next((e for e in exemptions(config) if e.matches(name, urn)), None)


def _effective(key: str) -> str | None:
    """The stack's effective setting (tier presets applied) when the project's settings module is
    importable and the config is valid: a WAF implied by the enterprise preset counts."""
    try:
        from accunode.settings import runtime_settings

        settings = runtime_settings()
    except Exception:  # package absent (pack used on its own) or invalid config: fall back to raw config
        return None
    return {"environment": settings.environment, "waf": "true" if settings.waf else "false"}.get(key)


def stack_config(key: str) -> str | None:
    """A value of the stack's ``accunode`` config (the engine passes it to packs in PULUMI_CONFIG),
    with the tier presets applied where the project's settings can be read."""
    effective = _effective(key)
    if effective is not None:
        return effective
    try:
        import pulumi

        value = pulumi.Config("accunode").get(key)
    except Exception:  # no runtime configured, malformed PULUMI_CONFIG, ...: behave as if unset
        return None
    return value if isinstance(value, str) else None


def environment(config: Mapping[str, Any] | None) -> str:
    """The environment a rule checks for: policy config, else stack config, else prod."""
    for value in ((config or {}).get("environment"), stack_config("environment")):
        if isinstance(value, str) and value in ENVIRONMENTS:
            return value
    return DEFAULT_ENVIRONMENT


def flag(config: Mapping[str, Any] | None, key: str, stack_key: str | None = None, default: bool = False) -> bool:
    """A boolean setting: policy config, else the stack config ``accunode:<stack_key>``, else ``default``."""
    value = (config or {}).get(key)
    if isinstance(value, bool):
        return value
    stack_value = stack_config(stack_key) if stack_key else None
    if stack_value is not None and stack_value.strip().lower() in {"true", "false"}:
        return stack_value.strip().lower() == "true"
    return default


@dataclass(frozen=True)
class AppliedExemption:
    policy: str
    urn: str
    name: str
    type: str
    pattern: str
    reason: str


class ExemptionLog:
    """Exemptions applied during this pack process, reported by the advisory ``security-exemptions`` policy.

    The engine analyzes every resource (Analyze, in parallel threads) before it analyzes the stack
    (AnalyzeStack), all in one pack process, so the stack policy sees every exemption of the run;
    it empties the log, so a pack process that serves a second run starts clean.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], AppliedExemption] = {}

    def record(self, entry: AppliedExemption) -> None:
        with self._lock:
            self._entries[(entry.policy, entry.urn)] = entry

    def take(self) -> list[AppliedExemption]:
        """The entries, emptying the log: the stack analysis ends a run, the next run starts afresh."""
        with self._lock:
            entries = sorted(self._entries.values(), key=lambda e: (e.urn, e.policy))
            self._entries.clear()
            return entries


EXEMPTION_LOG = ExemptionLog()
