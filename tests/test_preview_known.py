"""Acceptance for issue 3: on a first preview of the whole prod program, every task definition is fully
known (so policies can check it), and what it names exists in the same program."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accunode.engine.capture import stack_names
from accunode.engine.graph import ResourceGraph, contains_unknown

TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
HEALTH_EXPORTS = {"albDnsName", "targetGroupArn", "clusterName", "serviceNames", "queueUrl", "dlqUrl", "alarmNames",
                  "dashboardName", "deployRoleArn"}


@pytest.fixture(scope="module")
def prod(stack_graph) -> ResourceGraph:
    return stack_graph("prod", preview=True)


def test_prod_preview_has_the_api_and_worker_task_definitions(prod):
    assert prod.preview
    assert sorted(t.props["family"] for t in prod.of_type(TASK)) == ["accunode-prod-api", "accunode-prod-worker"]


@pytest.mark.parametrize("key", ["containerDefinitions", "executionRoleArn", "taskRoleArn"])
def test_task_definitions_are_fully_known_at_first_preview(prod, key):
    for task in prod.of_type(TASK):
        assert key in task.inputs, (task.name, key)
        assert not contains_unknown(task.inputs[key]), (task.name, key)


@pytest.mark.parametrize("stack", sorted(set(stack_names(Path(__file__).resolve().parents[1])) - {"prod"}))
def test_every_other_stacks_task_definitions_are_known_at_first_preview_too(stack, stack_graph):
    tasks = stack_graph(stack, preview=True).of_type(TASK)
    assert len(tasks) == 2
    for task in tasks:
        for key in ("containerDefinitions", "executionRoleArn", "taskRoleArn"):
            assert not contains_unknown(task.inputs[key]), (stack, task.name, key)


def test_task_roles_are_the_programs_own_distinct_roles(prod):
    roles = {r.urn: r.props["name"] for r in prod.of_type("aws:iam/role:Role")}
    for task in prod.of_type(TASK):
        (execution,) = task.property_dependencies["executionRoleArn"]
        (task_role,) = task.property_dependencies["taskRoleArn"]
        assert execution != task_role
        assert task.props["executionRoleArn"] == f"arn:aws:iam::123456789012:role/{roles[execution]}"
        assert task.props["taskRoleArn"] == f"arn:aws:iam::123456789012:role/{roles[task_role]}"


def test_containers_name_this_programs_image_log_groups_and_parameters(prod):
    repository = prod.find("aws:ecr/repository:Repository").props["name"]
    log_groups = {g.props["name"] for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    parameters = {p.props["name"] for p in prod.of_type("aws:ssm/parameter:Parameter")}
    for task in prod.of_type(TASK):
        (container,) = json.loads(task.props["containerDefinitions"])
        assert container["image"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}:2026.11.26-1"
        assert container["logConfiguration"]["options"]["awslogs-group"] in log_groups
        referenced = {s["valueFrom"].split(":parameter", 1)[1] for s in container["secrets"]}
        assert referenced == {"/accunode/prod/database-url", "/accunode/prod/redis-url"}
        assert referenced <= parameters


def test_api_rollback_alarms_exist_in_the_program(prod):
    alarms = {a.props["name"] for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    api = prod.find(SERVICE, "api-service").props
    assert api["alarms"]["rollback"] is True
    assert set(api["alarms"]["alarmNames"]) <= alarms and api["alarms"]["alarmNames"]


def test_prod_exports_what_accunode_health_looks_up(stack_graph):
    outputs = stack_graph("prod").outputs
    assert set(outputs) >= HEALTH_EXPORTS
    assert outputs["serviceNames"] == {"api": "accunode-prod-api", "worker": "accunode-prod-worker"}
    assert outputs["clusterName"] == "accunode-prod"
