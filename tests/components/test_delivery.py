"""Progressive delivery of the API, per strategy, on the whole program: the target groups, the listener
rules ECS shifts, the traffic role and the service's deployment configuration; the worker always rolls."""

from __future__ import annotations

import json

import pytest

from accunode.specs import deployment, iam
from accunode.specs.alarms import rollback_alarm_names
from components.service import FargateServiceArgs
from tests.components.test_service import _args
from tests.conftest import captured

SERVICE, TG = "aws:ecs/service:Service", "aws:lb/targetGroup:TargetGroup"
RULE, LISTENER = "aws:lb/listenerRule:ListenerRule", "aws:lb/listener:Listener"
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
STEPS = {"blue-green": {}, "canary": {"canaryPercent": 5, "canaryBakeMinutes": 3},
         "linear": {"stepPercent": 20, "stepBakeMinutes": 2}}


def prod_with(strategy: str, **keys: object):
    return captured("prod", **{"accunode:api": {"deployment": {"strategy": strategy, **keys}}})


@pytest.mark.parametrize("strategy", ["blue-green", "canary", "linear"])
def test_progressive_strategies_wire_two_groups_two_rules_and_the_traffic_role(strategy: str) -> None:
    graph = prod_with(strategy, bakeMinutes=20, **STEPS[strategy])
    groups = graph.of_type(TG)
    assert len(groups) == 2
    primary, alternate = graph.find(TG, "load-balancer-api"), graph.find(TG, "load-balancer-api-alt")
    https = next(listener for listener in graph.of_type(LISTENER) if listener.props["protocol"] == "HTTPS")
    http = next(listener for listener in graph.of_type(LISTENER) if listener.props["protocol"] == "HTTP")
    assert [a["type"] for a in http.props["defaultActions"]] == ["redirect"]  # HTTP stays a redirect
    assert [a["type"] for a in https.props["defaultActions"]] == ["fixed-response"]
    rules = {r.name: r for r in graph.of_type(RULE)}
    assert set(rules) == {"load-balancer-production-rule", "load-balancer-test-rule"}
    for rule in rules.values():
        assert rule.property_dependencies["listenerArn"] == [https.urn]
        assert set(rule.property_dependencies["actions"]) == {primary.urn, alternate.urn}
        assert [g["weight"] for g in rule.props["actions"][0]["forward"]["targetGroups"]] == [100, 0]
    assert rules["load-balancer-production-rule"].props["conditions"] == [{"pathPattern": {"values": ["/*"]}}]
    assert rules["load-balancer-test-rule"].props["conditions"][0]["httpHeader"]["httpHeaderName"] == \
        deployment.TEST_HEADER[0]

    role = graph.find(ROLE, "identity-ecs-traffic")
    assert json.loads(role.props["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    policy = json.loads(graph.find(ROLE_POLICY, "identity-ecs-traffic-policy").props["policy"])
    assert policy == iam.traffic_role_policy("123456789012", "us-east-1", "accunode-prod-alb")

    api, worker = graph.find(SERVICE, "api-service"), graph.find(SERVICE, "worker-service")
    config = api.props["deploymentConfiguration"]
    assert config["strategy"] == deployment.ECS_STRATEGY[strategy] and config["bakeTimeInMinutes"] == "20"
    assert ("canaryConfiguration" in config, "linearConfiguration" in config) == \
        (strategy == "canary", strategy == "linear")
    (block,) = api.props["loadBalancers"]
    advanced = block["advancedConfiguration"]
    assert advanced["roleArn"] == iam.role_arn("123456789012", "accunode-prod-ecs-traffic")
    assert {primary.urn, alternate.urn, *(r.urn for r in rules.values())} <= \
        set(api.property_dependencies["loadBalancers"])
    assert api.props["alarms"] == {"alarmNames": list(rollback_alarm_names("accunode-prod")), "enable": True,
                                   "rollback": True}
    assert api.props["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    # ECS owns what it shifts: the rules' weights and the service's primary/alternate pair.
    assert api.options["ignoreChanges"] == ["desiredCount", "loadBalancers"]
    assert all(rule.options["ignoreChanges"] == ["actions"] for rule in rules.values())
    assert "deploymentConfiguration" not in worker.props  # the worker rolls, with its circuit breaker
    assert worker.props["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_canary_and_linear_send_their_steps() -> None:
    canary = prod_with("canary", **STEPS["canary"]).find(SERVICE, "api-service").props["deploymentConfiguration"]
    assert canary["canaryConfiguration"] == {"canaryPercent": 5, "canaryBakeTimeInMinutes": "3"}
    linear = prod_with("linear", **STEPS["linear"]).find(SERVICE, "api-service").props["deploymentConfiguration"]
    assert linear["linearConfiguration"] == {"stepPercent": 20, "stepBakeTimeInMinutes": "2"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_rolling_has_one_group_no_rules_no_traffic_role(stack: str) -> None:
    graph = captured(stack) if stack == "dev" else prod_with("rolling")
    assert len(graph.of_type(TG)) == 1 and graph.of_type(RULE) == []
    assert "identity-ecs-traffic" not in {r.name for r in graph.of_type(ROLE)}
    api = graph.find(SERVICE, "api-service")
    assert "deploymentConfiguration" not in api.props
    assert api.options["ignoreChanges"] == ["desiredCount"]
    assert "advancedConfiguration" not in api.props["loadBalancers"][0]


def test_dev_without_a_certificate_puts_the_rules_on_its_http_listener() -> None:
    graph = captured("dev", **{"accunode:api": {"deployment": {"strategy": "blue-green"}}})
    (http,) = graph.of_type(LISTENER)
    assert {r.property_dependencies["listenerArn"][0] for r in graph.of_type(RULE)} == {http.urn}


def test_the_service_refuses_a_progressive_strategy_without_traffic_or_alarms() -> None:
    with pytest.raises(ValueError, match="needs target_group_arn and traffic"):
        _args(deployment=deployment.DeploymentSpec("canary"))
    with pytest.raises(ValueError, match="only used by a blue-green"):
        _args(traffic=object())
    assert isinstance(_args(), FargateServiceArgs)


def test_the_deployment_configuration_builder_per_strategy() -> None:
    assert deployment.deployment_configuration(deployment.DeploymentSpec("rolling")) is None
    assert deployment.deployment_configuration(deployment.DeploymentSpec("blue-green", bake_minutes=0)) == {
        "strategy": "BLUE_GREEN", "bake_time_in_minutes": "0"}
    spec = deployment.DeploymentSpec("linear", step_percent=30, step_bake_minutes=4, bake_minutes=10)
    assert spec.shift_steps() == [(30.0, 4), (60.0, 4), (90.0, 4), (100.0, 0)]
    assert spec.double_capacity_minutes() == 22
    assert deployment.DeploymentSpec("canary").shift_steps() == [(10.0, 10), (100.0, 0)]
    for bad in ({"strategy": "blue"}, {"bake_minutes": 1441}, {"canary_percent": 0.05}, {"step_percent": 2.9},
                {"step_percent": float("nan")}, {"bake_minutes": True}):
        with pytest.raises(ValueError):
            deployment.DeploymentSpec(**bad)
