"""The recording monitor: a MockMonitor that records every registration in the engine's form
(see accunode/engine/capture.py's docstring for how each divergence is handled)."""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, struct_pb2

from accunode.engine.fakecloud import FakeCloud, _hex
from accunode.engine.graph import RESOURCE_SIG, SIG_KEY, STACK_TYPE, UNKNOWN_STRING, Resource, ResourceGraph


def _mocks_module():
    import pulumi.runtime

    return pulumi.runtime



_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "\u03bcs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                   "h": 3600.0}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([a-z\u00b5\u03bc]*)")


def parse_duration(value: str) -> float:
    """Go's ``time.ParseDuration`` in seconds, as the engine parses custom timeouts
    (``generateTimeoutInSeconds``): ``1h30m``, ``90s``, ``1.5h``, ``0``; a unit is required.
    Raises ValueError with the engine's message."""
    error = ValueError(f"unable to parse customTimeout Value {value}")
    text = value
    sign = 1.0
    if text[:1] in "+-" and text:
        sign, text = (-1.0 if text[0] == "-" else 1.0), text[1:]
    if text == "0":
        return 0.0
    if not text:
        raise error
    total, position = 0.0, 0
    while position < len(text):
        match = _DURATION_PART.match(text, position)
        number, unit = match.groups() if match else ("", "")
        if not number or number == "." or unit not in _DURATION_UNITS:
            raise error
        total += float(number) * _DURATION_UNITS[unit]
        position = match.end()  # type: ignore[union-attr]
    return sign * total


def _collapse_refs(value: Any) -> Any:
    """Resource references become the referenced id (or URN), as the engine marshals them."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == RESOURCE_SIG:
            return value.get("id") or value.get("urn", "")
        return {k: _collapse_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_collapse_refs(v) for v in value]
    return value


def _drop_internal(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if not k.startswith("__")}


def _to_struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(value))
    return struct


class RecordingMonitor:
    """A MockMonitor that records every registration in engine form (see the module docstring)."""

    def __new__(cls, *args: Any, **kwargs: Any):  # subclass lazily so importing this module stays cheap
        from pulumi.runtime.mocks import MockMonitor

        klass = type("RecordingMonitor", (_RecordingMixin, MockMonitor), {})
        return klass(*args, **kwargs)


class _RecordingMixin:
    def __init__(self, mocks: FakeCloud, graph: ResourceGraph, config: Mapping[str, str]):
        super().__init__(mocks)  # type: ignore[call-arg]
        self.graph = graph
        self.config = config
        self.lock = threading.Lock()
        self.by_urn: dict[str, Resource] = {}
        self.providers: dict[tuple[str, str], str] = {}
        self.errors: list[str] = []  # registrations the engine would refuse

    # URNs ----------------------------------------------------------------------------------
    def _urn(self, parent: str, type_: str, name: str) -> str:
        qualified = type_
        if parent and parent in self.by_urn and self.by_urn[parent].type != STACK_TYPE:
            qualified = parent.split("::")[2] + "$" + type_
        return f"urn:pulumi:{self.graph.stack}::{self.graph.project}::{qualified}::{name}"

    def _add(self, resource: Resource) -> None:
        if resource.urn in self.by_urn:  # the Stack is registered twice (set_mocks, run_in_stack)
            self.graph.resources.remove(self.by_urn[resource.urn])
        self.by_urn[resource.urn] = resource
        self.graph.resources.append(resource)

    def _default_provider(self, package: str, version: str) -> str:
        key = (package, version)
        if key not in self.providers:
            name = f"default_{version.replace('.', '_')}" if version else "default"
            type_ = f"pulumi:providers:{package}"
            urn = f"urn:pulumi:{self.graph.stack}::{self.graph.project}::{type_}::{name}"
            inputs = {k.split(":", 1)[1]: v for k, v in self.config.items() if k.startswith(f"{package}:")}
            if version:
                inputs["version"] = version
            id_ = UNKNOWN_STRING if self.graph.preview else _uuid(urn)
            self._add(Resource(urn=urn, type=type_, name=name, custom=True, id=id_, inputs=inputs, outputs=inputs))
            self.providers[key] = f"{urn}::{id_}"
        return self.providers[key]

    # RPCs ----------------------------------------------------------------------------------
    def RegisterResource(self, request: Any) -> Any:
        from pulumi.runtime.proto import resource_pb2

        with self.lock:
            urn = self._urn(request.parent, request.type, request.name)
            if request.type == STACK_TYPE:
                self._add(Resource(urn=urn, type=STACK_TYPE, name=request.name, custom=False))
                return resource_pb2.RegisterResourceResponse(urn=urn)
            inputs = _drop_internal(_collapse_refs(json_format.MessageToDict(request.object)))
            timeouts = request.customTimeouts
            try:
                timeout_seconds = {kind: parse_duration(getattr(timeouts, kind)) if getattr(timeouts, kind) else 0.0
                                   for kind in ("create", "update", "delete", "read")}
            except ValueError as error:  # the engine fails the registration, and so the program (capture
                self.errors.append(str(error))  # raises it when the run ends: an exception here would
                timeout_seconds = {}  # outlive this run inside the SDK's runtime)
        plain_inputs = _deserialize(inputs)
        args = _mocks_module().MockResourceArgs(typ=request.type, name=request.name, inputs=plain_inputs,
                                                provider=request.provider, resource_id=request.importId,
                                                custom=request.custom or False)
        id_, state = self.mocks.new_resource(args)
        state_struct = _serialize(state)
        outputs = json_format.MessageToDict(state_struct)
        if self.graph.preview and request.custom:
            # A first preview: the provider's preview Create plans the inputs and leaves every computed
            # attribute unknown (step_generator.go), which stack policies then see as unknown, not absent.
            computed = self.mocks.computed_outputs(request.type, request.name, plain_inputs)
            outputs = {**{k: UNKNOWN_STRING for k in computed}, **inputs,
                       **{k: v for k, v in outputs.items() if k not in inputs}}
        with self.lock:
            provider = request.provider
            if request.custom and not provider and not request.type.startswith("pulumi:providers:"):
                provider = self._default_provider(request.type.split(":")[0], request.version)
            resource = Resource(
                urn=urn, type=request.type, name=request.name, custom=bool(request.custom), parent=request.parent,
                id=id_ if request.custom else None, inputs=inputs, outputs=outputs,
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items() if v.urns},
                protect=bool(request.protect), provider=provider,
                options={
                    "protect": bool(request.protect), "ignoreChanges": list(request.ignoreChanges),
                    "retainOnDelete": bool(request.retainOnDelete),
                    "deleteBeforeReplace": bool(request.deleteBeforeReplace),
                    "deleteBeforeReplaceDefined": bool(request.deleteBeforeReplaceDefined),
                    "additionalSecretOutputs": list(request.additionalSecretOutputs),
                    # The engine sends only the old-state URN a resource was matched through; the
                    # offline engine has no state, so none (as on a new stack).
                    "aliases": [],
                    "customTimeouts": timeout_seconds,
                    "remote": bool(request.remote),
                },
            )
            self._add(resource)
            self.resources[urn] = self.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=state_struct)

    def ReadResource(self, request: Any) -> Any:
        # Read resources are not registrations: the engine never analyzes them (divergence 10).
        from pulumi.runtime.proto import resource_pb2

        state = _deserialize(_collapse_refs(json_format.MessageToDict(request.properties)))
        args = _mocks_module().MockResourceArgs(typ=request.type, name=request.name, inputs=state,
                                                provider=request.provider, resource_id=request.id)
        _, state = self.mocks.new_resource(args)
        urn = self._urn(request.parent, request.type, request.name)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=_serialize(state))

    def RegisterResourceOutputs(self, request: Any) -> Any:
        from google.protobuf import empty_pb2

        outputs = _collapse_refs(json_format.MessageToDict(request.outputs))
        with self.lock:
            resource = self.by_urn.get(request.urn)
            if resource is not None:
                resource.outputs = outputs
                if resource.type == STACK_TYPE:
                    self.graph.outputs = outputs
        return empty_pb2.Empty()


def _uuid(seed: str) -> str:
    h = _hex(seed, length=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _deserialize(wire: Mapping[str, Any]) -> dict[str, Any]:
    from pulumi.runtime import rpc

    return rpc.deserialize_properties(_to_struct(wire))


def _serialize(values: Mapping[str, Any]) -> struct_pb2.Struct:
    from pulumi.runtime import rpc
    from pulumi.runtime.sync_await import _sync_await

    return _sync_await(rpc.serialize_properties(dict(values), {}))

