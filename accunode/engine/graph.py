"""The resource graph of one program run, in the shape the Pulumi engine hands to policy packs.

Values are kept in the engine's wire form (what ``pulumi preview`` marshals into an
``AnalyzeRequest``): camelCase property names, unknown values as the engine's sentinel strings,
secrets as ``{SECRET_SIG_KEY: SECRET_SIG, "value": v}`` and resource references collapsed to ids.
Consumers that want plain values call :func:`plain` (or ``Resource.props``).

Pure Python, no Pulumi import: the cost model and the policy-pack driver read it without the SDK.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

# Unknown sentinels, one per type (pulumi/pulumi pkg/resource/plugin/rpc.go; pulumi_policy.proxy).
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
UNKNOWN_BOOL = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff"
UNKNOWN_ASSET = "030794c1-ac77-496b-92df-f27374a8bd58"
UNKNOWN_ARCHIVE = "e48ece36-62e2-4504-bad9-02848725956a"
UNKNOWNS = frozenset({UNKNOWN_STRING, UNKNOWN_NUMBER, UNKNOWN_BOOL, UNKNOWN_ARRAY, UNKNOWN_OBJECT,
                      UNKNOWN_ASSET, UNKNOWN_ARCHIVE})
# Special-object signatures (pulumi/runtime/rpc.py).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - a type tag, not a secret
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"

STACK_TYPE = "pulumi:pulumi:Stack"


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWNS


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def plain(value: Any) -> Any:
    """The value with secrets unwrapped (as pulumi_policy does for Analyze); unknowns stay sentinels."""
    if is_secret(value):
        return plain(value.get("value"))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


@dataclass
class Resource:
    """One registered resource: custom, component, provider or the Stack."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str = ""
    id: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    provider: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def props(self) -> dict[str, Any]:
        """Plain inputs (secrets unwrapped): what a resource policy's ``args.props`` holds."""
        return plain(self.inputs)

    @property
    def state(self) -> dict[str, Any]:
        """Plain outputs: what a stack policy's ``resource.props`` holds."""
        return plain(self.outputs)


@dataclass
class ResourceGraph:
    project: str
    stack: str
    organization: str = "organization"
    preview: bool = False
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def get(self, urn: str) -> Resource | None:
        return next((r for r in self.resources if r.urn == urn), None)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def find(self, type_: str, name: str | None = None) -> Resource:
        """The one resource of this type (and name); raises KeyError listing what exists."""
        matches = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(matches) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise KeyError(f"{len(matches)} resources of type {type_} named {name!r}; present: {names}")
        return matches[0]

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def descendants(self, urn: str) -> list[Resource]:
        found: list[Resource] = []
        for child in self.children(urn):
            found += [child, *self.descendants(child.urn)]
        return found

    @property
    def custom_resources(self) -> list[Resource]:
        """Cloud resources: custom resources that are not providers."""
        return [r for r in self.resources if r.custom and not r.type.startswith("pulumi:providers:")]

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(asdict(self), indent=indent, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> ResourceGraph:
        data = json.loads(text)
        data["resources"] = [Resource(**r) for r in data.get("resources", [])]
        return cls(**data)
