"""The cost model prices every resource the program creates, exactly, from the price book."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accunode import catalog
from accunode.costs import Item, estimate, items_from_graph, load_price_book, usage_for
from accunode.costs.model import FREE
from accunode.costs.stacks import estimate_graph
from accunode.engine.graph import UNKNOWN_STRING
from accunode.settings import TIERS

BOOK = load_price_book("us-east-1")
HOURS = 730


def _lines(estimate_, **match):
    return [line for line in estimate_.lines if all(getattr(line, k) == v for k, v in match.items())]


def test_price_book_covers_every_class_the_settings_accept():
    for instance_class in catalog.RDS_CLASSES:
        for deployment in ("single_az", "multi_az"):
            assert f"rds.postgres.{instance_class}.{deployment}" in BOOK
    for node_type in catalog.CACHE_NODE_TYPES:
        assert f"elasticache.redis.{node_type}" in BOOK


def test_every_price_names_its_source_date_and_confidence():
    for price in BOOK.prices.values():
        assert price.source and price.date[:4].isdigit() and price.confidence in {"A", "B", "C"}, price


def test_half_vcpu_one_gb_x86_task_for_a_month_is_priced_exactly(stack_graph):
    prod = estimate_graph(stack_graph("prod"))
    api = _lines(prod, component="api", category="compute")
    expected = 0.5 * 0.04048 * HOURS + 1 * 0.004445 * HOURS
    assert sum(line.monthly for line in api) == pytest.approx(expected, abs=1e-9)
    assert round(expected, 2) == 18.02


def test_db_t3_small_single_az_with_20_gb_gp3_is_priced_exactly(stack_graph):
    database = _lines(estimate_graph(stack_graph("prod")), category="database")
    assert {line.item: round(line.monthly, 2) for line in database} == {
        "Instance db.t3.small (Single-AZ)": round(0.036 * HOURS, 2), "Storage (gp3)": round(20 * 0.115, 2)}
    assert sum(line.monthly for line in database) == pytest.approx(0.036 * HOURS + 20 * 0.115)


def test_one_nat_gateway_is_priced_exactly(stack_graph):
    nat = _lines(estimate_graph(stack_graph("prod")), sku="ec2.nat_gateway_hour")
    assert len(nat) == 1
    assert nat[0].monthly == pytest.approx(0.045 * HOURS) == 32.85


def test_multi_az_database_costs_twice_the_instance_and_storage(stack_graph):
    single = estimate_graph(stack_graph("prod"))
    multi = estimate_graph(stack_graph("prod", **{"accunode:database": {"multiAz": True}}))
    def database(e):
        return sum(x.monthly for x in _lines(e, category="database") if "Log" not in x.item)
    assert database(multi) == pytest.approx(0.072 * HOURS + 20 * 0.23)
    assert database(multi) == pytest.approx(2 * database(single))


def test_autoscaled_services_give_a_range_from_min_to_max_tasks(stack_graph):
    prod = estimate_graph(stack_graph("prod"))
    api = _lines(prod, component="api", category="compute")
    per_task = sum(line.monthly for line in api)
    assert sum(line.monthly_max for line in api) == pytest.approx(10 * per_task)  # API scales 1-10
    assert prod.total_min <= prod.total < prod.total_max


def test_a_worker_that_scales_to_zero_costs_nothing_at_rest_and_spot_is_cheaper(stack_graph):
    dev = estimate_graph(stack_graph("dev"))
    worker = _lines(dev, component="worker", category="compute")
    assert sum(line.monthly_min for line in worker) == 0
    on_demand = 1 * 0.04048 * HOURS + 2 * 0.004445 * HOURS
    assert sum(line.monthly_max for line in worker) == pytest.approx(2 * on_demand * 0.33)


def test_arm64_tasks_use_the_graviton_rates(stack_graph):
    staging = estimate_graph(stack_graph("staging"))
    api = _lines(staging, component="api", category="compute")
    assert {line.sku for line in api} == {"fargate.vcpu_hour.arm64", "fargate.gb_hour.arm64"}
    assert sum(line.monthly for line in api) == pytest.approx(1 * 0.03238 * HOURS + 2 * 0.00356 * HOURS)


def test_public_ipv4_is_charged_per_alb_az_and_per_nat(stack_graph):
    high = estimate_graph(stack_graph("prod", **{"accunode:tier": "high"}))  # prod high: a NAT per AZ
    addresses = sum(line.quantity for line in _lines(high, sku="vpc.public_ipv4_hour")) / HOURS
    assert addresses == 2 + 2  # two ALB AZs, two NAT EIPs


@pytest.mark.parametrize("stack", ["prod", "dev", "staging"])
def test_every_resource_is_priced_or_free_with_a_reason(stack_graph, stack):
    estimate_ = estimate_graph(stack_graph(stack))
    assert estimate_.unpriced == []
    assert all(item.reason for item in estimate_.free)


def test_enterprise_resources_are_all_priced_including_waf(stack_graph):
    enterprise = estimate_graph(stack_graph("prod", **{"accunode:tier": "enterprise"}))
    assert enterprise.unpriced == []
    assert _lines(enterprise, sku="waf.web_acl_month")


def test_unknown_types_are_reported_unpriced_never_silently_free():
    items = [Item("aws:neptune/cluster:Cluster", "graph-db", "urn:x", {})]
    result = estimate(items, BOOK, usage_for("light"))
    assert result.unpriced == [("aws:neptune/cluster:Cluster", "graph-db")]
    assert "aws:neptune/cluster:Cluster" not in FREE


def test_a_first_preview_prices_the_same_as_a_deployed_stack(stack_graph):
    assert estimate_graph(stack_graph("prod", preview=True)).to_dict() == \
        estimate_graph(stack_graph("prod")).to_dict()


def test_usage_overrides_from_stack_config_change_the_usage_lines(stack_graph):
    base = estimate_graph(stack_graph("prod"))
    busy = estimate_graph(stack_graph("prod", **{"accunode:usage": {"natProcessedGb": 1020}}))
    assert busy.total - base.total == pytest.approx(1000 * 0.045)
    assert busy.fixed == base.fixed


def _round_two_lines(estimate_):
    """The lines the re-pricing of 2026-12 found missing: Container Insights, AWS's target-tracking alarms,
    rotated KMS key versions."""
    return [line for line in estimate_.lines if line.sku == "kms.key_version_month" or line.resource_type in (
        "aws:ecs/cluster:Cluster", "aws:appautoscaling/policy:Policy")]


def test_tier_estimates_match_the_references_complete_figures_plus_the_missing_lines(stack_graph):
    # shared/reference/aws-prices-and-cost-anchors.md 2.2 "Complete estimate": ~167 / ~285 / ~719 / ~3681,
    # which predates the errata's Container Insights, target-tracking alarm and key-rotation lines.
    estimates = {tier: estimate_graph(stack_graph("prod", **{"accunode:tier": tier}))
                 for tier in ("minimal", "moderate", "high", "enterprise")}
    assert all(_round_two_lines(e) for e in estimates.values())
    figures = {tier: e.total - sum(line.monthly for line in _round_two_lines(e)) for tier, e in estimates.items()}
    assert figures["minimal"] == pytest.approx(167, rel=0.02)
    assert figures["moderate"] == pytest.approx(285, rel=0.02)
    assert figures["high"] == pytest.approx(719, rel=0.02)
    assert figures["enterprise"] == pytest.approx(3681, rel=0.02)
    assert list(figures.values()) == sorted(figures.values())


def test_tier_usage_profiles_grow_with_the_tier():
    for earlier, later in itertools.pairwise(TIERS):
        assert usage_for(earlier).requests_per_day <= usage_for(later).requests_per_day


ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
                st.just(UNKNOWN_STRING), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=3),
                                                                                               st.integers()))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_odd_and_unknown_values_never_crash_the_model(stack_graph, data):
    items = items_from_graph(stack_graph("prod"))
    mangled = []
    for item in items:
        props = dict(item.props)
        for key in list(props)[:3]:
            props[key] = data.draw(ODD)
        mangled.append(Item(item.type, item.name, item.urn, props, item.parent, item.property_dependencies))
    result = estimate(mangled, BOOK, usage_for("light"))
    assert json.dumps(result.to_dict())  # serializable, finite or not, and no exception
