"""The AccuNode program itself: its stacks pass the security pack, and each control turned off is caught.

Graphs come from ``accunode.engine.capture`` (the real ``__main__.py`` under recording mocks), with
the stack's own config in PULUMI_CONFIG as the engine passes it to packs. A weakening edits one
resource of a private copy of the graph, inputs and outputs alike, the way a careless change to a
component would; ``preview=True`` graphs have every computed id and ARN unknown (a first preview).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import accunode_security as security
import pytest

from accunode.engine.capture import capture_stack
from accunode.engine.graph import Resource, ResourceGraph
from tests.deploy.stacks import BOOTSTRAP
from tests.policies._requests import PackHarness, Result

STACKS = ["prod", "staging", "dev"]
LEVELS = {rule.id: rule.enforcement.value for rule in security.RULES}


def check(graph: ResourceGraph, policy_config: dict[str, Any] | None = None) -> Result:
    harness = PackHarness(security.PACK_NAME, security.ALL_POLICIES, security.PACK_ENFORCEMENT, policy_config,
                          graph.config)
    return harness.preview(graph.resources)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "first-preview"])
@pytest.mark.parametrize("stack", STACKS)
def test_stack_passes_with_no_mandatory_violation(stack_graph, stack, preview):
    result = check(stack_graph(stack, preview=preview))
    assert [(d.policy, d.urn, d.message) for d in result.mandatory] == []
    assert result.cant_run == [], "rules must check known values instead of tripping the unknown proxy"


@pytest.mark.parametrize("preview", [False, True], ids=["up", "first-preview"])
def test_the_account_bootstrap_passes_with_no_mandatory_violation(preview):
    # `pulumi preview --policy-pack policies/security` in bootstrap/ must pass too: its CI role runs
    # `pulumi up`, the broadest IAM in the repository, and is judged like every stack's roles.
    result = check(capture_stack("main", BOOTSTRAP, preview=preview))
    assert [(d.policy, d.urn, d.message) for d in result.mandatory] == []
    assert result.cant_run == []


def test_dev_stack_is_not_held_to_prod_only_rules(stack_graph):
    result = check(stack_graph("dev"))
    skipped = {name for name, reason in result.not_applicable if "prod only" in reason}
    assert {"rds-deletion-protection", "rds-final-snapshot"} <= skipped


# -- weakenings -----------------------------------------------------------------------------------

def the(graph: ResourceGraph, type_: str, where: Callable[[Resource], bool] = lambda r: True) -> Resource:
    found = [r for r in graph.of_type(type_) if where(r)]
    if not found:
        pytest.fail(f"the program has no {type_} matching the weakening (the fixture changed?)")
    return found[0]


def set_both(resource: Resource, key: str, value: Any) -> None:
    for props in (resource.inputs, resource.outputs):
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value


def remove(graph: ResourceGraph, type_: str) -> None:
    targets = graph.of_type(type_)
    if not targets:
        pytest.fail(f"the program has no {type_} (the fixture changed?)")
    graph.resources = [r for r in graph.resources if r not in targets]


def containers(graph: ResourceGraph, change: Callable[[dict[str, Any]], None]) -> None:
    task = the(graph, "aws:ecs/taskDefinition:TaskDefinition")
    definitions = json.loads(task.inputs["containerDefinitions"])
    change(definitions[0])
    set_both(task, "containerDefinitions", json.dumps(definitions))


def route_tables_to_igw(graph: ResourceGraph) -> set[str]:
    igws = {r.urn for r in graph.of_type("aws:ec2/internetGateway:InternetGateway")}
    tables = {u for r in graph.of_type("aws:ec2/route:Route")
              if set(r.property_dependencies.get("gatewayId", [])) & igws
              for u in r.property_dependencies.get("routeTableId", [])}
    return tables | {r.urn for r in graph.of_type("aws:ec2/routeTable:RouteTable")
                     if set(r.property_dependencies.get("routes", [])) & igws}


def public_subnet(graph: ResourceGraph) -> Resource:
    tables = route_tables_to_igw(graph)
    urns = {u for a in graph.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
            if set(a.property_dependencies.get("routeTableId", [])) & tables
            for u in a.property_dependencies.get("subnetId", [])}
    subnet = next((graph.get(u) for u in sorted(urns)), None)
    if subnet is None:
        pytest.fail("the program has no subnet routed to an internet gateway (the fixture changed?)")
    return subnet


def move_to_public_subnet(graph: ResourceGraph, resource: Resource, key: str) -> None:
    subnet = public_subnet(graph)
    group = graph.get(resource.property_dependencies[key][0])
    set_both(group, "subnetIds", [subnet.outputs.get("id")])
    group.property_dependencies["subnetIds"] = [subnet.urn]


def data_subnet_maps_public_ip(graph: ResourceGraph) -> None:
    db = the(graph, "aws:rds/instance:Instance")
    group = graph.get(db.property_dependencies["dbSubnetGroupName"][0])
    set_both(graph.get(group.property_dependencies["subnetIds"][0]), "mapPublicIpOnLaunch", True)


def sg_rule_from_cidr(graph: ResourceGraph, port: int, cidr: str) -> None:
    rule = the(graph, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
               lambda r: r.inputs.get("fromPort") == port and r.inputs.get("referencedSecurityGroupId"))
    set_both(rule, "referencedSecurityGroupId", None)
    rule.property_dependencies.pop("referencedSecurityGroupId", None)
    set_both(rule, "cidrIpv4", cidr)


def oidc_sub(graph: ResourceGraph, sub: str) -> None:
    role = the(graph, "aws:iam/role:Role", lambda r: "token.actions.githubusercontent.com" in
               str(r.inputs.get("assumeRolePolicy")))
    document = json.loads(role.inputs["assumeRolePolicy"])
    for statement in document["Statement"]:
        for block in statement.get("Condition", {}).values():
            if "token.actions.githubusercontent.com:sub" in block:
                block["token.actions.githubusercontent.com:sub"] = sub
    set_both(role, "assumeRolePolicy", json.dumps(document))


def same_task_roles(graph: ResourceGraph) -> None:
    task = the(graph, "aws:ecs/taskDefinition:TaskDefinition")
    set_both(task, "taskRoleArn", task.inputs.get("executionRoleArn"))
    task.property_dependencies["taskRoleArn"] = list(task.property_dependencies.get("executionRoleArn", []))


def listener(protocol: str) -> Callable[[Resource], bool]:
    return lambda r: r.inputs.get("protocol") == protocol


RDS, REDIS = "aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup"
ECR, LB = "aws:ecr/repository:Repository", "aws:lb/loadBalancer:LoadBalancer"
ADMIN_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                                     "Resource": "*"}]})
WEAKENINGS: list[tuple[str, str, Callable[[ResourceGraph], None]]] = [
    ("rds-storage-encrypted", "database unencrypted", lambda g: set_both(the(g, RDS), "storageEncrypted", False)),
    ("rds-not-publicly-accessible", "database public", lambda g: set_both(the(g, RDS), "publiclyAccessible", True)),
    ("rds-backup-retention", "one day of backups", lambda g: set_both(the(g, RDS), "backupRetentionPeriod", 1)),
    ("rds-deletion-protection", "no deletion protection",
     lambda g: set_both(the(g, RDS), "deletionProtection", False)),
    ("rds-final-snapshot", "no final snapshot", lambda g: set_both(the(g, RDS), "skipFinalSnapshot", True)),
    ("rds-force-ssl", "force_ssl off", lambda g: set_both(
        the(g, "aws:rds/parameterGroup:ParameterGroup"), "parameters", [{"name": "rds.force_ssl", "value": "0"}])),
    ("redis-encryption-at-rest", "cache unencrypted at rest",
     lambda g: set_both(the(g, REDIS), "atRestEncryptionEnabled", False)),
    ("redis-encryption-in-transit", "cache without TLS",
     lambda g: set_both(the(g, REDIS), "transitEncryptionEnabled", False)),
    ("redis-auth", "cache without AUTH", lambda g: set_both(the(g, REDIS), "authToken", None)),
    ("data-tier-private-subnets", "database in a public subnet",
     lambda g: move_to_public_subnet(g, the(g, RDS), "dbSubnetGroupName")),
    ("data-tier-private-subnets", "cache in a public subnet",
     lambda g: move_to_public_subnet(g, the(g, REDIS), "subnetGroupName")),
    ("data-tier-private-subnets", "data subnet maps public IPs", data_subnet_maps_public_ip),
    ("security-group-data-tier-ingress", "postgres from the VPC CIDR",
     lambda g: sg_rule_from_cidr(g, 5432, "10.0.0.0/16")),
    ("security-group-public-ingress", "app port from the internet",
     lambda g: sg_rule_from_cidr(g, 8000, "0.0.0.0/0")),
    ("security-group-no-all-ports-ingress", "all protocols into the app",
     lambda g: set_both(the(g, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                            lambda r: r.inputs.get("fromPort") == 8000), "ipProtocol", "-1")),
    ("default-security-group-closed", "default group allows all within itself", lambda g: set_both(
        the(g, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"), "ingress",
        [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}])),
    ("vpc-flow-logs", "no flow log", lambda g: remove(g, "aws:ec2/flowLog:FlowLog")),
    ("ecr-scan-on-push", "no scanning", lambda g: set_both(the(g, ECR), "imageScanningConfiguration",
                                                           {"scanOnPush": False})),
    ("ecr-immutable-tags", "mutable tags", lambda g: set_both(the(g, ECR), "imageTagMutability", "MUTABLE")),
    ("ecr-lifecycle-policy", "no lifecycle policy", lambda g: remove(g, "aws:ecr/lifecyclePolicy:LifecyclePolicy")),
    ("log-group-retention", "logs kept forever",
     lambda g: set_both(the(g, "aws:cloudwatch/logGroup:LogGroup"), "retentionInDays", None)),
    ("ssm-secret-parameters-secure", "database URL as a plain String",
     lambda g: set_both(the(g, "aws:ssm/parameter:Parameter", lambda r: "database-url" in str(r.inputs.get("name"))),
                        "type", "String")),
    ("iam-no-admin-statements", "a role policy allows everything",
     lambda g: set_both(the(g, "aws:iam/rolePolicy:RolePolicy"), "policy", ADMIN_DOCUMENT)),
    ("iam-no-administrator-access", "AdministratorAccess on a role",
     lambda g: set_both(the(g, "aws:iam/role:Role"), "managedPolicyArns",
                        ["arn:aws:iam::aws:policy/AdministratorAccess"])),
    ("iam-github-oidc-trust-pinned", "deploy trust for any repository of the org",
     lambda g: oidc_sub(g, "repo:accunode/*")),
    ("iam-passrole-scoped", "deploy role may pass any role", lambda g: set_both(
        the(g, "aws:iam/rolePolicy:RolePolicy", lambda r: "iam:PassRole" in str(r.inputs.get("policy"))), "policy",
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}]}))),
    ("ecs-task-roles-distinct", "task runs with the execution role", same_task_roles),
    ("ecs-container-non-root", "container as root", lambda g: containers(g, lambda c: c.update(user="0"))),
    ("ecs-container-read-only-root", "writable root filesystem",
     lambda g: containers(g, lambda c: c.update(readonlyRootFilesystem=False))),
    ("ecs-container-not-privileged", "privileged container",
     lambda g: containers(g, lambda c: c.update(privileged=True))),
    ("ecs-container-no-plaintext-secrets", "password in the environment", lambda g: containers(
        g, lambda c: c.setdefault("environment", []).append({"name": "DB_PASSWORD", "value": "hunter2hunter2"}))),
    ("ecs-container-logging", "no log driver", lambda g: containers(g, lambda c: c.pop("logConfiguration", None))),
    ("ecs-service-no-public-ip", "tasks get public IPs", lambda g: the(g, "aws:ecs/service:Service")
     .inputs["networkConfiguration"].update(assignPublicIp=True)),
    ("alb-drop-invalid-headers", "invalid headers forwarded",
     lambda g: set_both(the(g, LB), "dropInvalidHeaderFields", False)),
    ("alb-access-logs", "no access logs", lambda g: set_both(the(g, LB), "accessLogs", {"enabled": False})),
    ("alb-deletion-protection", "load balancer deletable",
     lambda g: set_both(the(g, LB), "enableDeletionProtection", False)),
    ("alb-tls-policy", "TLS 1.0 allowed", lambda g: set_both(
        the(g, "aws:lb/listener:Listener", listener("HTTPS")), "sslPolicy", "ELBSecurityPolicy-2016-08")),
    ("alb-http-redirects-to-https", "HTTP served in the clear", lambda g: (
        the(g, "aws:lb/listener:Listener", listener("HTTPS")),
        set_both(the(g, "aws:lb/listener:Listener", listener("HTTP")), "defaultActions",
                 [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg"}]))),
    ("s3-public-access-blocked", "no public access block",
     lambda g: remove(g, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")),
    ("s3-bucket-encryption", "no encryption configuration", lambda g: remove(
        g, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")),
]



# -- the changes people make next: new resource types and other spellings on the real program ----------

def add_resource(graph: ResourceGraph, type_: str, name: str, inputs: dict[str, Any],
                 deps: dict[str, list[str]] | None = None) -> Resource:
    resource = Resource(urn=f"urn:pulumi:{graph.stack}::{graph.project}::{type_}::{name}", type=type_, name=name,
                        custom=True, inputs=inputs, outputs=dict(inputs), property_dependencies=deps or {},
                        dependencies=sorted({u for urns in (deps or {}).values() for u in urns}))
    graph.resources.append(resource)
    return resource


def scheduled_task(graph: ResourceGraph, public_ip: bool = False, in_public_subnet: bool = False) -> None:
    """An EventBridge rule that runs the worker's task definition, networked like the worker service."""
    service = the(graph, "aws:ecs/service:Service", lambda r: "worker" in r.name)
    network = dict(service.inputs["networkConfiguration"], assignPublicIp=public_ip)
    deps = list(service.property_dependencies.get("networkConfiguration", []))
    if in_public_subnet:
        subnet = public_subnet(graph)
        network["subnets"] = [subnet.outputs.get("id")]
        deps = [subnet.urn]
    add_resource(graph, "aws:cloudwatch/eventTarget:EventTarget", "nightly-reindex", {
        "rule": "accunode-prod-nightly", "arn": "arn:aws:ecs:us-east-1:123456789012:cluster/accunode-prod",
        "ecsTarget": {"taskDefinitionArn": service.inputs.get("taskDefinition"), "launchType": "FARGATE",
                      "networkConfiguration": network}}, {"ecsTarget": deps})


def policy_with(graph: ResourceGraph, statement: dict[str, Any]) -> None:
    policy = the(graph, "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy.inputs["policy"])
    document["Statement"].append(statement)
    set_both(policy, "policy", json.dumps(document))


def public_bucket_policy(graph: ResourceGraph) -> None:
    policy = the(graph, "aws:s3/bucketPolicy:BucketPolicy")
    document = json.loads(policy.inputs["policy"])
    document["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                                  "Resource": "arn:aws:s3:::accunode-prod/*"})
    set_both(policy, "policy", json.dumps(document))


def open_task_trust(graph: ResourceGraph) -> None:
    role = the(graph, "aws:iam/role:Role", lambda r: "ecs-tasks" in str(r.inputs.get("assumeRolePolicy")))
    set_both(role, "assumeRolePolicy", json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}))


def plain_http_entry(graph: ResourceGraph) -> None:
    https = the(graph, "aws:lb/listener:Listener", listener("HTTPS"))
    graph.resources.remove(https)
    set_both(the(graph, "aws:lb/listener:Listener", listener("HTTP")), "defaultActions", https.inputs["defaultActions"])


def standalone_redis(graph: ResourceGraph) -> None:
    cache = the(graph, REDIS)
    add_resource(graph, "aws:elasticache/cluster:Cluster", "sessions", {
        "clusterId": "accunode-prod-sessions", "engine": "redis", "nodeType": "cache.t3.micro",
        "numCacheNodes": 1, "subnetGroupName": cache.inputs.get("subnetGroupName")},
        {"subnetGroupName": list(cache.property_dependencies.get("subnetGroupName", []))})


def unencrypted_aurora(graph: ResourceGraph) -> None:
    db = the(graph, RDS)
    add_resource(graph, "aws:rds/cluster:Cluster", "analytics", {
        "clusterIdentifier": "accunode-prod-analytics", "engine": "aurora-postgresql", "storageEncrypted": False,
        "backupRetentionPeriod": 7, "deletionProtection": True, "dbSubnetGroupName": db.inputs["dbSubnetGroupName"],
        "enabledCloudwatchLogsExports": ["postgresql"]},
        {"dbSubnetGroupName": list(db.property_dependencies.get("dbSubnetGroupName", []))})


def env_connection_string(graph: ResourceGraph) -> None:
    containers(graph, lambda c: c.setdefault("environment", []).append(
        {"name": "UPSTREAM", "value": "Server=db;User Id=app;Password=hunter2hunter2;"}))


NEXT_CHANGES: list[tuple[str, str, Callable[[ResourceGraph], None]]] = [
    ("ecs-service-no-public-ip", "scheduled task with a public IP", lambda g: scheduled_task(g, public_ip=True)),
    ("ecs-service-private-subnets", "scheduled task in a public subnet",
     lambda g: scheduled_task(g, in_public_subnet=True)),
    ("ecs-exec-disabled-in-prod", "ECS Exec on the API", lambda g: set_both(
        the(g, "aws:ecs/service:Service"), "enableExecuteCommand", True)),
    ("ecs-container-drop-capabilities", "capabilities kept",
     lambda g: containers(g, lambda c: c.pop("linuxParameters", None))),
    ("ecs-container-no-plaintext-secrets", "connection string in the environment", env_connection_string),
    ("iam-no-privilege-escalation", "task policy may attach policies to any role", lambda g: policy_with(
        g, {"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": "*"})),
    ("iam-no-not-action-allow", "task policy allows NotAction", lambda g: policy_with(
        g, {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})),
    ("iam-trust-not-open", "task role assumable by anyone", open_task_trust),
    ("resource-policy-not-public", "bucket policy opened to everyone", public_bucket_policy),
    ("lb-public-entry-tls", "public entry over plain HTTP", plain_http_entry),
    ("elasticache-cluster-encrypted", "a standalone Redis for sessions", standalone_redis),
    ("rds-storage-encrypted", "an unencrypted Aurora cluster", unencrypted_aurora),
    ("kms-key-rotation", "rotation off", lambda g: set_both(the(g, "aws:kms/key:Key"), "enableKeyRotation", False)),
    ("sqs-queue-encrypted", "queue SSE off", lambda g: set_both(the(g, "aws:sqs/queue:Queue"),
                                                                "sqsManagedSseEnabled", False)),
    ("sns-topic-encrypted", "topic without a key", lambda g: set_both(the(g, "aws:sns/topic:Topic"),
                                                                      "kmsMasterKeyId", None)),
    ("flow-log-all-traffic", "flow log of rejects only", lambda g: set_both(
        the(g, "aws:ec2/flowLog:FlowLog"), "trafficType", "REJECT")),
    ("rds-log-exports", "no log exports", lambda g: set_both(the(g, RDS), "enabledCloudwatchLogsExports", None)),
]
WEAKENINGS += NEXT_CHANGES

@pytest.mark.parametrize("preview", [False, True], ids=["up", "first-preview"])
@pytest.mark.parametrize(("rule", "weaken"), [pytest.param(rule, weaken, id=f"{rule}: {label}")
                                              for rule, label, weaken in WEAKENINGS])
def test_weakened_prod_stack_is_caught(stack_graph, rule, weaken, preview):
    graph = stack_graph("prod", preview=preview)
    weaken(graph)
    found = check(graph).of(rule)
    assert found, f"{rule} did not catch the weakened prod stack"
    assert {d.level for d in found} == {LEVELS[rule]}


WAF = {"alb-waf-attached": {"requireWaf": True}}


def test_waf_required_is_met_by_the_enterprise_tier_and_caught_when_detached(stack_graph):
    graph = stack_graph("prod", **{"accunode:tier": "enterprise"})
    assert check(graph, WAF).of("alb-waf-attached") == []
    remove(graph, "aws:wafv2/webAclAssociation:WebAclAssociation")
    assert [d.level for d in check(graph, WAF).of("alb-waf-attached")] == ["mandatory"]


def test_waf_required_on_a_tier_without_waf_is_caught(stack_graph):
    assert check(stack_graph("prod"), WAF).of("alb-waf-attached")


def test_waf_implied_by_the_enterprise_preset_is_required_without_policy_config(stack_graph):
    graph = stack_graph("prod", **{"accunode:tier": "enterprise"})
    assert "accunode:waf" not in graph.config  # only the tier preset asks for it
    assert check(graph).of("alb-waf-attached") == []
    remove(graph, "aws:wafv2/webAclAssociation:WebAclAssociation")
    assert [d.level for d in check(graph).of("alb-waf-attached")] == ["mandatory"]
