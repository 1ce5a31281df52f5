"""Reservations and Savings Plans: on-demand vs committed, upfront and break-even, from the price book's rates."""

from __future__ import annotations

import json

import pytest

from accunode.cli import main
from accunode.costs import load_price_book
from accunode.costs.commitments import advice, break_even_month, commitments
from accunode.costs.stacks import estimate_graph

BOOK = load_price_book("us-east-1")
HOURS = 730


def _option(view, service, years, payment):
    [option] = [o for o in view.options if (o.service, o.term_years, o.payment) == (service, years, payment)]
    return option


def test_every_commitment_rate_names_its_source_date_and_confidence():
    assert {(c.service, c.term_years, c.payment) for c in BOOK.commitments} >= {
        ("rds", 1, "no_upfront"), ("rds", 1, "partial_upfront"), ("rds", 1, "all_upfront"),
        ("rds", 3, "partial_upfront"), ("rds", 3, "all_upfront"), ("elasticache", 1, "no_upfront"),
        ("elasticache", 3, "all_upfront"), ("fargate", 1, "no_upfront"), ("fargate", 3, "all_upfront")}
    for rate in BOOK.commitments:
        assert rate.source and rate.date[:4].isdigit() and rate.confidence in {"A", "B", "C"}
        assert 0 <= rate.recurring <= rate.effective < 1


def test_break_even_is_the_first_month_the_commitment_is_not_dearer():
    assert break_even_month(0, 18.49, 26.28, 12) == 1
    assert break_even_month(100, 10, 20, 12) == 10  # 100 upfront recovered at $10 a month
    assert break_even_month(500, 10, 20, 12) is None  # not within the term
    assert break_even_month(0, 30, 20, 12) is None


def test_prod_database_reserved_instance_figures_by_hand(stack_graph):
    view = commitments(estimate_graph(stack_graph("prod")), BOOK)
    on_demand = 0.036 * HOURS  # db.t3.small Single-AZ, $26.28
    easy = _option(view, "rds", 1, "no_upfront")
    assert easy.on_demand_monthly == pytest.approx(on_demand)
    assert easy.committed_monthly == pytest.approx(0.7037 * on_demand)  # $18.49
    assert (easy.upfront, easy.break_even_month) == (0, 1)
    three = _option(view, "rds", 3, "all_upfront")
    assert three.upfront == pytest.approx(0.455 * on_demand * 36)  # the whole 3 years paid at once, $430.47
    assert three.recurring_monthly == 0
    assert three.break_even_month == 17  # ceil(430.47 / 26.28)
    assert view.best("rds") is three


def test_savings_plans_cover_only_the_always_on_on_demand_fargate_capacity(stack_graph):
    prod = commitments(estimate_graph(stack_graph("prod")), BOOK)
    minimum = (0.5 * 0.04048 + 1 * 0.004445 + 1 * 0.04048 + 2 * 0.004445) * HOURS  # one API + one worker task
    assert _option(prod, "fargate", 1, "no_upfront").on_demand_monthly == pytest.approx(minimum)
    dev = commitments(estimate_graph(stack_graph("dev")), BOOK)  # worker on Spot, scaling to zero
    assert _option(dev, "fargate", 1, "no_upfront").resources == ("api-service",)
    assert any("Fargate Spot" in note for note in dev.notes)


def test_storage_and_traffic_are_never_covered(stack_graph):
    view = commitments(estimate_graph(stack_graph("prod", **{"accunode:tier": "enterprise"})), BOOK)
    rds = _option(view, "rds", 1, "no_upfront")
    assert rds.on_demand_monthly == pytest.approx(0.58 * HOURS)  # db.t3.xlarge Multi-AZ instance only
    cache = _option(view, "elasticache", 1, "no_upfront")
    assert cache.on_demand_monthly == pytest.approx(2 * 0.206 * HOURS)  # two cache.r6g.large nodes


def test_advice_names_the_resource_the_no_upfront_option_and_the_cheapest(stack_graph):
    found = dict(advice(commitments(estimate_graph(stack_graph("prod")), BOOK)))
    message = found["database-instance"]
    assert "$26.28/month" in message and "RDS reserved instance, 1 year, No upfront: $18.49/month" in message
    assert "RDS reserved instance, 3 years, All upfront" in message and "$430.47 upfront" in message


def test_json_markdown_and_table_show_the_commitments(capsys):
    assert main(["cost", "--stack", "prod", "--format", "json", "--no-alternatives"]) == 0
    data = json.loads(capsys.readouterr().out)["commitments"]
    assert {o["service"] for o in data["options"]} == {"rds", "elasticache", "fargate"}
    assert all({"onDemandMonthly", "committedMonthly", "upfront", "breakEvenMonth"} <= set(o) for o in data["options"])
    assert main(["cost", "--stack", "prod", "--format", "markdown", "--no-alternatives"]) == 0
    assert "#### Commitments: on-demand vs committed" in capsys.readouterr().out
    assert main(["cost", "--stack", "prod", "--no-alternatives"]) == 0
    assert "Break-even month" in capsys.readouterr().out
