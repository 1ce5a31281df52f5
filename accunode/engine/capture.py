"""Run the Pulumi program (or any function) under a recording mock monitor; return its resource graph.

This is the one place the project emulates the engine's side of a deployment. Tests, the cost
model and the offline preview all read what it records. Divergences from the real engine
(numbers refer to ``shared/reference/pulumi-engine.md`` section 7) and how they are handled:

1. URNs: the monitor returns engine-style URNs (full parent type chain, Stack type excluded), so
   parents, dependencies and property dependencies recorded by the SDK are engine URNs already.
2. Default providers: one ``pulumi:providers:<pkg>::default_<version>`` per package and version is
   synthesized (inputs: the package's config without namespace, plus ``version``) and referenced
   from each custom resource's ``provider`` as ``<urn>::<id>``.
3. Stack exports: the program runs inside ``run_in_stack`` so ``RegisterResourceOutputs`` of the
   Stack carries the exports; component outputs are recorded the same way.
4. Remote components (awsx): recorded as the component only; the program uses none in the
   platform (see components/) so nothing the policies or the cost model need is hidden.
5. Provider ``Check`` (auto-names, defaults) is not emulated: our components name resources
   explicitly; ``__``-prefixed keys are dropped as the engine does for Analyze.
6./7. ``preview=True`` emulates a first preview: new resources get no id and no computed outputs,
   so dependents receive the engine's unknown sentinel; outputs equal inputs, as for a create.
8. Resource references are collapsed to the referenced id (or URN) *before* the SDK's mock monitor
   could rehydrate them (which hangs), and never echoed back as references.
9. Options: custom timeouts in seconds, alias specs as URNs, deleteBeforeReplace kept with its flag.
10. Read resources (``.get()``, StackReference) are answered but excluded from the graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import runpy
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2

from accunode.engine.files import FileError, read_yaml_mapping
from accunode.engine.graph import (
    RESOURCE_SIG,
    SIG_KEY,
    STACK_TYPE,
    UNKNOWN_STRING,
    Resource,
    ResourceGraph,
)
from accunode.engine.sdk import load_sdk

ACCOUNT_ID = "123456789012"
AVAILABILITY_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d")
SECRET_PLACEHOLDER = "[secret:{key}]"  # noqa: S105 - a marker, not a secret


StackFileError = FileError  # a project or stack file that cannot be used (exit 2): ``file[:line:col]: what``


class CaptureError(RuntimeError):
    """The program failed. ``str()`` is the message a user should see (no traceback).

    ``graph`` holds what was registered before the failure (None when the run never started).
    """

    def __init__(self, message: str, graph: ResourceGraph | None = None):
        super().__init__(message)
        self.graph = graph


# --------------------------------------------------------------------------------------------
# Stack files
# --------------------------------------------------------------------------------------------
def find_project_dir(start: Path | None = None) -> Path:
    """The nearest directory (from ``start`` or the cwd upwards) that holds ``Pulumi.yaml``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise StackFileError(None, f"no Pulumi.yaml found in {here} or its parents")


def project_name(project_dir: Path) -> str:
    path = project_dir / "Pulumi.yaml"
    name = read_yaml_mapping(path).get("name")
    if not isinstance(name, str) or not name.strip():
        raise StackFileError(path, "name: required (the project's name, e.g. accunode)")
    return name


def stack_names(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def pulumi_stack_name_problem(stack: str) -> str | None:
    """Pulumi's own rule for stack names (``tokens.ValidateStackName``): at most 100 characters, letters,
    digits, '-', '_' and '.'. A project may be stricter (accunode.settings.stack_name_problem)."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", stack):
        return None
    shown = repr(stack) if len(stack) <= 40 else f"{stack[:20]!r}... ({len(stack)} characters)"
    return (f"stack name {shown} is not valid: stack names may only contain letters, digits, '-', '_' or '.' "
            "and are at most 100 characters")


def load_stack_config(project_dir: Path, stack: str) -> tuple[dict[str, str], list[str]]:
    """A stack's config as the CLI hands it to programs and policy packs (``PULUMI_CONFIG``).
    Raises StackFileError (exit 2) for an invalid stack name, a missing stack file or an unusable one.

    Top-level values become strings, objects and arrays JSON strings. ``secure:`` values cannot be
    decrypted without the stack's secrets provider, so they become marked placeholders and are
    listed as secret keys.
    """
    problem = pulumi_stack_name_problem(stack)
    if problem:
        raise StackFileError(None, problem)
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        available = ", ".join(stack_names(project_dir)) or "none"
        raise StackFileError(None, f"no stack file Pulumi.{stack}.yaml in {project_dir.name}/ (stacks: {available})")
    raw = read_yaml_mapping(path, check_scalars="config").get("config") or {}
    project = project_name(project_dir)
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        namespace, _, name = str(key).rpartition(":")
        if not isinstance(key, str) or not name or (":" in key and not namespace):
            raise StackFileError(path, f"config: {key!r} is not a config key; use <namespace>:<name>, "
                                 f"e.g. {project}:tier")
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = SECRET_PLACEHOLDER.format(key=full_key)
            secret_keys.append(full_key)
        else:
            config[full_key] = config_string(value)
    return config, secret_keys


def config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


# --------------------------------------------------------------------------------------------
# Fake cloud: ids, ARNs and computed outputs that look like AWS's
# --------------------------------------------------------------------------------------------
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat", "aws:ec2/eip:Eip": "eipalloc", "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc", "aws:ec2/route:Route": "r-rtb",
    "aws:ec2/securityGroup:SecurityGroup": "sg", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/flowLog:FlowLog": "fl", "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:wafv2/webAcl:WebAcl": "", "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "",
}
# Resources whose id is their (explicit) name, and the input that holds it.
_NAME_AS_ID = {
    "aws:rds/instance:Instance": "identifier", "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:rds/parameterGroup:ParameterGroup": "name",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:elasticache/subnetGroup:SubnetGroup": "name", "aws:elasticache/parameterGroup:ParameterGroup": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name", "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName", "aws:ecr/repository:Repository": "name",
    "aws:ssm/parameter:Parameter": "name", "aws:iam/role:Role": "name", "aws:iam/policy:Policy": "name",
    "aws:ecs/cluster:Cluster": "name", "aws:s3/bucket:Bucket": "bucket", "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:sns/topic:Topic": "name", "aws:budgets/budget:Budget": "name", "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name", "aws:sqs/queue:Queue": "name",
}
_ARN_SERVICE = {
    "ec2": "ec2", "rds": "rds", "elasticache": "elasticache", "cloudwatch": "logs", "ecr": "ecr", "ssm": "ssm",
    "iam": "iam", "ecs": "ecs", "s3": "s3", "sns": "sns", "sqs": "sqs", "lb": "elasticloadbalancing",
    "wafv2": "wafv2", "budgets": "budgets", "kms": "kms", "appautoscaling": "application-autoscaling",
    "vpc": "ec2", "secretsmanager": "secretsmanager",
}


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def fake_id(type_: str, name: str, inputs: Mapping[str, Any]) -> str:
    if type_ in _NAME_AS_ID and isinstance(inputs.get(_NAME_AS_ID[type_]), str):
        return inputs[_NAME_AS_ID[type_]]
    if type_ == "aws:ecs/service:Service" and isinstance(inputs.get("name"), str):
        return f"arn:aws:ecs:{{region}}:{ACCOUNT_ID}:service/{inputs.get('cluster', 'cluster')}/{inputs['name']}"
    prefix = _ID_PREFIX.get(type_)
    if prefix:
        return f"{prefix}-{_hex(type_, name)}"
    return f"{name}-{_hex(type_, name, length=8)}"


def fake_outputs(type_: str, name: str, id_: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Computed outputs AWS would return, deterministic per (type, name)."""
    module = type_.split(":")[1].split("/")[0] if type_.count(":") == 2 else ""
    service = _ARN_SERVICE.get(module, module)
    resource_name = str(inputs.get("name") or id_)
    out: dict[str, Any] = {"id": id_}
    if not type_.startswith("aws:"):
        pass
    elif id_.startswith("arn:"):
        out["arn"] = id_
    elif service == "iam":
        kind = type_.rsplit(":", 1)[1].lower()
        out["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:{'oidc-provider/' + str(inputs.get('url', '')).removeprefix('https://') if 'openid' in kind else kind + '/' + resource_name}"  # noqa: E501
    elif service == "s3":
        out["arn"] = f"arn:aws:s3:::{id_}"
    elif service:
        out["arn"] = f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{_arn_resource(type_, id_, resource_name)}"
    extra: dict[str, Any] = {
        "aws:rds/instance:Instance": {"address": f"{id_}.c{_hex(id_, length=11)}.{region}.rds.amazonaws.com",
                                      "endpoint": f"{id_}.c{_hex(id_, length=11)}.{region}.rds.amazonaws.com:5432",
                                      "port": 5432, "resourceId": f"db-{_hex(id_, length=26).upper()}"},
        "aws:elasticache/replicationGroup:ReplicationGroup": {
            "primaryEndpointAddress": f"master.{id_}.{_hex(id_, length=6)}.use1.cache.amazonaws.com",
            "readerEndpointAddress": f"replica.{id_}.{_hex(id_, length=6)}.use1.cache.amazonaws.com",
            "port": 6379},
        "aws:lb/loadBalancer:LoadBalancer": {
            "dnsName": f"{resource_name}-{int(_hex(id_, length=8), 16) % 10**9}.{region}.elb.amazonaws.com",
            "arnSuffix": f"app/{resource_name}/{_hex(id_, length=16)}", "zoneId": "Z35SXDOTRQ7X7K"},
        "aws:lb/targetGroup:TargetGroup": {"arnSuffix": f"targetgroup/{resource_name}/{_hex(id_, length=16)}"},
        "aws:ecr/repository:Repository": {
            "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com/{id_}", "registryId": ACCOUNT_ID},
        "aws:sqs/queue:Queue": {"url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{resource_name}"},
        "aws:ecs/taskDefinition:TaskDefinition": {"revision": 1},
        "random:index/randomPassword:RandomPassword": {
            "result": "Mock" + _hex(name, length=28), "bcryptHash": "$2a$10$" + _hex(name, length=53)},
        "aws:ec2/eip:Eip": {"publicIp": f"203.0.113.{int(_hex(name, length=2), 16) % 250 + 1}",
                            "allocationId": id_},
        "aws:ec2/vpc:Vpc": {"defaultSecurityGroupId": f"sg-{_hex(name, 'default')}",
                            "mainRouteTableId": f"rtb-{_hex(name, 'main')}"},
        "aws:kms/key:Key": {"keyId": _hex(name, length=32)},
    }.get(type_, {})
    return {**out, **extra}


def _arn_resource(type_: str, id_: str, name: str) -> str:
    kind = type_.rsplit(":", 1)[1]
    return {
        "LogGroup": f"log-group:{id_}", "Instance": f"db:{id_}", "ReplicationGroup": f"replicationgroup:{id_}",
        "Parameter": f"parameter{id_}" if id_.startswith("/") else f"parameter/{id_}",
        "Repository": f"repository/{id_}", "Cluster": f"cluster/{id_}", "Queue": name, "Topic": name,
        "LoadBalancer": f"loadbalancer/app/{name}/{_hex(id_, length=16)}",
        "TargetGroup": f"targetgroup/{name}/{_hex(id_, length=16)}",
        "TaskDefinition": f"task-definition/{name}:1", "MetricAlarm": f"alarm:{id_}",
    }.get(kind, f"{kind[0].lower() + kind[1:]}/{id_}")


# --------------------------------------------------------------------------------------------
# Mocks and the recording monitor
# --------------------------------------------------------------------------------------------
def _mocks_module():
    import pulumi.runtime

    return pulumi.runtime


class _Mocks:
    """Answers invokes and gives new resources ids and computed outputs (none in preview)."""

    def __init__(self, preview: bool, region: str):
        self.preview = preview
        self.region = region

    def call(self, args: Any) -> dict[str, Any]:
        region = self.region
        zones = [z.replace("us-east-1", region) for z in AVAILABILITY_ZONES]
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/preview", "userId": "AIDAPREVIEW",
                "id": ACCOUNT_ID},
            "aws:index/getRegion:getRegion": {"region": region, "name": region, "id": region,
                                              "endpoint": f"ec2.{region}.amazonaws.com"},
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": zones, "zoneIds": [f"use1-az{i + 1}" for i in range(len(zones))], "id": region},
            "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
        }
        if args.token not in answers:
            raise CaptureError(f"the offline engine does not know the invoke {args.token}; "
                               "add it to accunode/engine/capture.py")
        return answers[args.token]

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:
        if args.resource_id:  # a read (.get()) of an existing resource
            return args.resource_id, dict(args.inputs)
        if self.preview or not args.custom:
            return (None if self.preview and args.custom else f"{args.name}-component"), dict(args.inputs)
        id_ = fake_id(args.typ, args.name, args.inputs).replace("{region}", self.region)
        return id_, {**args.inputs, **fake_outputs(args.typ, args.name, id_, args.inputs, self.region)}


def _timeout_seconds(value: str) -> float:
    total = 0.0
    for amount, unit in re.findall(r"([\d.]+)(h|m|s)", value or ""):
        total += float(amount) * {"h": 3600, "m": 60, "s": 1}[unit]
    return total


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


class _RecordingMonitor:
    """A MockMonitor that records every registration in engine form (see the module docstring)."""

    def __new__(cls, *args: Any, **kwargs: Any):  # subclass lazily so importing this module stays cheap
        from pulumi.runtime.mocks import MockMonitor

        klass = type("RecordingMonitor", (_RecordingMixin, MockMonitor), {})
        return klass(*args, **kwargs)


class _RecordingMixin:
    def __init__(self, mocks: _Mocks, graph: ResourceGraph, config: Mapping[str, str]):
        super().__init__(mocks)  # type: ignore[call-arg]
        self.graph = graph
        self.config = config
        self.lock = threading.Lock()
        self.by_urn: dict[str, Resource] = {}
        self.providers: dict[tuple[str, str], str] = {}

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
        plain_inputs = _deserialize(inputs)
        args = _mocks_module().MockResourceArgs(typ=request.type, name=request.name, inputs=plain_inputs,
                                                provider=request.provider, resource_id=request.importId,
                                                custom=request.custom or False)
        id_, state = self.mocks.new_resource(args)
        state_struct = _serialize(state)
        outputs = json_format.MessageToDict(state_struct)
        if self.graph.preview and request.custom:
            outputs = {**inputs, **{k: v for k, v in outputs.items() if k not in inputs}}
        with self.lock:
            provider = request.provider
            if request.custom and not provider and not request.type.startswith("pulumi:providers:"):
                provider = self._default_provider(request.type.split(":")[0], request.version)
            timeouts = request.customTimeouts
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
                    "aliases": [*request.aliasURNs, *(self._alias_urn(spec, request) for spec in request.aliases)],
                    "customTimeouts": {"create": _timeout_seconds(timeouts.create),
                                       "update": _timeout_seconds(timeouts.update),
                                       "delete": _timeout_seconds(timeouts.delete)},
                    "remote": bool(request.remote),
                },
            )
            self._add(resource)
            self.resources[urn] = self.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_ or "", object=state_struct)

    def _alias_urn(self, alias: Any, request: Any) -> str:
        if alias.urn:
            return alias.urn
        spec = alias.spec
        return self._urn(spec.parentUrn or request.parent, spec.type or request.type, spec.name or request.name)

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


# --------------------------------------------------------------------------------------------
# Running things
# --------------------------------------------------------------------------------------------
_RUN_LOCK = threading.Lock()


def run_program(
    fn: Callable[[], Any],
    *,
    stack: str = "test",
    project: str = "accunode",
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    preview: bool = False,
    organization: str = "organization",
) -> ResourceGraph:
    """Run ``fn`` as a Pulumi program under the recording mocks and return what it registered.

    ``config`` keys are namespaced (``{"accunode:environment": "prod"}``); values as the CLI passes
    them (strings; objects as JSON strings). Raises CaptureError with a plain message when the
    program fails (a ``pulumi.RunError`` message is passed through untouched).
    """
    load_sdk()
    import pulumi
    import pulumi.runtime
    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    config = {k: config_string(v) if not isinstance(v, str) else v for k, v in (config or {}).items()}
    region = config.get("aws:region", "us-east-1")
    graph = ResourceGraph(project=project, stack=stack, organization=organization, preview=preview,
                          config=dict(config), secret_keys=list(secret_keys or []))
    with _RUN_LOCK:  # the SDK's runtime state is process-global
        pulumi.runtime.set_all_config(dict(config), list(secret_keys or []))
        monitor = _RecordingMonitor(_Mocks(preview, region), graph, config)
        pulumi.runtime.set_mocks(_Mocks(preview, region), project=project, stack=stack, preview=preview,  # type: ignore[arg-type]
                                 monitor=monitor, organization=organization)
        pulumi_settings.ROOT.set(None)
        try:
            _sync_await(run_in_stack(fn))
        except pulumi.RunError as error:
            raise CaptureError(str(error), graph) from None
        except CaptureError as error:
            raise CaptureError(str(error), graph) from None
        except Exception as error:
            raise CaptureError(f"the program failed: {type(error).__name__}: {error}", graph) from error
        finally:
            pulumi_settings.ROOT.set(None)
    return graph


def capture_stack(
    stack: str,
    project_dir: Path | None = None,
    *,
    preview: bool = False,
    config_overrides: Mapping[str, Any] | None = None,
) -> ResourceGraph:
    """Run ``__main__.py`` for ``Pulumi.<stack>.yaml`` and return the resource graph.

    ``config_overrides`` (namespaced keys) are laid over the stack file, e.g.
    ``{"accunode:tier": "high"}``; a value of None removes the key.
    """
    project_dir = find_project_dir(project_dir)
    config, secret_keys = load_stack_config(project_dir, stack)
    for key, value in (config_overrides or {}).items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = config_string(value)
    program = project_dir / "__main__.py"

    def run() -> None:
        cwd = Path.cwd()
        os.chdir(project_dir)
        if str(project_dir) not in sys.path:
            sys.path.insert(0, str(project_dir))
        try:
            runpy.run_path(str(program), run_name="__main__")
        finally:
            os.chdir(cwd)

    return run_program(run, stack=stack, project=project_name(project_dir), config=config,
                       secret_keys=secret_keys, preview=preview)


# --------------------------------------------------------------------------------------------
# A cache of captured graphs, for repeated previews of an unchanged stack
# --------------------------------------------------------------------------------------------
CACHE_DIR = Path(".accunode") / "cache"
_NOT_PROGRAM = {"venv", ".venv", ".git", "tests", "policies", "benchmarks", "docs", ".accunode", "__pycache__"}
_SDKS = ("pulumi", "pulumi_aws", "pulumi_random", "pulumi_awsx")


def capture_key(stack: str, project_dir: Path, *, preview: bool, config_overrides: Mapping[str, Any] | None) -> str:
    """A hash of everything that decides the graph: the program's Python sources and project files,
    the stack file, the overrides, the mode, this module and the SDK versions."""
    from importlib import metadata

    digest = hashlib.sha256()
    files = []
    for folder, subfolders, names in os.walk(project_dir):
        subfolders[:] = sorted(d for d in subfolders if d not in _NOT_PROGRAM and not d.startswith("."))
        files += [Path(folder) / name for name in sorted(names) if name.endswith(".py")]
    files += [project_dir / "Pulumi.yaml", project_dir / f"Pulumi.{stack}.yaml"]
    for path in files:
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(Path(__file__).read_bytes())
    for sdk in _SDKS:
        try:
            digest.update(f"{sdk}={metadata.version(sdk.replace('_', '-'))}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{sdk}=absent".encode())
    digest.update(json.dumps([stack, preview, dict(config_overrides or {})], sort_keys=True).encode())
    return digest.hexdigest()


def capture_stack_cached(stack: str, project_dir: Path | None = None, *, preview: bool = False,
                         config_overrides: Mapping[str, Any] | None = None) -> tuple[ResourceGraph, bool]:
    """``capture_stack`` through an on-disk cache in ``<project>/.accunode/cache``; returns (graph, hit).

    A program that fails is never cached (its error is raised as usual).
    """
    project_dir = find_project_dir(project_dir)
    key = capture_key(stack, project_dir, preview=preview, config_overrides=config_overrides)
    path = project_dir / CACHE_DIR / f"{key}.json"
    if path.is_file():
        try:
            return ResourceGraph.from_json(path.read_text()), True
        except (ValueError, TypeError, KeyError):
            path.unlink(missing_ok=True)  # unreadable entry: capture again
    graph = capture_stack(stack, project_dir, preview=preview, config_overrides=config_overrides)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(graph.to_json())
    temporary.replace(path)
    return graph, False
