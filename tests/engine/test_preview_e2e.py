"""Acceptance: `accunode preview` on this repository's stacks with the real policy packs.

Every stack previews clean; weakened variants of prod (one control off at a time, made by stack
config or by a test-only transform of the captured graph) fail naming the policy that catches them;
a pack that raises is a crash; a first preview runs the rules without "can't run policy".

The weakened variants reuse one set of pack processes booted with the prod stack's config (packs
take about a second to start); no variant changes ``accunode:environment``, the only stack config
the packs read, so the packs' view of the stack stays exact.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from accunode.engine.analyzer import PolicyPacks, StackContext, stack_tags
from accunode.engine.capture import load_stack_config, project_name, stack_names
from accunode.engine.graph import UNKNOWN_STRING, Resource, ResourceGraph
from accunode.engine.report import PreviewReport, verdict
from tests.conftest import captured
from tests.engine.conftest import HERE, run_preview

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PACKS = [ROOT / "policies" / name for name in ("security", "cost")
         if (ROOT / "policies" / name / "PulumiPolicy.yaml").is_file()]


def _start_prod_packs() -> PolicyPacks:
    config, _ = load_stack_config(ROOT, "prod")
    context = StackContext(project=project_name(ROOT), stack="prod", config=config, tags=stack_tags(ROOT, config))
    return PolicyPacks.start(PACKS, [], context)


@pytest.fixture(scope="module")
def prod_packs() -> Iterator[list[PolicyPacks]]:
    """Two sets of pack processes, so two variants are analyzed at once (one per core)."""
    sets = [_start_prod_packs() for _ in range(2)]
    try:
        for packs in sets:
            packs.wait_ready()
        yield sets
    finally:
        for packs in sets:
            packs.close()


def _preview(packs: PolicyPacks, graph: ResourceGraph) -> PreviewReport:
    return PreviewReport(project_dir=ROOT, stack=graph.stack, graph=graph, analysis=packs.analyze(graph))


# ---- test-only transforms of a captured graph ------------------------------------------------
def _find(graph: ResourceGraph, type_: str, name: str | None = None) -> Resource:
    matches = [r for r in graph.of_type(type_) if name is None or r.name.endswith(name)]
    assert matches, f"no {type_} {name or ''} in the graph"
    return matches[0]


def _set(type_: str, name: str | None = None, **props: Any) -> Callable[[ResourceGraph], None]:
    """Set (or with None remove) inputs and outputs of one resource."""
    def transform(graph: ResourceGraph) -> None:
        resource = _find(graph, type_, name)
        for state in (resource.inputs, resource.outputs):
            for key, value in props.items():
                if value is None:
                    state.pop(key, None)
                else:
                    state[key] = value
    return transform


def _remove(type_: str, name: str | None = None) -> Callable[[ResourceGraph], None]:
    def transform(graph: ResourceGraph) -> None:
        graph.resources.remove(_find(graph, type_, name))
    return transform


def _edit(type_: str, name: str | None, change: Callable[[dict[str, Any]], None]) -> Callable[[ResourceGraph], None]:
    def transform(graph: ResourceGraph) -> None:
        resource = _find(graph, type_, name)
        change(resource.inputs)
        change(resource.outputs)
    return transform


def _force_ssl_off(props: dict[str, Any]) -> None:
    props["parameters"] = [{**p, "value": "0"} if p["name"] == "rds.force_ssl" else p for p in props["parameters"]]


def _public_db_subnets(graph: ResourceGraph) -> None:
    public = [r for r in graph.of_type("aws:ec2/subnet:Subnet") if "public" in r.name]
    ids = [r.id or UNKNOWN_STRING for r in public]  # a first preview does not know subnet ids
    _set("aws:rds/subnetGroup:SubnetGroup", "database-subnets", subnetIds=ids)(graph)
    group = _find(graph, "aws:rds/subnetGroup:SubnetGroup", "database-subnets")
    group.property_dependencies["subnetIds"] = [r.urn for r in public]


def _add_admin_attachment(graph: ResourceGraph) -> None:
    role = _find(graph, "aws:iam/role:Role")
    inputs = {"role": role.inputs.get("name", role.id),
              "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    graph.resources.append(Resource(
        urn=role.urn.rsplit("::", 1)[0].rsplit("$", 1)[0] + "$aws:iam/rolePolicyAttachment:RolePolicyAttachment::admin",
        type="aws:iam/rolePolicyAttachment:RolePolicyAttachment", name="admin", custom=True, parent=role.parent,
        id="admin-attachment", inputs=inputs, outputs=dict(inputs), provider=role.provider))


def _container(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Edit the API task's first container definition (a JSON string, as the engine marshals it)."""
    def edit(props: dict[str, Any]) -> None:
        containers = json.loads(props["containerDefinitions"])
        change(containers[0])
        props["containerDefinitions"] = json.dumps(containers)
    return edit


def _put(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(container: dict[str, Any]) -> None:
        if value is None:
            container.pop(key, None)
        else:
            container[key] = value
    return change


def _plaintext_password(container: dict[str, Any]) -> None:
    container["environment"].append({"name": "DB_PASSWORD", "value": "hunter2-plaintext"})


def _public_service_ip(props: dict[str, Any]) -> None:
    props["networkConfiguration"] = {**props["networkConfiguration"], "assignPublicIp": True}


def _same_task_roles(props: dict[str, Any]) -> None:
    props["executionRoleArn"] = props["taskRoleArn"]


TASK = "aws:ecs/taskDefinition:TaskDefinition"
LISTENER = "aws:lb/listener:Listener"
ALB = "aws:lb/loadBalancer:LoadBalancer"
DATA_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ADMIN_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})

GRAPH_WEAKENINGS: dict[str, tuple[str, Callable[[ResourceGraph], None]]] = {
    "rds unencrypted": ("rds-storage-encrypted", _set("aws:rds/instance:Instance", storageEncrypted=False)),
    "rds public": ("rds-not-publicly-accessible", _set("aws:rds/instance:Instance", publiclyAccessible=True)),
    "rds one-day backups": ("rds-backup-retention", _set("aws:rds/instance:Instance", backupRetentionPeriod=1)),
    "rds deletable": ("rds-deletion-protection", _set("aws:rds/instance:Instance", deletionProtection=False)),
    "rds no final snapshot": ("rds-final-snapshot", _set("aws:rds/instance:Instance", skipFinalSnapshot=True)),
    "rds without tls": ("rds-force-ssl", _edit("aws:rds/parameterGroup:ParameterGroup", None, _force_ssl_off)),
    "rds in public subnets": ("data-tier-private-subnets", _public_db_subnets),
    "redis unencrypted at rest": ("redis-encryption-at-rest", _set(
        "aws:elasticache/replicationGroup:ReplicationGroup", atRestEncryptionEnabled=False)),
    "redis without tls": ("redis-encryption-in-transit", _set(
        "aws:elasticache/replicationGroup:ReplicationGroup", transitEncryptionEnabled=False)),
    "redis without auth": ("redis-auth", _set("aws:elasticache/replicationGroup:ReplicationGroup", authToken=None)),
    "ecr no scanning": ("ecr-scan-on-push", _set("aws:ecr/repository:Repository",
                                                 imageScanningConfiguration={"scanOnPush": False})),
    "ecr mutable tags": ("ecr-immutable-tags", _set("aws:ecr/repository:Repository", imageTagMutability="MUTABLE")),
    "ecr no lifecycle": ("ecr-lifecycle-policy", _remove("aws:ecr/lifecyclePolicy:LifecyclePolicy")),
    "log group kept forever": ("log-group-retention", _set("aws:cloudwatch/logGroup:LogGroup", "flow-logs",
                                                           retentionInDays=None)),
    "plaintext ssm secret": ("ssm-secret-parameters-secure", _set("aws:ssm/parameter:Parameter", "database-url",
                                                                  type="String")),
    "default sg open": ("default-security-group-closed", _set(
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ingress=[
            {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}])),
    "no flow logs": ("vpc-flow-logs", _remove("aws:ec2/flowLog:FlowLog")),
    "admin inline policy": ("iam-no-admin-statements", _set("aws:iam/rolePolicy:RolePolicy", policy=ADMIN_POLICY)),
    "administrator access": ("iam-no-administrator-access", _add_admin_attachment),
    "database open to the internet": ("security-group-public-ingress", _set(
        DATA_INGRESS, "data-in-postgres-api", cidrIpv4="0.0.0.0/0", referencedSecurityGroupId=None)),
    "data tier from a cidr": ("security-group-data-tier-ingress", _set(
        DATA_INGRESS, "data-in-redis-api", cidrIpv4="10.0.0.0/8", referencedSecurityGroupId=None)),
    "all ports ingress": ("security-group-no-all-ports-ingress", _set(
        DATA_INGRESS, "data-in-postgres-worker", ipProtocol="-1", fromPort=None, toPort=None)),
    "container as root": ("ecs-container-non-root", _edit(TASK, "api-task", _container(_put("user", "root")))),
    "writable root filesystem": ("ecs-container-read-only-root", _edit(
        TASK, "api-task", _container(_put("readonlyRootFilesystem", False)))),
    "privileged container": ("ecs-container-not-privileged", _edit(
        TASK, "api-task", _container(_put("privileged", True)))),
    "password in the environment": ("ecs-container-no-plaintext-secrets", _edit(
        TASK, "api-task", _container(_plaintext_password))),
    "container without logs": ("ecs-container-logging", _edit(
        TASK, "api-task", _container(_put("logConfiguration", None)))),
    "shared task and execution role": ("ecs-task-roles-distinct", _edit(TASK, "worker-task", _same_task_roles)),
    "service with public ip": ("ecs-service-no-public-ip", _edit(
        "aws:ecs/service:Service", "api-service", _public_service_ip)),
    "http served in clear": ("alb-http-redirects-to-https", _set(LISTENER, "http", defaultActions=[
        {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"}])),
    "tls 1.0 listener": ("alb-tls-policy", _set(LISTENER, "https", sslPolicy="ELBSecurityPolicy-2016-08")),
    "alb keeps invalid headers": ("alb-drop-invalid-headers", _set(ALB, dropInvalidHeaderFields=False)),
    "alb without access logs": ("alb-access-logs", _set(ALB, accessLogs={"enabled": False, "bucket": ""})),
    "alb deletable": ("alb-deletion-protection", _set(ALB, enableDeletionProtection=False)),
    "bucket without public access block": ("s3-public-access-blocked", _remove(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")),
    "untagged log group": ("cost-allocation-tags", _set("aws:cloudwatch/logGroup:LogGroup", "flow-logs", tags=None)),
    "gp2 database storage": ("storage-gp3", _set("aws:rds/instance:Instance", storageType="gp2")),
}

# Weakenings made by stack config: the whole command runs (capture with the override, packs booted with
# the overridden config, which the cost pack reads for the budget, tier and environment).
CONFIG_WEAKENINGS: dict[str, tuple[str, list[str], str]] = {
    "budget below the estimate": ("prod", ["accunode:monthlyBudget=50"], "monthly-budget"),
    "multi-az database in dev": ("dev", ['accunode:database={"multiAz": true}'], "database-size-allowed"),
    "large fargate tasks in dev": ("dev", ['accunode:api={"cpu": 4096, "memory": 8192}'], "fargate-size-allowed"),
    "large cache node in dev": ("dev", ['accunode:cache={"nodeType": "cache.r6g.large"}'], "cache-size-allowed"),
    "ten-year log retention": ("prod", ["accunode:logRetentionDays=3653"], "log-retention-bounded"),
}


def _weakened(packs: PolicyPacks, name: str) -> PreviewReport:
    graph = captured("prod")
    GRAPH_WEAKENINGS[name][1](graph)
    return _preview(packs, graph)


@pytest.fixture(scope="module")
def weakened_reports(prod_packs: list[PolicyPacks]) -> dict[str, PreviewReport]:
    """The preview of every weakened variant (and of prod itself under ""), computed two at a time."""
    captured("prod")  # capture once before the threads copy it
    names = ["", *sorted(GRAPH_WEAKENINGS)]

    def work(index: int) -> dict[str, PreviewReport]:
        packs = prod_packs[index]
        return {name: _preview(packs, captured("prod")) if not name else _weakened(packs, name)
                for name in names[index::len(prod_packs)]}

    with ThreadPoolExecutor(len(prod_packs)) as pool:
        return {name: report for part in pool.map(work, range(len(prod_packs))) for name, report in part.items()}


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_stack_previews_with_exit_0_and_its_cost(stack: str, tmp_path: Path) -> None:
    from accunode.costs.stacks import estimate_graph

    out = tmp_path / "preview.json"
    run = run_preview("--stack", stack, "--project-dir", str(ROOT), "--json", str(out))
    assert run.code == 0, run.out + run.err
    assert "Policies:" in run.out and "❌" not in run.out
    total = estimate_graph(captured(stack)).total  # what `accunode cost --stack <stack>` reports
    assert json.loads(out.read_text())["cost"]["totalMonthlyCost"] == total
    assert run.out.rstrip().endswith(f"estimated ${total:,.2f}/month")


@pytest.mark.parametrize("weakening", sorted(GRAPH_WEAKENINGS))
def test_weakened_prod_fails_naming_the_policy(weakening: str, weakened_reports: dict[str, PreviewReport]) -> None:
    policy = GRAPH_WEAKENINGS[weakening][0]
    baseline = {(d.policy_name, d.urn, d.message) for d in weakened_reports[""].mandatory}
    report = weakened_reports[weakening]
    assert report.exit_code == 1
    new = {d.policy_name for d in report.mandatory if (d.policy_name, d.urn, d.message) not in baseline}
    assert policy in new
    assert policy in verdict(report)


@pytest.fixture(scope="module")
def config_reports() -> dict[str, PreviewReport]:
    """`accunode preview` for each config weakening, two at a time."""
    from accunode.engine.cli import preview

    def run(name: str) -> PreviewReport:
        stack, overrides, _ = CONFIG_WEAKENINGS[name]
        asyncio.set_event_loop(asyncio.new_event_loop())  # the program runs on this thread's loop
        return preview(stack, project_dir=ROOT, config=overrides)

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(CONFIG_WEAKENINGS, pool.map(run, CONFIG_WEAKENINGS), strict=True))


@pytest.mark.parametrize("weakening", sorted(CONFIG_WEAKENINGS))
def test_weakened_config_fails_naming_the_policy(weakening: str, config_reports: dict[str, PreviewReport]) -> None:
    policy = CONFIG_WEAKENINGS[weakening][2]
    report = config_reports[weakening]
    assert report.error == ""
    assert report.exit_code == 1
    assert policy in {d.policy_name for d in report.mandatory}
    assert policy in verdict(report)


def test_at_least_twenty_weakenings_are_checked() -> None:
    assert len(GRAPH_WEAKENINGS) + len(CONFIG_WEAKENINGS) >= 20


def test_a_pack_that_raises_gives_the_crash_exit_code() -> None:
    run = run_preview("--stack", "prod", "--project-dir", str(ROOT), "--policy-pack", str(PACKS[0]),
                      "--policy-pack", str(HERE / "packs" / "raising"))
    assert run.code == 3
    assert "policy pack raising failed: failed to run policy" in run.out
    assert "Exception calling application: 'engineVersion'" in run.out  # the KeyError, as gRPC reports it


def test_first_preview_runs_network_and_container_rules_without_cant_run(tmp_path: Path) -> None:
    out = tmp_path / "preview.json"
    run = run_preview("--stack", "prod", "--project-dir", str(ROOT), "--first-preview", "--json", str(out))
    data = json.loads(out.read_text())
    assert data["firstPreview"] is True
    assert not [d for d in data["diagnostics"] if "can't run policy" in d["message"]], run.out
    ruled_out = {n["policy"] for n in data["notApplicable"] if "preview" in n["reason"] or "unknown" in n["reason"]}
    network = {"data-tier-private-subnets", "security-group-public-ingress", "security-group-data-tier-ingress",
               "vpc-flow-logs", "default-security-group-closed"}
    containers = {p["name"] for pack in data["policyPacks"] for p in pack["policies"]
                  if p["name"].startswith("ecs-container")}
    assert not ruled_out & (network | containers)
    assert run.code == 0, run.out


@pytest.mark.parametrize("weakening", ["container as root", "privileged container", "database open to the internet",
                                       "rds in public subnets", "service with public ip"])
def test_first_preview_still_catches_container_and_network_weakenings(weakening: str,
                                                                      prod_packs: list[PolicyPacks]) -> None:
    policy, transform = GRAPH_WEAKENINGS[weakening]
    graph = captured("prod", preview=True)
    transform(graph)
    report = _preview(prod_packs[0], graph)
    assert policy in {d.policy_name for d in report.mandatory}
    assert not [d for d in report.analysis.diagnostics if "can't run policy" in d.message]
