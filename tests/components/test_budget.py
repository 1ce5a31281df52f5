"""The monthly cost budget: limit, stack tag filter, 80% forecast and 100% actual email warnings."""

from __future__ import annotations

import pytest

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph
from components.budget import Budget, BudgetArgs
from tests.components.stack import stack_context

BUDGET = "aws:budgets/budget:Budget"


def _build(**overrides) -> ResourceGraph:
    args = BudgetArgs(**{"context": stack_context(), "budget_name": "accunode-test-monthly", "monthly_limit_usd": 300,
                         "alert_emails": ["ops@accunode.example"], "cost_tag": ("stack", "test"), **overrides})
    return run_program(lambda: Budget("budget", args))


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return _build()


def test_budget_is_a_monthly_cost_budget_with_the_configured_limit(graph):
    props = graph.find(BUDGET).props
    assert (props["budgetType"], props["timeUnit"], props["limitAmount"], props["limitUnit"]) == (
        "COST", "MONTHLY", "300.00", "USD")


def test_budget_counts_only_costs_tagged_with_the_stack(graph):
    assert graph.find(BUDGET).props["costFilters"] == [{"name": "TagKeyValue", "values": ["user:stack$test"]}]


def test_budget_warns_at_80_percent_forecast_and_100_percent_actual(graph):
    notifications = {(n["notificationType"], n["threshold"]): n for n in graph.find(BUDGET).props["notifications"]}
    assert set(notifications) == {("FORECASTED", 80), ("ACTUAL", 100)}
    for notification in notifications.values():
        assert notification["subscriberEmailAddresses"] == ["ops@accunode.example"]
        assert (notification["thresholdType"], notification["comparisonOperator"]) == ("PERCENTAGE", "GREATER_THAN")


def test_budget_without_an_email_has_no_notifications():
    assert "notifications" not in _build(alert_emails=()).find(BUDGET).props


@pytest.mark.parametrize("overrides, message", [
    ({"monthly_limit_usd": 0}, "positive"),
    ({"budget_name": "a:b"}, "budget_name"),
])
def test_budget_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        BudgetArgs(**{"context": stack_context(), "budget_name": "b", "monthly_limit_usd": 1, **overrides})
