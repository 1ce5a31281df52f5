"""Building the engine's Analyzer requests from a resource graph, as ``MarshalProperties
(KeepUnknowns, KeepSecrets[, SkipInternalKeys])`` and ``analyzer_plugin.go`` build them.

The one place request building lives: the preview's pack driver and the tests that drive a pack
in-process both use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accunode.engine.graph import STACK_TYPE, Resource, ResourceGraph

LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
SEVERITIES = {0: "", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def urn_name(urn: str) -> str:
    """``URN.Name()``: everything after the third ``::``."""
    parts = urn.split("::", 3)
    return parts[3] if len(parts) == 4 else ""


def urn_type(urn: str) -> str:
    """``URN.Type()``: the last type of the qualified type chain."""
    parts = urn.split("::", 3)
    return parts[2].rsplit("$", 1)[-1] if len(parts) == 4 else ""


def default_root_stack_urn(stack: str, project: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"


def to_struct(props: Mapping[str, Any], *, skip_internal_keys: bool) -> Any:
    """A ``google.protobuf.Struct`` of wire-form properties (numbers become doubles).

    Unknown sentinels and secret objects are already in wire form in the graph and pass through;
    ``skip_internal_keys`` drops top-level ``__``-prefixed keys, as the engine does for Analyze.
    """
    from google.protobuf import struct_pb2

    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in props.items() if not (skip_internal_keys and k.startswith("__"))})
    return struct


def _options(resource: Resource, proto: Any) -> Any:
    opts = resource.options or {}
    timeouts = opts.get("customTimeouts") or {}
    dbr_defined = bool(opts.get("deleteBeforeReplaceDefined", False))
    return proto.AnalyzerResourceOptions(
        protect=bool(opts.get("protect", resource.protect)),
        ignoreChanges=list(opts.get("ignoreChanges") or []),
        deleteBeforeReplace=bool(opts.get("deleteBeforeReplace", False)) if dbr_defined else False,
        deleteBeforeReplaceDefined=dbr_defined,
        additionalSecretOutputs=list(opts.get("additionalSecretOutputs") or []),
        aliases=list(opts.get("aliases") or []),
        customTimeouts=proto.AnalyzerResourceOptions.CustomTimeouts(
            create=float(timeouts.get("create", 0)), update=float(timeouts.get("update", 0)),
            delete=float(timeouts.get("delete", 0)), read=float(timeouts.get("read", 0))),
        parent=resource.parent or "",
    )


def provider_urn(reference: str) -> str:
    """The URN part of a provider reference ``<urn>::<id>``."""
    return reference.rsplit("::", 1)[0] if reference else ""


class Requests:
    """Builds the engine's requests for one graph (each struct marshalled once, shared by all packs)."""

    def __init__(self, graph: ResourceGraph):
        from pulumi.runtime.proto import analyzer_pb2

        self.proto = analyzer_pb2
        self.by_urn = {r.urn: r for r in graph.resources}
        self._providers: dict[str, Any] = {}

    def provider(self, resource: Resource) -> Any:
        urn = provider_urn(resource.provider)
        provider = self.by_urn.get(urn)
        if provider is None:
            return None
        if urn not in self._providers:
            self._providers[urn] = self.proto.AnalyzerProviderResource(
                urn=urn, type=provider.type, name=urn_name(urn),
                properties=to_struct(provider.inputs, skip_internal_keys=True))
        return self._providers[urn]

    def analyze(self, resource: Resource, props: Mapping[str, Any], *, remediate: bool) -> Any:
        return self.proto.AnalyzeRequest(
            urn=resource.urn, type=resource.type, name=urn_name(resource.urn),
            properties=to_struct(props, skip_internal_keys=not remediate),
            options=_options(resource, self.proto), provider=self.provider(resource))

    def stack_resource(self, resource: Resource) -> Any:
        return self.proto.AnalyzerResource(
            urn=resource.urn, type=resource.type, name=urn_name(resource.urn),
            properties=to_struct(resource.outputs, skip_internal_keys=True),
            options=_options(resource, self.proto), provider=self.provider(resource),
            parent=resource.parent or "", dependencies=list(resource.dependencies),
            propertyDependencies={key: self.proto.AnalyzerPropertyDependencies(urns=list(urns))
                                  for key, urns in resource.property_dependencies.items() if urns})


    def analyze_stack(self, resources: Iterable[Resource]) -> Any:
        return self.proto.AnalyzeStackRequest(resources=[self.stack_resource(r) for r in resources])


def analyze_request(resource: Resource, graph: ResourceGraph | None = None, *, remediate: bool = False) -> Any:
    """The ``Analyze`` (or ``Remediate``) request the engine sends for ``resource`` (its provider looked up
    in ``graph``): for tests that drive a pack's servicer in-process with the production requests."""
    graph = graph or ResourceGraph(project="", stack="", resources=[resource])
    return Requests(graph).analyze(resource, resource.inputs, remediate=remediate)


def stack_request(graph: ResourceGraph) -> Any:
    """The ``AnalyzeStack`` request the engine sends for every resource of ``graph``."""
    return Requests(graph).analyze_stack(graph.resources)
