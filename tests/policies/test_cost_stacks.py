"""The cost pack on the AccuNode program's own stacks, through the SDK's Analyzer servicer.

Graphs come from ``accunode.engine.capture`` with the stack's config in PULUMI_CONFIG, as the engine
passes it to packs; the budget figure must be the one ``accunode cost`` prints for the same stack.
"""

from __future__ import annotations

import json
import re
from typing import Any

import accunode_cost as cost
import pytest

from accunode.costs.stacks import estimate_graph
from accunode.engine.graph import ResourceGraph
from tests.policies._requests import PackHarness, Result

# A stack in another region needs a certificate from that region (the settings refuse any other).
_CERTIFICATE = "arn:aws:acm:{region}:123456789012:certificate/5f0c7a4e-8d1b-4c3a-9e2f-1a2b3c4d5e6f"

STACKS = ["prod", "dev", "staging"]


def check(graph: ResourceGraph, policy_config: dict[str, Any] | None = None) -> Result:
    harness = PackHarness(cost.PACK_NAME, cost.ALL_POLICIES, cost.PACK_ENFORCEMENT, policy_config, graph.config)
    return harness.preview(graph.resources)


def figures(message: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\$([\d,]+\.\d\d)", message)]


@pytest.mark.parametrize("preview", [False, True], ids=["up", "first-preview"])
@pytest.mark.parametrize("stack", STACKS)
def test_stack_passes_the_cost_pack(stack_graph, stack, preview):
    result = check(stack_graph(stack, preview=preview))
    assert [(d.policy, d.urn, d.message) for d in result.mandatory] == []
    assert result.cant_run == []
    assert not [d for d in result.diagnostics if "internal error" in d.message]


def test_budget_lowered_below_the_estimate_fails_with_the_figures(stack_graph):
    graph = stack_graph("prod")
    estimate = estimate_graph(graph)
    budget = round(estimate.total - 50, 2)
    [violation] = check(graph, {"monthly-budget": {"budget": budget}}).of("monthly-budget")
    assert violation.level == "mandatory"
    numbers = figures(violation.message)
    assert numbers[0] == estimate.total
    assert budget in numbers and 50.0 in numbers
    assert [round(line.monthly, 2) for line in estimate.largest(5)] == numbers[-5:]
    assert "NAT gateway hours" in violation.message


def test_budget_defaults_to_the_stacks_monthly_budget_setting(stack_graph):
    graph = stack_graph("prod")
    assert check(graph).of("monthly-budget") == []
    graph.config["accunode:monthlyBudget"] = "100"
    [violation] = check(graph).of("monthly-budget")
    assert "$100.00" in violation.message


def test_budget_in_the_message_equals_accunode_cost(stack_graph, capsys):
    from accunode.cli import main

    assert main(["cost", "--stack", "prod", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    [violation] = check(stack_graph("prod"), {"monthly-budget": {"budget": 1}}).of("monthly-budget")
    assert figures(violation.message)[0] == printed["totalMonthlyCost"]


def test_budget_uses_the_tiers_usage_profile_and_the_stacks_overrides(stack_graph):
    graph = stack_graph("prod")
    graph.config["accunode:usage"] = json.dumps({"natProcessedGb": 10000})
    expected = estimate_graph(graph).total
    assert expected > estimate_graph(stack_graph("prod")).total
    [violation] = check(graph, {"monthly-budget": {"budget": 1}}).of("monthly-budget")
    assert figures(violation.message)[0] == expected


def test_budget_on_the_autoscaling_maximum_when_configured(stack_graph):
    graph = stack_graph("prod")
    estimate = estimate_graph(graph)
    between = (estimate.total + estimate.total_max) / 2
    assert check(graph, {"monthly-budget": {"budget": between}}).of("monthly-budget") == []
    [violation] = check(graph, {"monthly-budget": {"budget": between, "basis": "max"}}).of("monthly-budget")
    assert "(max cost)" in violation.message


def test_budget_warning_is_advisory_at_the_configured_share(stack_graph):
    graph = stack_graph("dev")
    total = estimate_graph(graph).total
    quiet = check(graph, {"monthly-budget-warning": {"budget": total * 2, "share": 0.8}})
    assert quiet.of("monthly-budget-warning") == []
    warnings = check(graph, {"monthly-budget-warning": {"budget": total * 1.1, "share": 0.8}}).of(
        "monthly-budget-warning")
    assert {w.level for w in warnings} == {"advisory"}
    assert any("91% of the budget" in w.message for w in warnings)


def test_dev_with_a_multi_az_database_fails(stack_graph):
    graph = stack_graph("dev", **{"accunode:database": {"multiAz": True}})
    [violation] = check(graph).of("database-size-allowed")
    assert violation.level == "mandatory" and "Multi-AZ" in violation.message
    assert violation.urn.endswith("database-instance")


def test_prod_may_be_multi_az(stack_graph):
    graph = stack_graph("prod", **{"accunode:database": {"multiAz": True}})
    assert check(graph).of("database-size-allowed") == []


def test_a_resource_without_tags_fails(stack_graph):
    graph = stack_graph("prod")
    queue = graph.find("aws:sqs/queue:Queue", "queue-queue")
    for props in (queue.inputs, queue.outputs):
        props.pop("tags", None)
        props.pop("tagsAll", None)
    [violation] = check(graph).of("cost-allocation-tags")
    assert violation.urn == queue.urn and "project, environment, owner or cost-center" in violation.message


def test_a_repository_without_lifecycle_policy_fails(stack_graph):
    graph = stack_graph("prod")
    graph.resources = [r for r in graph.resources if r.type != "aws:ecr/lifecyclePolicy:LifecyclePolicy"]
    [violation] = check(graph).of("ecr-lifecycle-policy")
    assert violation.urn.endswith("registry-repository")


def test_one_nat_gateway_per_az_is_flagged_outside_prod_only(stack_graph):
    dev = check(stack_graph("dev", **{"accunode:natStrategy": "per-az"})).of("nat-gateway-per-az-outside-prod")
    assert len(dev) == 1 and dev[0].level == "advisory" and "$36.50/month" in dev[0].message
    prod = stack_graph("prod", **{"accunode:natStrategy": "per-az"})
    assert len(prod.of_type("aws:ec2/natGateway:NatGateway")) == 2
    assert check(prod).of("nat-gateway-per-az-outside-prod") == []


def test_x86_services_get_the_arm64_saving_and_arm64_stacks_do_not(stack_graph):
    prod = {d.urn.rsplit("::", 1)[1]: d for d in check(stack_graph("prod")).of("fargate-arm64")}
    assert set(prod) == {"api-service", "worker-service"}
    # 0.5 vCPU + 1 GB: 730 h x (0.5 x 0.0081 + 0.000885) = $3.60, plus the release overlap's 10 h a month
    # (30 blue/green releases x 20 min) x the same difference = $0.05
    assert "$3.65/month" in prod["api-service"].message
    assert check(stack_graph("staging")).of("fargate-arm64") == []


def test_an_always_on_worker_outside_prod_should_scale_to_zero(stack_graph):
    [advice] = check(stack_graph("staging")).of("worker-scale-to-zero")
    assert advice.urn.endswith("worker-service") and advice.level == "advisory"
    assert check(stack_graph("dev")).of("worker-scale-to-zero") == []  # already scales to zero
    assert check(stack_graph("prod")).of("worker-scale-to-zero") == []  # prod keeps a warm worker


def test_a_region_without_a_price_book_is_not_applicable_not_a_violation(stack_graph):
    graph = stack_graph("prod", **{"aws:region": "eu-west-1",
                                   "accunode:certificateArn": _CERTIFICATE.format(region="eu-west-1")})
    result = check(graph)
    assert result.mandatory == []
    assert not [d for d in result.diagnostics if "internal error" in d.message]
    assert result.of("monthly-budget") == []


def test_prod_on_demand_capacity_gets_the_commitment_advisory(stack_graph):
    advice = {d.urn.rsplit("::", 1)[1]: d for d in check(stack_graph("prod")).of("commitment-for-prod")}
    assert set(advice) == {"database-instance", "cache-redis", "api-service"}
    assert {d.level for d in advice.values()} == {"advisory"}
    assert "RDS reserved instance, 1 year, No upfront: $18.49/month" in advice["database-instance"].message
    assert check(stack_graph("staging")).of("commitment-for-prod") == []  # only prod


def test_cost_cli_cost_pack_and_budget_agree_to_the_cent(stack_graph, capsys):
    from accunode.cli import main

    graph = stack_graph("prod")
    assert main(["cost", "--stack", "prod", "--format", "json", "--no-alternatives"]) == 0
    printed = json.loads(capsys.readouterr().out)
    budget = float(graph.find("aws:budgets/budget:Budget", "budget-monthly").inputs["limitAmount"])
    lowered = round(printed["totalMonthlyCost"] - 0.01, 2)
    [violation] = check(graph, {"monthly-budget": {"budget": lowered}}).of("monthly-budget")
    numbers = figures(violation.message)
    assert numbers[0] == printed["totalMonthlyCost"] == estimate_graph(graph).total  # same figure, to the cent
    assert lowered in numbers and 0.01 in numbers
    # the Budget resource's limit is the budget the pack holds the estimate to by default
    graph.config["accunode:monthlyBudget"] = str(lowered)
    assert budget == float(stack_graph("prod").config["accunode:monthlyBudget"])
    [default] = check(graph).of("monthly-budget")
    assert figures(default.message)[0] == printed["totalMonthlyCost"] and lowered in figures(default.message)
