"""Legitimate variations of the platform pass the security pack with no mandatory violation, on a
normal and on a first preview (every computed id and ARN unknown): the changes people make next
that are not weakenings must not be blocked."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import accunode_security as security
import pytest

from accunode.engine.graph import Resource, ResourceGraph
from tests.policies._preview import first_preview
from tests.policies._requests import PackHarness
from tests.policies._stack import StackBuilder, container_definitions, secure_stack, set_prop
from tests.policies.test_security_rules import harness

RDS, SUBNET = "aws:rds/instance:Instance", "aws:ec2/subnet:Subnet"


def internal_load_balancer(s: StackBuilder) -> None:
    s.add("aws:lb/loadBalancer:LoadBalancer", "internal-alb", {
        "name": "accunode-test-internal", "loadBalancerType": "application", "internal": True,
        "securityGroups": [s.id("api-sg")], "subnets": [s.id("private-a")], "dropInvalidHeaderFields": True,
        "enableDeletionProtection": True, "accessLogs": {"bucket": "accunode-test-alb-logs", "enabled": True}},
        securityGroups="api-sg", subnets="private-a")
    s.add("aws:lb/listener:Listener", "internal-http", {
        "loadBalancerArn": s.arn("internal-alb"), "protocol": "HTTP", "port": 80,
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/internal"}]},
        loadBalancerArn="internal-alb")


def read_replica(s: StackBuilder) -> None:
    """Same-region replica: inherits encryption, subnet group and parameter group; no final snapshot."""
    s.add(RDS, "db-replica", {"replicateSourceDb": "accunode-test-db", "instanceClass": "db.t3.small",
                              "publiclyAccessible": False, "skipFinalSnapshot": True, "deletionProtection": True,
                              "vpcSecurityGroupIds": [s.id("data-sg")],
                              "enabledCloudwatchLogsExports": ["postgresql"]},
          replicateSourceDb="db", vpcSecurityGroupIds="data-sg")


def extra_private_subnets(s: StackBuilder) -> None:
    for zone in ("b", "c"):
        s.add(SUBNET, f"private-{zone}", {"vpcId": s.id("vpc"), "cidrBlock": f"10.0.{16 * ord(zone)}.0/20",
                                          "availabilityZone": f"us-east-1{zone}", "mapPublicIpOnLaunch": False},
              vpcId="vpc")
        s.add("aws:ec2/routeTableAssociation:RouteTableAssociation", f"private-{zone}-rta",
              {"subnetId": s.id(f"private-{zone}"), "routeTableId": s.id("private-rt")},
              subnetId=f"private-{zone}", routeTableId="private-rt")
    group = s.resources["db-subnets"]
    set_prop(group, "subnetIds", [s.id("private-a"), s.id("private-b"), s.id("private-c")])
    group.property_dependencies["subnetIds"] = [s.resources[n].urn for n in ("private-a", "private-b", "private-c")]


def second_worker(s: StackBuilder) -> None:
    s.add("aws:ecs/taskDefinition:TaskDefinition", "reports-task", {
        "family": "accunode-test-reports", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512", "containerDefinitions": container_definitions(name="reports"),
        "executionRoleArn": s.arn("execution-role"), "taskRoleArn": s.arn("task-role")},
        executionRoleArn="execution-role", taskRoleArn="task-role")
    s.add("aws:ecs/service:Service", "reports-service", {
        "name": "accunode-test-reports", "launchType": "FARGATE", "taskDefinition": s.arn("reports-task"),
        "enableExecuteCommand": False,
        "networkConfiguration": {"subnets": [s.id("private-a")], "securityGroups": [s.id("api-sg")],
                                 "assignPublicIp": False}},
        networkConfiguration=["private-a", "api-sg"], taskDefinition="reports-task")


def harmless_secret_words(s: StackBuilder) -> None:
    environment = [{"name": "MODEL_KEY", "value": "models/v3/model.onnx"},
                   {"name": "PASSWORD_MIN_LENGTH", "value": "12"}, {"name": "TOKEN_TTL_SECONDS", "value": "3600"},
                   {"name": "AUTH_ENABLED", "value": "true"}, {"name": "SECRET_ARN", "value":
                       "arn:aws:secretsmanager:us-east-1:123456789012:secret:accunode/test/db-AbCdEf"},
                   {"name": "GIT_SHA", "value": "3f2a9c1e0b4d5f6a7b8c9d0e1f2a3b4c5d6e7f80"},
                   {"name": "MODEL_BUCKET", "value": "accunode-test-models-123456789012"},
                   {"name": "QUEUE_URL", "value": "https://sqs.us-east-1.amazonaws.com/123456789012/accunode-jobs"}]
    set_prop(s.resources["api-task"], "containerDefinitions", container_definitions(environment=environment))
    s.add("aws:ssm/parameter:Parameter", "min-length", {"name": "/accunode/test/password-min-length",
                                                         "type": "String", "value": "12"})
    s.add("aws:ssm/parameter:Parameter", "kms-key-arn", {"name": "/accunode/test/kms-key-arn", "type": "String",
                                                          "value": "arn:aws:kms:us-east-1:123456789012:key/abc"})


def ranges_that_do_not_cover_everything(s: StackBuilder) -> None:
    """Two partner ranges on the load balancer and an office range: broad, but not "anywhere"."""
    for name, cidr in (("partner-a", "0.0.0.0/2"), ("partner-b", "64.0.0.0/2")):
        s.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, {
            "securityGroupId": s.id("alb-sg"), "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
            "cidrIpv4": cidr}, securityGroupId="alb-sg")


def github_environment_trust(s: StackBuilder) -> None:
    from tests.policies._stack import github_trust
    set_prop(s.resources["deploy-role"], "assumeRolePolicy",
             github_trust(sub=["repo:accunode/accunode:environment:prod", "repo:accunode/accunode:ref:refs/tags/*"]))


VARIATIONS: dict[str, Callable[[StackBuilder], Any]] = {
    "internal load balancer with a plain HTTP listener": internal_load_balancer,
    "read replica": read_replica,
    "extra private subnets": extra_private_subnets,
    "a second worker service": second_worker,
    "non-secret variables with secret-like words": harmless_secret_words,
    "broad ranges that do not cover everything": ranges_that_do_not_cover_everything,
    "GitHub trust for an environment and tags": github_environment_trust,
}


def _mandatory(resources: list[Resource], stack_config: dict[str, str]) -> list[tuple[str, str]]:
    pack = PackHarness(security.PACK_NAME, security.ALL_POLICIES, security.PACK_ENFORCEMENT, None, stack_config)
    result = pack.preview(resources)
    assert not [d for d in result.diagnostics if "internal error" in d.message]
    return [(d.policy, d.message) for d in result.mandatory]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "first-preview"])
@pytest.mark.parametrize("variation", VARIATIONS.values(), ids=VARIATIONS.keys())
def test_legitimate_variation_of_the_secure_stack_passes(variation, preview):
    stack = secure_stack()
    variation(stack)
    resources = list(stack.resources.values())
    if preview:
        first_preview(resources)
    assert _mandatory(resources, {"accunode:environment": "prod"}) == []
    assert harness().preview(resources).of("alb-waf-attached") == []


def _prod_internal_alb(graph: ResourceGraph) -> None:
    lb = next(r for r in graph.resources if r.type == "aws:lb/loadBalancer:LoadBalancer")
    for props in (lb.inputs, lb.outputs):
        props["internal"] = True


def _prod_second_worker(graph: ResourceGraph) -> None:
    worker = next(r for r in graph.resources if r.type == "aws:ecs/service:Service" and "worker" in r.name)
    twin = copy.deepcopy(worker)
    twin.name, twin.urn = "reports-service", worker.urn.replace(worker.name, "reports-service")
    graph.resources.append(twin)


def _prod_harmless_words(graph: ResourceGraph) -> None:
    task = next(r for r in graph.resources if r.type == "aws:ecs/taskDefinition:TaskDefinition")
    containers = json.loads(task.inputs["containerDefinitions"])
    containers[0]["environment"] += [{"name": "MODEL_KEY", "value": "models/v3/model.onnx"},
                                     {"name": "PASSWORD_MIN_LENGTH", "value": "12"}]
    for props in (task.inputs, task.outputs):
        props["containerDefinitions"] = json.dumps(containers)


PROD_VARIATIONS = {"internal load balancer": _prod_internal_alb, "a second worker service": _prod_second_worker,
                   "non-secret variables with secret-like words": _prod_harmless_words}


@pytest.mark.parametrize("preview", [False, True], ids=["up", "first-preview"])
@pytest.mark.parametrize("variation", PROD_VARIATIONS.values(), ids=PROD_VARIATIONS.keys())
def test_legitimate_variation_of_the_prod_program_passes(stack_graph, variation, preview):
    graph = stack_graph("prod", preview=preview)
    variation(graph)
    assert _mandatory(graph.resources, graph.config) == []
