"""Resources as rules see them, and the stack's graph with its link lookups."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .values import UNKNOWN, as_list, get

# Properties whose known value other resources use to point at a resource.
IDENTITY_KEYS = ("id", "arn", "name", "bucket", "family", "identifier", "clusterIdentifier", "replicationGroupId",
                 "clusterId", "functionName")


@dataclass(eq=False)
class Res:
    """A resource: plain props (unknowns are ``UNKNOWN``) and property dependencies as URNs."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)
    parent: str = ""

    def get(self, *path: str | int) -> Any:
        return get(self.props, *path)

    @property
    def identities(self) -> set[str]:
        """Strings other resources may use to point at this one once values are known."""
        values = {self.urn}
        for key in IDENTITY_KEYS:
            value = self.props.get(key)
            if isinstance(value, str) and value:
                values.add(value)
        return values


class Graph:
    """The stack's resources with lookups by type, by URN and by link."""

    def __init__(self, resources: Iterable[Res]):
        self.resources = list(resources)
        self._by_urn = {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[Res]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str) -> Res | None:
        return self._by_urn.get(urn)

    def linked(self, res: Res, key: str, *types: str, value: Any = None) -> list[Res]:
        """Resources of ``types`` that ``res`` points at through input ``key``.

        First the engine's property dependencies (known even when ids are not, on a first preview),
        then, for values known as strings (``value``, default ``props[key]``; a string or a list of
        them), the resources whose id, ARN, name or other identity equals one of them (a stack whose
        resources already exist, read back from state).
        """
        found = [r for urn in res.deps.get(key, []) if (r := self.by_urn(urn)) is not None and r.type in types]
        if found:
            return found
        items = as_list(res.props.get(key) if value is None else value)
        wanted = {item for item in items if isinstance(item, str) and item} if items is not UNKNOWN else set()
        return [r for r in self.of_type(*types) if wanted & r.identities] if wanted else []

    def pointing_at(self, target: Res, key: str, *types: str) -> list[Res]:
        """The resources of ``types`` whose input ``key`` links to ``target``."""
        return [r for r in self.of_type(*types) if target in self.linked(r, key, target.type)]
