"""Run policy packs against a resource graph the way ``pulumi preview --policy-pack`` does.

Each pack is launched as the Python language host launches it (``python -u -m pulumi.policy
<engine-address> <abs-pack-dir>``, cwd the pack directory, ``PULUMI_PROJECT/STACK/ORGANIZATION/
DRY_RUN/CONFIG`` in the environment), and driven over its gRPC Analyzer service in the engine's
order: ``ConfigureStack``, ``GetPluginInfo``, ``GetAnalyzerInfo``, ``Configure`` (config reconciled
and validated as the engine does, see :mod:`accunode.engine.policy_config`), then per resource
``Remediate`` (every pack in turn, applying returned properties) and ``Analyze`` (all packs), and
finally ``AnalyzeStack`` with outputs, parents, dependencies and property dependencies.

Diagnostics are post-processed as ``pkg/resource/plugin/analyzer_plugin.go`` does: the version from
``PulumiPolicy.yaml`` replaces the pack's reported one, an unspecified severity is filled from the
policy's info, ``remediate`` becomes ``mandatory``, and stack-policy diagnostics naming a URN that is
not in the stack are attributed to the Stack.

The pack processes are hosted by :mod:`accunode.engine.packhost`; the requests are built by
:mod:`accunode.engine.requests`. Usage::

    with PolicyPacks.start(pack_dirs, config_files, StackContext(project, stack, config)) as packs:
        graph = capture_stack(...)          # packs boot while the program runs
        packs.wait_ready()                  # raises PolicyConfigError / PolicyPackError
        result = packs.analyze(graph)
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accunode.engine.graph import STACK_TYPE, Resource, ResourceGraph
from accunode.engine.packhost import (  # noqa: F401 - re-exported for importers of the old module
    CONFIG_ENV_LIMIT,
    ENGINE_ADDRESS,
    RPC_TIMEOUT,
    START_TIMEOUT,
    PolicyPackError,
    PolicyPackHost,
    pack_python,
)
from accunode.engine.policy_config import (
    ENFORCEMENT_LEVEL_SCHEMA,
    PolicyConfig,
    PolicyConfigError,
    PolicySchemaInfo,
    format_validation_errors,
    load_policy_pack_config,
    reconcile_policy_pack_config,
)
from accunode.engine.project import stack_tags  # noqa: F401 - re-exported
from accunode.engine.requests import (  # noqa: F401 - re-exported
    LEVEL_VALUES,
    LEVELS,
    SEVERITIES,
    Requests,
    default_root_stack_urn,
    provider_urn,
    to_struct,
    urn_name,
    urn_type,
)
from accunode.engine.sdk import load_sdk

RESOURCE_WORKERS = 4


# --------------------------------------------------------------------------------------------
# What the packs say about themselves, and what they report
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    enforcement_level: str
    severity: str = ""
    policy_type: str = ""  # "resource" | "stack" | ""
    config_schema: Mapping[str, Any] | None = None
    display_name: str = ""
    remediation_steps: str = ""
    url: str = ""
    tags: tuple[str, ...] = ()
    framework: Mapping[str, str] = field(default_factory=dict)


@dataclass
class PackInfo:
    """``GetAnalyzerInfo`` as the engine keeps it (version from PulumiPolicy.yaml, policies by name)."""

    name: str
    version: str
    path: Path
    description: str = ""
    supports_config: bool = True
    plugin_version: str = ""
    policies: list[PolicyInfo] = field(default_factory=list)
    initial_config: dict[str, PolicyConfig] = field(default_factory=dict)
    config: dict[str, PolicyConfig] = field(default_factory=dict)  # what Configure sent

    @property
    def key(self) -> str:
        return f"{self.name}@v{self.version}"

    def policy(self, name: str) -> PolicyInfo | None:
        return next((p for p in self.policies if p.name == name), None)

    def effective_level(self, name: str) -> str:
        configured = self.config.get(name)
        if configured is not None and configured.enforcement_level:
            return configured.enforcement_level
        policy = self.policy(name)
        return policy.enforcement_level if policy else "advisory"


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation event, attributed to a resource URN as the engine attributes it."""

    policy_name: str
    pack_name: str
    pack_version: str
    description: str
    message: str
    enforcement_level: str  # "mandatory" | "advisory"
    urn: str
    severity: str = ""
    source: str = "resource"  # "resource" (Analyze) | "stack" (AnalyzeStack) | "remediation"

    @property
    def pack_key(self) -> str:
        return f"{self.pack_name}@v{self.pack_version}"

    @property
    def mandatory(self) -> bool:
        return self.enforcement_level == "mandatory"


@dataclass(frozen=True)
class Remediation:
    policy_name: str
    pack_name: str
    pack_version: str
    urn: str
    description: str


@dataclass
class AnalysisResult:
    packs: list[PackInfo]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    remediations: list[Remediation] = field(default_factory=list)
    not_applicable: list[tuple[str, str, str, str]] = field(default_factory=list)  # pack, policy, urn, reason

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.mandatory]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.mandatory]



@dataclass
class StackContext:
    """What the engine tells packs about the stack (``ConfigureStack`` and the environment)."""

    project: str
    stack: str
    organization: str = "organization"
    config: dict[str, str] = field(default_factory=dict)  # "ns:key" -> string, decrypted
    secret_keys: list[str] = field(default_factory=list)  # keys whose values are secure in the stack file
    dry_run: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The pack process environment (``constructEnv`` / the language host's ``RunPlugin``)."""
        env = dict(os.environ if base is None else base)
        env.update({
            "PULUMI_ORGANIZATION": self.organization,
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true" if self.dry_run else "false",
            "PULUMI_CONFIG": json.dumps(self.config),
        })
        return env




# --------------------------------------------------------------------------------------------
# All packs of one preview
# --------------------------------------------------------------------------------------------
def _policy_info(proto_policy: Any) -> PolicyInfo:
    from google.protobuf import json_format

    schema = None
    if proto_policy.HasField("configSchema"):
        schema = {"properties": json_format.MessageToDict(proto_policy.configSchema.properties),
                  "required": list(proto_policy.configSchema.required)}
    policy_type = {1: "resource", 2: "stack"}.get(proto_policy.policy_type, "")
    framework = {}
    if proto_policy.HasField("framework"):
        framework = {k: v for k, v in json_format.MessageToDict(proto_policy.framework).items() if v}
    return PolicyInfo(
        name=proto_policy.name, description=proto_policy.description,
        enforcement_level=LEVELS.get(proto_policy.enforcementLevel, "advisory"),
        severity=SEVERITIES.get(proto_policy.severity, ""), policy_type=policy_type, config_schema=schema,
        display_name=proto_policy.displayName, remediation_steps=proto_policy.remediation_steps,
        url=proto_policy.url, tags=tuple(proto_policy.tags), framework=framework)


def pack_info(host: PolicyPackHost, response: Any, plugin_version: str) -> PackInfo:
    """``GetAnalyzerInfo`` as the engine stores it."""
    from google.protobuf import json_format

    policies = sorted((_policy_info(p) for p in response.policies), key=lambda p: p.name)
    if response.supportsConfig:  # the engine injects enforcementLevel into every schema
        policies = [dataclasses.replace(p, config_schema={
            "properties": {**((p.config_schema or {}).get("properties") or {}),
                           "enforcementLevel": ENFORCEMENT_LEVEL_SCHEMA},
            "required": list((p.config_schema or {}).get("required") or [])}) for p in policies]
    initial = {key: PolicyConfig(LEVELS.get(value.enforcementLevel, "advisory"),
                                 json_format.MessageToDict(value.properties) or None)
               for key, value in response.initialConfig.items()}
    yaml_version = str(host.yaml.get("version") or "")
    return PackInfo(
        name=response.name, version=yaml_version or response.version, path=host.path,
        description=response.description or str(host.yaml.get("description") or ""),
        supports_config=response.supportsConfig, plugin_version=plugin_version,
        policies=policies, initial_config=initial)


@dataclass
class _Pack:
    host: PolicyPackHost
    config_file: Path | None
    info: PackInfo | None = None
    error: BaseException | None = None
    thread: threading.Thread | None = None


class PolicyPacks:
    """The packs of one preview. Boot starts at :meth:`start`; use as a context manager."""

    def __init__(self, packs: list[_Pack], context: StackContext, on_event: Callable[[str], None] | None):
        self._packs = packs
        self.context = context
        self._on_event = on_event or (lambda _message: None)
        self._ready = False
        self._answers: dict[bytes, AnalysisResult] = {}  # per-resource answers by request
        self.reused = 0  # resources answered from _answers

    def process_ids(self) -> list[int]:
        return [pack.host.process.pid for pack in self._packs if pack.host.process is not None]

    @classmethod
    def start(cls, pack_dirs: Sequence[Path], config_files: Sequence[Path | None], context: StackContext,
              on_event: Callable[[str], None] | None = None) -> PolicyPacks:
        """Launch every pack in parallel and run its boot RPCs in a background thread."""
        if len(config_files) > len(pack_dirs):
            raise PolicyConfigError("more --policy-pack-config files than --policy-pack directories")
        load_sdk()  # on this thread, before any boot thread imports from the SDK
        env = context.environment()
        packs = [_Pack(PolicyPackHost(Path(d), env), config_files[i] if i < len(config_files) else None)
                 for i, d in enumerate(pack_dirs)]
        self = cls(packs, context, on_event)
        for pack in packs:
            pack.thread = threading.Thread(target=self._boot, args=(pack,), daemon=True,
                                           name=f"pack-boot-{pack.host.path.name}")
            pack.thread.start()
        return self

    def __enter__(self) -> PolicyPacks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _boot(self, pack: _Pack) -> None:
        from google.protobuf import empty_pb2
        from pulumi.runtime.proto import analyzer_pb2

        try:
            host = pack.host
            host.start()
            ctx = self.context
            host.call("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=ctx.stack, project=ctx.project, organization=ctx.organization, dry_run=ctx.dry_run,
                config=ctx.config, config_secret_keys=ctx.secret_keys, tags=ctx.tags), "ConfigureStack")
            plugin = host.call("GetPluginInfo", empty_pb2.Empty(), "GetPluginInfo")
            info = host.call("GetAnalyzerInfo", empty_pb2.Empty(), "GetAnalyzerInfo")
            pack.info = pack_info(host, info, plugin.version)
            self._on_event(f"loaded {pack.info.key}")
        except BaseException as error:  # reported by wait_ready
            pack.error = error

    def wait_ready(self) -> list[PackInfo]:
        """Join the boots, reconcile and validate config for every pack, then ``Configure`` each.

        Raises PolicyPackError when a pack failed to start, PolicyConfigError (the engine's lines)
        when any pack's config is invalid; nothing is analyzed in either case.
        """
        if self._ready:
            return self.infos
        for pack in self._packs:
            assert pack.thread is not None
            pack.thread.join()
        for pack in self._packs:
            if pack.error is not None:
                raise pack.error
        validation: list[str] = []
        reconciled: list[dict[str, PolicyConfig]] = []
        for pack in self._packs:
            assert pack.info is not None
            if not pack.info.supports_config:
                if pack.config_file is not None:
                    raise PolicyConfigError(f'policy pack "{pack.info.name}" at "{pack.host.path}" does not '
                                            "support config")
                reconciled.append({})
                continue
            from_file = load_policy_pack_config(str(pack.config_file)) if pack.config_file else None
            schemas = [PolicySchemaInfo(p.name, p.enforcement_level, p.config_schema) for p in pack.info.policies]
            config, errors = reconcile_policy_pack_config(schemas, pack.info.initial_config, from_file)
            validation += format_validation_errors(pack.info.name, pack.info.version, errors)
            reconciled.append(config)
        if validation:
            raise PolicyConfigError("\n".join(sorted(validation)))
        for pack, config in zip(self._packs, reconciled, strict=True):
            assert pack.info is not None
            if config:
                self._configure(pack, config)
            pack.info.config = config
        self._ready = True
        return self.infos

    def _configure(self, pack: _Pack, config: Mapping[str, PolicyConfig]) -> None:
        from pulumi.runtime.proto import analyzer_pb2

        request = analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
            name: analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_VALUES[c.enforcement_level or "advisory"],
                                            properties=to_struct(c.properties or {}, skip_internal_keys=False))
            for name, c in config.items()})
        pack.host.call("Configure", request, f'configuring policy pack "{pack.info.name}"')  # type: ignore[union-attr]

    @property
    def infos(self) -> list[PackInfo]:
        return [pack.info for pack in self._packs if pack.info is not None]

    def close(self) -> None:
        for pack in self._packs:
            if pack.thread is not None:
                pack.thread.join(timeout=START_TIMEOUT)
            pack.host.close()

    # analysis ------------------------------------------------------------------------------
    def analyze(self, graph: ResourceGraph, *, analyze_stack: bool = True) -> AnalysisResult:
        """Remediate + Analyze every resource, then AnalyzeStack.

        For each resource the engine's order holds: ``Remediate`` on each pack in turn (each seeing the
        previous pack's remediated properties), then ``Analyze`` on all packs with the final ones.
        Up to RESOURCE_WORKERS resources are in flight at once so every pack process stays busy;
        findings are merged back in registration order. ``analyze_stack=False`` when the program
        failed: the engine analyzed what was registered but runs AnalyzeStack only after a
        successful program.

        A resource whose request is byte for byte one these packs answered before (a re-preview with
        ``--watch``) gets the earlier answer without an RPC: policies are functions of the request and
        of the config the packs were configured with, which does not change while they run. AnalyzeStack
        is always sent.
        """
        infos = self.wait_ready()
        requests = Requests(graph)
        for resource in graph.resources:
            requests.provider(resource)  # fill the provider cache before the workers share it

        def one(resource: Resource) -> AnalysisResult:
            key = requests.analyze(resource, resource.inputs, remediate=True).SerializeToString(deterministic=True)
            if key in self._answers:
                self.reused += 1
                return self._answers[key]
            part = AnalysisResult(packs=infos)
            props = self._remediate(resource, requests, part)
            request = requests.analyze(resource, props, remediate=False)
            futures = [(pack, pack.host.stub.Analyze.future(request, timeout=RPC_TIMEOUT)) for pack in self._packs]
            for pack, future in futures:
                self._collect(pack, resource, future, part)
            self._answers[key] = part
            return part

        result = AnalysisResult(packs=infos)
        with ThreadPoolExecutor(RESOURCE_WORKERS, thread_name_prefix="analyze") as pool:
            for part in pool.map(one, graph.resources):
                result.diagnostics += part.diagnostics
                result.remediations += part.remediations
                result.not_applicable += part.not_applicable
        if analyze_stack:
            self._analyze_stack(graph, requests, result)
        return result

    def _remediate(self, resource: Resource, requests: Requests, result: AnalysisResult) -> dict[str, Any]:
        from google.protobuf import json_format

        props = dict(resource.inputs)
        for pack in self._packs:
            info = pack.info
            assert info is not None
            response = pack.host.call("Remediate", requests.analyze(resource, props, remediate=True),
                                      "failed to run remediation")
            for remediation in response.remediations:
                version = info.version or remediation.policyPackVersion
                if remediation.diagnostic:
                    result.diagnostics.append(Diagnostic(
                        remediation.policyName, remediation.policyPackName, version, remediation.description,
                        remediation.diagnostic, "advisory", resource.urn, source="remediation"))
                else:
                    props = json_format.MessageToDict(remediation.properties)
                    result.remediations.append(Remediation(remediation.policyName, remediation.policyPackName,
                                                           version, resource.urn, remediation.description))
            self._not_applicable(info, response, resource.urn, result)
        return props

    def _collect(self, pack: _Pack, resource: Resource, future: Any, result: AnalysisResult) -> None:
        try:
            response = future.result()
        except Exception as error:  # grpc.RpcError
            raise pack.host.rpc_failure(error, "failed to run policy") from None
        assert pack.info is not None
        result.diagnostics += [_diagnostic(pack.info, d, resource.urn, "resource") for d in response.diagnostics]
        self._not_applicable(pack.info, response, resource.urn, result)

    def _analyze_stack(self, graph: ResourceGraph, requests: Requests, result: AnalysisResult) -> None:

        request = requests.analyze_stack(graph.resources)
        stack = next((r.urn for r in graph.resources if r.type == STACK_TYPE and not r.parent),
                     default_root_stack_urn(graph.stack, graph.project))
        futures = [(pack, pack.host.stub.AnalyzeStack.future(request, timeout=RPC_TIMEOUT)) for pack in self._packs]
        for pack, future in futures:
            try:
                response = future.result()
            except Exception as error:  # grpc.RpcError
                raise pack.host.rpc_failure(error, "failed to run stack policy") from None
            assert pack.info is not None
            for d in response.diagnostics:
                urn = d.urn if d.urn in requests.by_urn else stack
                result.diagnostics.append(_diagnostic(pack.info, d, urn, "stack"))
            self._not_applicable(pack.info, response, "", result)

    @staticmethod
    def _not_applicable(info: PackInfo, response: Any, urn: str, result: AnalysisResult) -> None:
        result.not_applicable += [(info.name, n.policy_name, urn, n.reason) for n in response.not_applicable]


def _diagnostic(info: PackInfo, proto_diagnostic: Any, urn: str, source: str) -> Diagnostic:
    """``convertDiagnostics`` + the step generator's remediate->mandatory downgrade."""
    level = LEVELS.get(proto_diagnostic.enforcementLevel, "advisory")
    if level == "remediate":
        level = "mandatory"
    severity = SEVERITIES.get(proto_diagnostic.severity, "")
    if not severity:
        policy = info.policy(proto_diagnostic.policyName)
        severity = policy.severity if policy else ""
    return Diagnostic(
        policy_name=proto_diagnostic.policyName, pack_name=proto_diagnostic.policyPackName,
        pack_version=info.version or proto_diagnostic.policyPackVersion, description=proto_diagnostic.description,
        message=proto_diagnostic.message, enforcement_level=level, urn=urn, severity=severity, source=source)
