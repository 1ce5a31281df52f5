"""Drive a policy pack in-process through the SDK's real Analyzer servicer.

``pulumi_policy.policy._PolicyAnalyzerServicer`` is what ``PolicyPack`` serves over gRPC; calling
its ``Configure``/``Analyze``/``AnalyzeStack`` with protobuf requests exercises the production code
path (secret unwrapping, the unknown-checking proxy, enforcement levels, config, not-applicable)
without a subprocess. Requests are built from :class:`accunode.engine.graph.Resource` by the
preview's own request builders (:mod:`accunode.engine.requests`), in the engine's wire form:
``Analyze`` gets inputs, ``AnalyzeStack`` gets outputs with parents, dependencies and property
dependencies (keys with empty lists dropped, as the engine does).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pulumi.runtime
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, Policy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from accunode.engine import requests
from accunode.engine.graph import Resource, ResourceGraph

LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
          analyzer_pb2.DISABLED: "disabled", analyzer_pb2.REMEDIATE: "remediate"}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
CANT_RUN = "during preview"


def analyze_request(resource: Resource) -> analyzer_pb2.AnalyzeRequest:
    """The engine's ``Analyze`` request, built by the preview's own code (accunode.engine.requests)."""
    return requests.analyze_request(resource)


def stack_request(resources: Iterable[Resource]) -> analyzer_pb2.AnalyzeStackRequest:
    """The engine's ``AnalyzeStack`` request over ``resources``, built by the preview's own code."""
    return requests.stack_request(ResourceGraph(project="", stack="", resources=list(resources)))


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str
    urn: str


@dataclass
class Result:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: list[tuple[str, str]] = field(default_factory=list)  # (policy, reason)

    def add(self, response: analyzer_pb2.AnalyzeResponse, urn: str = "") -> None:
        for d in response.diagnostics:
            self.diagnostics.append(Diagnostic(d.policyName, LEVELS[d.enforcementLevel], d.message, d.urn or urn))
        self.not_applicable += [(n.policy_name, n.reason) for n in response.not_applicable]

    def of(self, policy: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.policy == policy]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def cant_run(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if CANT_RUN in d.message and "can't run policy" in d.message]

    def skipped(self, policy: str) -> list[str]:
        return [reason for name, reason in self.not_applicable if name == policy]


class PackHarness:
    """One pack servicer configured as the engine would (policy config + the stack's PULUMI_CONFIG)."""

    def __init__(self, name: str, policies: list[Policy], enforcement: EnforcementLevel,
                 policy_config: Mapping[str, Mapping[str, Any] | str] | None = None,
                 stack_config: Mapping[str, str] | None = None):
        self.servicer = _PolicyAnalyzerServicer(name, "1.0.0", policies, enforcement)
        self.stack_config = dict(stack_config or {})
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy, value in (policy_config or {}).items():
            config = dict(value) if isinstance(value, Mapping) else {"enforcementLevel": value}
            entry = request.policyConfig[policy]
            if "enforcementLevel" in config:
                entry.enforcementLevel = LEVEL_VALUES[config.pop("enforcementLevel")]
            else:
                entry.enforcementLevel = LEVEL_VALUES[_default_level(policies, policy, enforcement)]
            entry.properties.update(config)
        self.servicer.Configure(request, None)

    @contextmanager
    def _environment(self) -> Iterator[None]:
        """PULUMI_CONFIG as the engine sets it for the pack process; restored afterwards."""
        saved_env, saved_config = os.environ.get("PULUMI_CONFIG"), dict(pulumi.runtime.config.CONFIG.get())
        os.environ["PULUMI_CONFIG"] = json.dumps(self.stack_config)
        pulumi.runtime.set_all_config({})
        try:
            yield
        finally:
            if saved_env is None:
                os.environ.pop("PULUMI_CONFIG", None)
            else:
                os.environ["PULUMI_CONFIG"] = saved_env
            pulumi.runtime.set_all_config(saved_config)

    def analyze(self, resources: Iterable[Resource]) -> Result:
        result = Result()
        with self._environment():
            for resource in resources:
                result.add(self.servicer.Analyze(analyze_request(resource), None), resource.urn)
        return result

    def analyze_stack(self, resources: Iterable[Resource]) -> Result:
        result = Result()
        with self._environment():
            result.add(self.servicer.AnalyzeStack(stack_request(resources), None))
        return result

    def preview(self, resources: Iterable[Resource] | ResourceGraph) -> Result:
        """Analyze every resource, then the stack: what one ``pulumi preview`` does."""
        items = list(resources)
        result = self.analyze(items)
        stack = self.analyze_stack(items)
        result.diagnostics += stack.diagnostics
        result.not_applicable += stack.not_applicable
        return result


def _default_level(policies: list[Policy], name: str, pack_level: EnforcementLevel) -> str:
    policy = next((p for p in policies if p.name == name), None)
    level = policy.enforcement_level if policy is not None and policy.enforcement_level else pack_level
    return level.value
