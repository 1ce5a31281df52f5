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

Usage::

    with PolicyPacks.start(pack_dirs, config_files, StackContext.for_graph(...)) as packs:
        graph = capture_stack(...)          # packs boot while the program runs
        packs.wait_ready()                  # raises PolicyConfigError / PolicyPackError
        result = packs.analyze(graph)
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from accunode.engine.graph import STACK_TYPE, Resource, ResourceGraph
from accunode.engine.policy_config import (
    ENFORCEMENT_LEVEL_SCHEMA,
    PolicyConfig,
    PolicyConfigError,
    PolicySchemaInfo,
    format_validation_errors,
    load_policy_pack_config,
    reconcile_policy_pack_config,
)
from accunode.engine.sdk import load_sdk

START_TIMEOUT = 60.0  # seconds for a pack to print its port (the machine may be busy)
RPC_TIMEOUT = 120.0
# The engine address handed to each pack. pulumi.policy parses it but never connects to it (its
# runtime Settings are built without an engine), so nothing needs to listen there.
ENGINE_ADDRESS = "127.0.0.1:0"
# PULUMI_CONFIG at or above this size travels in a file (see PolicyPackHost._large_config).
CONFIG_ENV_LIMIT = 64 * 1024
_CONFIG_BOOTSTRAP = (
    "import os, runpy, sys\n"
    "with open(os.environ.pop('ACCUNODE_PULUMI_CONFIG_FILE'), encoding='utf-8') as f:\n"
    "    os.environ['PULUMI_CONFIG'] = f.read()\n"
    "sys.argv = ['pulumi.policy', *sys.argv[1:]]\n"
    "runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)\n"
)
# Resources remediated and analyzed at once (each pack's gRPC server has 4 worker threads).
RESOURCE_WORKERS = 4

LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
LEVEL_VALUES = {name: value for value, name in LEVELS.items()}
SEVERITIES = {0: "", 1: "low", 2: "medium", 3: "high", 4: "critical"}
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                 ("grpc.max_send_message_length", 400 * 1024 * 1024)]


class PolicyPackError(RuntimeError):
    """A pack failed to start, exited, or an RPC failed: the preview cannot be trusted.

    ``str()`` is the engine-like message; ``output`` the tail of the pack's stderr (its traceback).
    """

    def __init__(self, message: str, pack_dir: Path | None = None, output: str = ""):
        super().__init__(message)
        self.pack_dir = pack_dir
        self.output = output


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


# --------------------------------------------------------------------------------------------
# URNs and the stack context
# --------------------------------------------------------------------------------------------
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


def stack_tags(project_dir: Path, config: Mapping[str, str]) -> dict[str, str]:
    """The tags a backend reports for a stack from Pulumi.yaml and ``pulumi:tags`` (no git metadata)."""
    project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    runtime = project.get("runtime")
    tags = {"pulumi:project": str(project.get("name", "")),
            "pulumi:runtime": str(runtime.get("name") if isinstance(runtime, dict) else runtime or "")}
    if project.get("description"):
        tags["pulumi:description"] = str(project["description"])
    if config.get("pulumi:tags"):
        tags.update({k: str(v) for k, v in json.loads(config["pulumi:tags"]).items()})
    return tags


# --------------------------------------------------------------------------------------------
# Marshalling, as MarshalProperties(KeepUnknowns, KeepSecrets[, SkipInternalKeys]) does
# --------------------------------------------------------------------------------------------
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


class _Requests:
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


# --------------------------------------------------------------------------------------------
# One pack process
# --------------------------------------------------------------------------------------------
def pack_python(pack_dir: Path) -> str:
    """The interpreter for a pack: ``runtime.options.virtualenv`` if it exists, else ours.

    The engine uses the virtualenv when set and ``python3`` from PATH otherwise; running from this
    repository's venv, ``sys.executable`` is what an activated venv would give.
    """
    project = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    runtime = project.get("runtime")
    options = runtime.get("options") or {} if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv")
    if venv:
        # normpath, not resolve(): the venv's python is a symlink whose target is outside the venv
        candidate = os.path.normpath(pack_dir / venv / "bin" / "python")
        if os.path.exists(candidate):
            return candidate
    return sys.executable


class PolicyPackHost:
    """A running pack process and its Analyzer client."""

    def __init__(self, pack_dir: Path, env: Mapping[str, str]):
        self.path = Path(pack_dir).resolve()
        self.env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: Any = None
        self.stub: Any = None
        self._stderr: IO[bytes] | None = None
        self._stdout_tail: collections.deque[str] = collections.deque(maxlen=50)
        self.yaml: dict[str, Any] = {}
        self._config_file: Path | None = None

    # lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT) -> None:
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        project_file = self.path / "PulumiPolicy.yaml"
        if not project_file.is_file():
            raise PolicyPackError(f"failed to load Pulumi policy project located at {self.path}: "
                                  "no PulumiPolicy.yaml", self.path)
        self.yaml = yaml.safe_load(project_file.read_text()) or {}
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        env, module = self._large_config(dict(self.env))
        command = [pack_python(self.path), "-u", *module, ENGINE_ADDRESS, str(self.path)]
        try:
            self.process = subprocess.Popen(command, cwd=self.path, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=self._stderr)
        except OSError as error:  # e.g. the interpreter is missing: a failed launch, not a crash of ours
            raise PolicyPackError(f"failed to start: {error}", self.path) from None
        port = self._read_port(timeout)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _large_config(self, env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
        """The environment and module arguments for the pack process.

        The engine passes the stack's config in one variable, PULUMI_CONFIG; Linux refuses any single
        variable over 128 KiB (MAX_ARG_STRLEN: ``Argument list too long``, pulumi/pulumi#20402). A larger
        config goes through a private file that a two-line bootstrap puts back into PULUMI_CONFIG inside
        the pack process, before ``pulumi.policy`` starts, so the pack sees exactly what the engine sends.
        """
        config = env.get("PULUMI_CONFIG", "")
        if len(config.encode()) < CONFIG_ENV_LIMIT:
            return env, ["-m", "pulumi.policy"]
        handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", delete=False)  # noqa: SIM115
        with handle:  # mode 0600: the config may hold decrypted values
            handle.write(config)
        self._config_file = Path(handle.name)
        env.pop("PULUMI_CONFIG")
        env["ACCUNODE_PULUMI_CONFIG_FILE"] = handle.name
        return env, ["-c", _CONFIG_BOOTSTRAP]

    def _read_port(self, timeout: float) -> int:
        assert self.process is not None and self.process.stdout is not None
        found: list[int] = []
        stdout = self.process.stdout

        def reader() -> None:
            with stdout:  # drained until the process ends (policies may print), then closed here
                for raw in stdout:
                    line = raw.decode(errors="replace").strip()
                    if not found and line.isdigit():
                        found.append(int(line))
                        continue
                    self._stdout_tail.append(line)

        threading.Thread(target=reader, daemon=True, name=f"pack-stdout-{self.path.name}").start()
        deadline = time.monotonic() + timeout
        while not found:
            if self.process.poll() is not None:
                raise self._failure(f"failed to start: it exited with code {self.process.returncode} "
                                    "before printing its port")
            if time.monotonic() > deadline:
                raise self._failure(f"failed to start within {timeout:.0f}s")
            time.sleep(0.005)
        return found[0]

    def close(self) -> None:
        """``Cancel`` (Python packs answer UNIMPLEMENTED, tolerated), then end the process."""
        if self._config_file is not None:
            self._config_file.unlink(missing_ok=True)
            self._config_file = None
        if self.stub is not None and self.process is not None and self.process.poll() is None:
            from google.protobuf import empty_pb2

            with contextlib.suppress(Exception):  # UNIMPLEMENTED in pulumi_policy, as the engine tolerates
                self.stub.Cancel(empty_pb2.Empty(), timeout=2)
        if self.channel is not None:
            self.channel.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stderr_tail(self, lines: int = 40) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _failure(self, message: str) -> PolicyPackError:
        output = self.stderr_tail()
        if self._stdout_tail:
            output = "\n".join([*self._stdout_tail, output]).strip()
        return PolicyPackError(message, self.path, output)

    # RPCs ----------------------------------------------------------------------------------
    def call(self, method: str, request: Any, what: str = "") -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=RPC_TIMEOUT)
        except Exception as error:  # grpc.RpcError
            raise self.rpc_failure(error, what or method) from None

    def rpc_failure(self, error: Any, what: str) -> PolicyPackError:
        details = error.details() if hasattr(error, "details") else str(error)
        code = error.code().name if hasattr(error, "code") else ""
        if code == "UNAVAILABLE" and self.process is not None:  # the pack may be exiting: let it finish
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=2)
        exited = self.process is not None and self.process.poll() is not None
        if exited:
            details = f"the pack process exited with code {self.process.returncode}"  # type: ignore[union-attr]
        return self._failure(f"{what}: rpc error: code = {code} desc = {details}")


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
        """
        infos = self.wait_ready()
        requests = _Requests(graph)
        for resource in graph.resources:
            requests.provider(resource)  # fill the provider cache before the workers share it

        def one(resource: Resource) -> AnalysisResult:
            part = AnalysisResult(packs=infos)
            props = self._remediate(resource, requests, part)
            request = requests.analyze(resource, props, remediate=False)
            futures = [(pack, pack.host.stub.Analyze.future(request, timeout=RPC_TIMEOUT)) for pack in self._packs]
            for pack, future in futures:
                self._collect(pack, resource, future, part)
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

    def _remediate(self, resource: Resource, requests: _Requests, result: AnalysisResult) -> dict[str, Any]:
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

    def _analyze_stack(self, graph: ResourceGraph, requests: _Requests, result: AnalysisResult) -> None:
        from pulumi.runtime.proto import analyzer_pb2

        request = analyzer_pb2.AnalyzeStackRequest(resources=[requests.stack_resource(r) for r in graph.resources])
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


def analyze_graph(graph: ResourceGraph, pack_dirs: Iterable[Path], config_files: Sequence[Path | None] = (),
                  context: StackContext | None = None) -> AnalysisResult:
    """Start the packs, analyze ``graph`` and stop them (for callers that already hold a graph)."""
    context = context or StackContext(project=graph.project, stack=graph.stack, organization=graph.organization,
                                      config=dict(graph.config), secret_keys=list(graph.secret_keys))
    with PolicyPacks.start(list(pack_dirs), list(config_files), context) as packs:
        return packs.analyze(graph)
