"""Fargate services: hardened task definitions, private networking, self-rolling-back deploys, scaling."""

from __future__ import annotations

import json

import pytest
from pulumi import Output

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph
from accunode.specs.scaling import CpuScaling, QueueScaling
from components.network import SubnetSet
from components.service import FargateService, FargateServiceArgs
from tests.components.stack import stack_context

TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
POLICY = "aws:appautoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SECRET_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/test/database-url"


def _args(role: str = "api", tier: str = "private", **overrides) -> FargateServiceArgs:
    values = dict(
        context=stack_context(tags={"project": "accunode"}), service_name=f"accunode-test-{role}", container_name=role,
        cluster_name="accunode-test", repository_name="accunode-test", image_tag="v1",
        subnets=SubnetSet(tier, (Output.from_input("subnet-a"), Output.from_input("subnet-b"))),
        security_group_ids=[f"sg-{role}"], execution_role_arn="arn:aws:iam::123456789012:role/exec",
        task_role_arn="arn:aws:iam::123456789012:role/task", cpu=512, memory=1024, desired_count=1,
        environment={"APP_ROLE": role}, secrets={"DATABASE_URL": SECRET_ARN}, log_retention_days=30)
    if role == "api":
        values.update(container_port=8000, target_group_arn="arn:aws:elasticloadbalancing:tg/api",
                      scaling=CpuScaling(1, 10), rollback_alarm_names=("accunode-test-alb-5xx-rate",
                                                                       "accunode-test-alb-unhealthy-targets"))
    else:
        values.update(scaling=QueueScaling("accunode-test-jobs", 0, 5), desired_count=0, spot=True)
    return FargateServiceArgs(**{**values, **overrides})


def _build(role: str = "api", **overrides) -> ResourceGraph:
    return run_program(lambda: FargateService(role, _args(role, **overrides)))


@pytest.fixture(scope="module")
def api() -> ResourceGraph:
    return _build("api")


@pytest.fixture(scope="module")
def worker() -> ResourceGraph:
    return _build("worker")


def containers(graph: ResourceGraph) -> list[dict]:
    return json.loads(graph.find(TASK).props["containerDefinitions"])


@pytest.mark.parametrize("role", ["api", "worker"])
def test_containers_are_non_root_read_only_unprivileged_with_secrets_from_ssm(role, api, worker):
    graph = {"api": api, "worker": worker}[role]
    (container,) = containers(graph)
    assert container["user"] == "1000:1000"
    assert container["readonlyRootFilesystem"] is True and container["privileged"] is False
    assert container["secrets"] == [{"name": "DATABASE_URL", "valueFrom": SECRET_ARN}]
    assert "DATABASE_URL" not in {e["name"] for e in container["environment"]}
    assert graph.find(TASK).props["volumes"] == [{"name": "tmp"}]


def test_task_definition_is_fargate_sized_with_separate_roles_and_its_log_group(api):
    props = api.find(TASK).props
    assert (props["cpu"], props["memory"], props["networkMode"]) == ("512", "1024", "awsvpc")
    assert props["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}
    assert props["executionRoleArn"] != props["taskRoleArn"]
    log_group = api.find("aws:cloudwatch/logGroup:LogGroup").props
    assert log_group == {"name": "/ecs/accunode-test-api", "retentionInDays": 30, "tags": {
        "project": "accunode", "Name": "accunode-test-api"}}
    assert containers(api)[0]["logConfiguration"]["options"]["awslogs-group"] == "/ecs/accunode-test-api"


def test_arm64_architecture_reaches_the_runtime_platform():
    graph = _build("api", cpu_architecture="arm64")
    assert graph.find(TASK).props["runtimePlatform"]["cpuArchitecture"] == "ARM64"


def test_service_runs_in_private_subnets_without_public_ip(api):
    network = api.find(SERVICE).props["networkConfiguration"]
    assert network == {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-api"], "assignPublicIp": False}


def test_deployments_roll_back_on_circuit_breaker_and_on_the_rollback_alarms(api):
    props = api.find(SERVICE).props
    assert props["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert props["alarms"] == {"alarmNames": ["accunode-test-alb-5xx-rate", "accunode-test-alb-unhealthy-targets"],
                               "enable": True, "rollback": True}


def test_autoscaling_owns_the_desired_count(api, worker):
    for graph in (api, worker):
        assert graph.find(SERVICE).options["ignoreChanges"] == ["desiredCount"]
    unscaled = _build("api", scaling=None)
    assert unscaled.find(SERVICE).options["ignoreChanges"] == []


def test_api_is_registered_with_the_target_group_and_scales_on_cpu(api):
    props = api.find(SERVICE).props
    assert props["loadBalancers"] == [{"targetGroupArn": "arn:aws:elasticloadbalancing:tg/api",
                                       "containerName": "api", "containerPort": 8000}]
    assert props["launchType"] == "FARGATE"
    target = api.find("aws:appautoscaling/target:Target").props
    assert (target["resourceId"], target["minCapacity"], target["maxCapacity"]) == (
        "service/accunode-test/accunode-test-api", 1, 10)
    policy = api.find(POLICY).props
    assert policy["policyType"] == "TargetTrackingScaling"
    assert policy["targetTrackingScalingPolicyConfiguration"]["targetValue"] == 70


def test_worker_runs_on_spot_and_scales_on_queue_depth_with_two_alarms_and_two_step_policies(worker):
    props = worker.find(SERVICE).props
    assert props["capacityProviderStrategies"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert "launchType" not in props and "loadBalancers" not in props
    assert worker.find("aws:appautoscaling/target:Target").props["minCapacity"] == 0
    policies = {p.name: p for p in worker.of_type(POLICY)}
    assert {p.props["policyType"] for p in policies.values()} == {"StepScaling"}
    alarms = {a.props["name"]: a for a in worker.of_type(ALARM)}
    assert set(alarms) == {"accunode-test-worker-queue-scale-out", "accunode-test-worker-queue-scale-in"}
    out = alarms["accunode-test-worker-queue-scale-out"]
    assert (out.props["threshold"], out.props["comparisonOperator"]) == (5, "GreaterThanThreshold")
    assert out.property_dependencies["alarmActions"] == [policies["worker-queue-scale-out"].urn]


@pytest.mark.parametrize("overrides, message", [
    ({"tier": "public"}, "private subnets"),
    ({"cpu": 512, "memory": 512}, "Fargate task size"),
    ({"spot": True, "cpu_architecture": "arm64"}, "Spot"),
    ({"target_group_arn": None}, "go together"),
    ({"desired_count": 11}, "scaling range"),
    ({"log_retention_days": 10}, "retention"),
    ({"secrets": {"DATABASE_URL": "postgresql://u:p@h/db"}}, "SSM parameter ARN"),
])
def test_service_args_reject_unsafe_or_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args("api", **overrides)
