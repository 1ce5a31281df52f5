"""One exemption mechanism: ``exemptions: [{resource, reason}]`` in any policy's config, and the log
the pack's advisory report policy reads so that no exemption is silent."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class AppliedExemption:
    pack: str
    policy: str
    urn: str
    name: str
    type: str
    pattern: str
    reason: str


class ExemptionLog:
    """Exemptions applied during this pack process, reported by the pack's advisory report policy.

    The engine analyzes every resource (Analyze, in parallel threads) before it analyzes the stack
    (AnalyzeStack), all in one pack process, so the report (the pack's last stack policy) sees every
    exemption of the run; it empties the log, so a process that serves a second run starts clean.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], AppliedExemption] = {}

    def record(self, entry: AppliedExemption) -> None:
        with self._lock:
            self._entries[(entry.pack, entry.policy, entry.urn)] = entry

    def take(self, pack: str) -> list[AppliedExemption]:
        """The pack's entries, removing them: the stack analysis ends a run, the next starts afresh."""
        with self._lock:
            entries = sorted((e for e in self._entries.values() if e.pack == pack), key=lambda e: (e.urn, e.policy))
            for entry in entries:
                del self._entries[(entry.pack, entry.policy, entry.urn)]
            return entries


EXEMPTION_LOG = ExemptionLog()  # keyed by pack: tests serve both packs in one process
