"""The captured stacks as the engine would order and replace them on a real account.

- Every ECS service waits (transitively) for its image's registry, the SSM parameters its task
  definition names, the database and the cache: names in JSON create no dependency on their own.
- No resource whose replacement is blocked while it is in use has an explicit physical name
  (pulumi-terraform-bridge makes such a replacement delete-before-create).
- In prod, everything a retained resource stands on is retained too, or a destroy fails on it.
- prod, staging and dev fit in one account: no account-level resource, no physical name twice.
- Program checks that stop the run before any resource: a certificate of another account, and
  availability zones that are not regular zones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi_aws as aws
import pytest

from accunode.engine.capture import ACCOUNT_ID, CaptureError, capture_stack
from accunode.engine.graph import ResourceGraph
from tests.conftest import ROOT, captured
from tests.deploy.stacks import (
    ECR_REPOSITORY,
    ECS_SERVICE,
    RDS_INSTANCE,
    REDIS,
    SSM_PARAMETER,
    STACKS,
    closure,
    containers,
    task_definition_of,
)

# Replacing one of these while it is in use fails if the old one must go first: a target group behind
# a listener (ResourceInUse), a security group on ENIs/ALB/RDS/Redis (DependencyViolation), a DB
# parameter group of a running instance (InvalidDBParameterGroupState). Their auto-named field:
REPLACE_BLOCKED_WHILE_IN_USE = {
    "aws:lb/targetGroup:TargetGroup": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:rds/parameterGroup:ParameterGroup": "name",
}
# Resources of which an account holds one (per URL or in total): they belong to bootstrap/.
ACCOUNT_LEVEL = {
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "aws:iam/accountPasswordPolicy:AccountPasswordPolicy",
    "aws:iam/accountAlias:AccountAlias", "aws:ebs/encryptionByDefault:EncryptionByDefault",
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "aws:guardduty/detector:Detector",
    "aws:securityhub/account:Account", "aws:cloudtrail/trail:Trail",
}
# Names unique in an account (and region): the same value from two stacks is a collision.
PHYSICAL_NAMES = {
    "aws:budgets/budget:Budget": "name", "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
    "aws:cloudwatch/logGroup:LogGroup": "name", "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:ecr/repository:Repository": "name", "aws:ecs/cluster:Cluster": "name",
    "aws:ecs/taskDefinition:TaskDefinition": "family", "aws:elasticache/replicationGroup:ReplicationGroup":
    "replicationGroupId", "aws:elasticache/subnetGroup:SubnetGroup": "name", "aws:iam/role:Role": "name",
    "aws:kms/alias:Alias": "name", "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:rds/instance:Instance": "identifier", "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:s3/bucket:Bucket": "bucket", "aws:sns/topic:Topic": "name", "aws:sqs/queue:Queue": "name",
    "aws:ssm/parameter:Parameter": "name", "aws:wafv2/webAcl:WebAcl": "name",
}
OTHER_ACCOUNT_CERTIFICATE = "arn:aws:acm:us-east-1:210987654321:certificate/5f0c7a4e-8d1b-4c3a-9e2f-1a2b3c4d5e6f"


@pytest.fixture(scope="module", params=STACKS)
def graph(request: pytest.FixtureRequest) -> ResourceGraph:
    return captured(request.param)


def test_every_stack_runs_two_ecs_services(graph: ResourceGraph) -> None:
    assert sorted(s.props["name"] for s in graph.of_type(ECS_SERVICE)) == [
        f"accunode-{graph.stack}-api", f"accunode-{graph.stack}-worker"]


def test_every_ecs_service_waits_for_its_image_registry(graph: ResourceGraph) -> None:
    for service in graph.of_type(ECS_SERVICE):
        waits_for = closure(graph, service)
        for container in containers(task_definition_of(graph, service)):
            repository_name = container["image"].split("/", 1)[1].rsplit(":", 1)[0]
            registries = [r for r in waits_for if r.type == ECR_REPOSITORY and r.props["name"] == repository_name]
            assert registries, f"{service.name} does not wait for the ECR repository {repository_name}"


def test_with_an_image_build_every_ecs_service_waits_for_the_image() -> None:
    dev = captured("dev", **{"accunode:buildImage": True})
    (image,) = [r for r in dev.resources if r.type == "awsx:ecr:Image"]
    for service in dev.of_type(ECS_SERVICE):
        assert image.urn in service.dependencies, service.name


def test_every_ecs_service_waits_for_the_parameters_it_reads(graph: ResourceGraph) -> None:
    for service in graph.of_type(ECS_SERVICE):
        waited = {r.props["name"] for r in closure(graph, service) if r.type == SSM_PARAMETER}
        named = {secret["valueFrom"].split(":parameter", 1)[1]
                 for container in containers(task_definition_of(graph, service))
                 for secret in container.get("secrets", [])}
        assert named, f"{service.name} reads no parameter: the test would prove nothing"
        assert named <= waited, f"{service.name} starts before {sorted(named - waited)} exist"


def test_every_ecs_service_waits_for_the_database_and_the_cache(graph: ResourceGraph) -> None:
    for service in graph.of_type(ECS_SERVICE):
        types = {r.type for r in closure(graph, service)}
        assert {RDS_INSTANCE, REDIS} <= types, service.name


def test_the_ordering_check_catches_a_service_that_names_its_parameters_only(graph: ResourceGraph) -> None:
    # The same graph without the explicit dependencies: what the task definition alone gives.
    service = graph.of_type(ECS_SERVICE)[0]
    service.dependencies = [urn for urn in service.dependencies if graph.get(urn).type not in (
        SSM_PARAMETER, RDS_INSTANCE, REDIS, ECR_REPOSITORY, "aws:ecr/lifecyclePolicy:LifecyclePolicy")]
    assert not {SSM_PARAMETER, RDS_INSTANCE, REDIS, ECR_REPOSITORY} & {r.type for r in closure(graph, service)}


def test_no_resource_blocked_while_in_use_has_an_explicit_name(graph: ResourceGraph) -> None:
    for type_, key in REPLACE_BLOCKED_WHILE_IN_USE.items():
        resources = graph.of_type(type_)
        assert resources, type_
        named = [r.name for r in resources if r.props.get(key) is not None]
        assert not named, f"{type_} {named} set {key}: a replacement would delete it while in use"


def test_prod_retains_everything_its_retained_resources_stand_on() -> None:
    prod = captured("prod")
    retained = [r for r in prod.custom_resources if r.options.get("retainOnDelete")]
    assert RDS_INSTANCE in {r.type for r in retained}
    for resource in retained:
        for needed in closure(prod, resource):
            if needed.custom and needed.type.startswith("aws:"):
                assert needed.options.get("retainOnDelete"), (
                    f"{resource.name} is retained but {needed.name} ({needed.type}) is deleted under it")
    # Concretely: the instance's subnet group, parameter group, data security group, subnets and VPC.
    kept_types = {r.type for r in retained}
    assert {"aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup",
            "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/subnet:Subnet", "aws:ec2/vpc:Vpc"} <= kept_types


@pytest.mark.parametrize("stack", ["staging", "dev"])
def test_outside_prod_nothing_is_retained(stack: str) -> None:
    assert not [r.name for r in captured(stack).custom_resources if r.options.get("retainOnDelete")]


def test_no_stack_creates_an_account_level_resource(graph: ResourceGraph) -> None:
    assert not [r.name for r in graph.custom_resources if r.type in ACCOUNT_LEVEL]


def test_prod_staging_and_dev_fit_in_one_account_without_a_name_collision() -> None:
    owners: dict[tuple[str, Any], str] = {}
    for stack in STACKS:
        for resource in captured(stack).custom_resources:
            key = PHYSICAL_NAMES.get(resource.type)
            if key is None or resource.props.get(key) is None:
                continue
            name = (resource.type, resource.props[key])
            assert name not in owners, f"{name} is created by both {owners[name]} and {stack}"
            owners[name] = stack
    assert len(owners) > 100  # every stack contributed its names


def _capture_fails(**overrides: Any) -> CaptureError:
    with pytest.raises(CaptureError) as caught:
        capture_stack("prod", ROOT, config_overrides=overrides)
    return caught.value


def test_a_certificate_of_another_account_stops_the_program_before_any_resource() -> None:
    error = _capture_fails(**{"accunode:certificateArn": OTHER_ACCOUNT_CERTIFICATE})
    assert str(error).startswith("accunode:certificateArn: certificate ")
    assert "belongs to account 210987654321" in str(error) and f"deploys to account {ACCOUNT_ID}" in str(error)
    assert error.graph is not None and error.graph.custom_resources == []


def test_subnets_go_to_regular_zones_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """An account opted into a Local Zone gets it from the plain lookup (and it sorts first)."""
    calls: list[dict[str, Any]] = []
    real: Callable[..., Any] = aws.get_availability_zones

    def lookup(**kwargs: Any) -> Any:
        calls.append(kwargs)
        names = ["us-east-1a", "us-east-1b", "us-east-1c"]
        opt_in = [f.get("values") for f in kwargs.get("filters") or [] if f.get("name") == "opt-in-status"]
        if opt_in != [["opt-in-not-required"]]:
            names = ["us-east-1-bos-1a", *names]
        result = real(**kwargs)
        return type(result)(all_availability_zones=None, exclude_names=None, exclude_zone_ids=None, filters=None,
                            group_names=None, id=result.id, names=names, region=None, state="available",
                            zone_ids=result.zone_ids)

    monkeypatch.setattr(aws, "get_availability_zones", lookup)
    graph = capture_stack("dev", ROOT)
    assert calls and calls[0]["state"] == "available"
    zones = {s.props["availabilityZone"] for s in graph.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"us-east-1a", "us-east-1b"}
