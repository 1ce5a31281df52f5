"""The cost model prices every resource the program creates, exactly, from the price book."""

from __future__ import annotations

import itertools
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accunode import catalog
from accunode.costs import Item, estimate, insights, items_from_graph, load_price_book, usage_for
from accunode.costs.model import FREE
from accunode.costs.stacks import estimate_graph
from accunode.engine.graph import UNKNOWN_STRING
from accunode.settings import TIERS

# A stack in another region needs a certificate from that region (the settings refuse any other).
_CERTIFICATE = "arn:aws:acm:{region}:123456789012:certificate/5f0c7a4e-8d1b-4c3a-9e2f-1a2b3c4d5e6f"

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
    api = [line for line in _lines(prod, component="api", category="compute") if "during releases" not in line.item]
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


# ---- round two: the lines the first model missed ----------------------------------------------
def test_container_insights_bills_63_custom_metrics_for_two_services_of_two_families(stack_graph):
    # AWS's ECS metric table: 10 resource metrics on (cluster), (service), (family) sets, 3 cluster counts,
    # 5 service counts -> 10 x (1 + 2 + 2) + 3 + 5 x 2 = 63 metrics at $0.30.
    assert insights.metric_count(services=2, families=2) == 63
    assert insights.metric_count(services=1, families=1) == 10 * 3 + 3 + 5
    [metrics] = _lines(estimate_graph(stack_graph("prod")), sku="cloudwatch.custom_metric_month")
    assert metrics.quantity == 63 and metrics.item == "Container Insights metrics x63"
    assert metrics.monthly == pytest.approx(63 * 0.30) == 18.90


def test_container_insights_performance_logs_are_priced_from_the_event_sizes(stack_graph):
    [ingest] = [line for line in _lines(estimate_graph(stack_graph("prod")), sku="logs.ingest_gb")
                if line.resource_type == "aws:ecs/cluster:Cluster"]
    # per minute: 2 tasks x (1303 + 26 + 645 + 26) + 2 services x (541 + 26) + (371 + 26) bytes, 43 800 minutes
    per_minute = 2 * (1329 + 671) + 2 * 567 + 397
    assert ingest.quantity == pytest.approx(per_minute * 43_800 / 1e9)
    assert round(ingest.monthly, 2) == round(0.2422254 * 0.50, 2) == 0.12


def test_a_cluster_without_container_insights_is_free():
    cluster = Item("aws:ecs/cluster:Cluster", "c", "urn:c", {"name": "c", "settings": [
        {"name": "containerInsights", "value": "disabled"}]})
    result = estimate([cluster], BOOK, usage_for("light"))
    assert result.lines == [] and [f.resource for f in result.free] == ["c"]


def test_each_target_tracking_policy_adds_the_two_alarms_aws_creates(stack_graph):
    prod = estimate_graph(stack_graph("prod"))
    [alarms] = _lines(prod, resource_type="aws:appautoscaling/policy:Policy")
    assert alarms.quantity == 2 and alarms.monthly == pytest.approx(2 * 0.10)
    step = Item("aws:appautoscaling/policy:Policy", "p", "urn:p", {"policyType": "StepScaling"})
    assert estimate([step], BOOK, usage_for("light")).lines == []


def test_kms_rotation_adds_key_versions_after_the_first_year(stack_graph):
    [versions] = _lines(estimate_graph(stack_graph("prod")), sku="kms.key_version_month")
    # yearly rotation over 3 years: 0, then $1, then $2 a month -> $1 on average; $0 in year one, $2 from year three
    assert (versions.monthly, versions.monthly_min, versions.monthly_max) == (1.0, 0.0, 2.0)
    quarterly = Item("aws:kms/key:Key", "k", "urn:k", {"enableKeyRotation": True, "rotationPeriodInDays": 90})
    [_, fast] = estimate([quarterly], BOOK, usage_for("light")).lines
    assert fast.quantity == pytest.approx((1095 - 90 + 1095 - 180) / 1095)
    plain = Item("aws:kms/key:Key", "k", "urn:k", {"enableKeyRotation": False})
    assert [line.sku for line in estimate([plain], BOOK, usage_for("light")).lines] == ["kms.key_month"]


def test_the_prod_estimate_gains_the_missing_lines_exactly(stack_graph):
    prod = estimate_graph(stack_graph("prod"))
    new = sum(line.monthly for line in _round_two_lines(prod))
    assert round(new, 2) == round(18.90 + 0.2422254 * 0.5 + 0.2422254 / 30 * 0.03 + 0.20 + 1.00, 2) == 20.22
    # + $0.20: the unhealthy-targets and p95 alarms watch both API target groups (one more metric each);
    # + $0.2428: the second set of API tasks while blue/green releases bake (test below).
    assert prod.total == 187.55


def test_release_overlap_counts_start_steps_and_bake_by_hand() -> None:
    from accunode.costs.model import RELEASE_START_MINUTES, release_overlap_minutes

    assert RELEASE_START_MINUTES == 5
    assert release_overlap_minutes(None) == release_overlap_minutes({"strategy": "ROLLING"}) == 0
    assert release_overlap_minutes({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"}) == 20
    assert release_overlap_minutes({"strategy": "CANARY", "bakeTimeInMinutes": "15", "canaryConfiguration": {
        "canaryPercent": 10, "canaryBakeTimeInMinutes": "10"}}) == 30
    # 25 % steps: 25, 50, 75, 100 -> three waits of 5 minutes before all traffic has moved
    assert release_overlap_minutes({"strategy": "LINEAR", "bakeTimeInMinutes": "15", "linearConfiguration": {
        "stepPercent": 25.0, "stepBakeTimeInMinutes": "5"}}) == 35
    assert release_overlap_minutes({"strategy": "LINEAR", "linearConfiguration": "odd"}) == 5


def test_prod_prices_the_second_task_set_of_each_release_in_the_range(stack_graph) -> None:
    prod = estimate_graph(stack_graph("prod"))
    [vcpu] = [line for line in prod.lines if line.item == "Fargate vCPU during releases (0.5 vCPU, x86_64)"]
    releases = usage_for("light").deployments_per_month
    hours = releases * 20 / 60  # blue/green: 5 minutes to start + 15 minutes of bake
    # none in a month without releases; at the maximum, ten tasks twice over
    assert (vcpu.quantity, vcpu.quantity_min, vcpu.quantity_max) == pytest.approx((0.5 * hours, 0, 0.5 * hours * 10))
    assert vcpu.resource == "api-service" and vcpu.usage_based
    dev = estimate_graph(stack_graph("dev"))
    assert not [line for line in dev.lines if "during releases" in line.item]


def test_repeated_lines_name_their_resource(stack_graph):
    prod = estimate_graph(stack_graph("prod"))
    for component in {line.component for line in prod.lines}:
        items = [line.item for line in prod.lines if line.component == component]
        assert len(items) == len(set(items)), component
    assert {"Log ingestion: postgresql-logs", "Log ingestion: upgrade-logs", "Alarm rds-connections-high (1 metric)",
            "Requests: dlq"} <= {line.item for line in prod.lines}


def test_named_lines_are_the_same_in_every_stack_so_a_diff_shows_only_what_changes(stack_graph):
    from accunode.costs.report import diff_rows

    # Both release blue/green, so the target-group alarms watch two groups in each (2 metrics apiece).
    progressive = {"accunode:api": {"deployment": {"strategy": "blue-green"}}}
    dev, prod = (estimate_graph(stack_graph(stack, **progressive)) for stack in ("dev", "prod"))
    changed = {item for _, item, _, _ in diff_rows(dev, prod)}
    assert not [item for item in changed if item.startswith(("Alarm", "Log ingestion:", "Requests:"))]


# ---- expected task counts from the usage profile ------------------------------------------------
def test_expected_tasks_follow_the_usage_profile_between_min_and_max(stack_graph):
    graph = stack_graph("prod")
    light = estimate_graph(graph)
    api = _lines(light, component="api", category="compute")
    assert "expected 1: 50 requests/day x 1 vCPU-s" in api[0].note  # light load: the minimum
    busy = estimate_graph(stack_graph("prod", **{"accunode:usage": {"requestsPerDay": 100_000,
                                                                    "cpuSecondsPerRequest": 1}}))
    # API: 100 000 x 1 / 86 400 = 1.157 vCPU at 70 % of 0.5 vCPU -> ceil(3.31) = 4 tasks (min 1, max 10)
    api_busy = [line for line in _lines(busy, component="api", category="compute")
                if "during releases" not in line.item]
    assert sum(x.quantity for x in api_busy) / HOURS == pytest.approx(4 * (0.5 + 1))
    # worker: 100 000 jobs x 30 s / 86 400 = 34.7 busy tasks -> capped at max 5
    worker = _lines(busy, component="worker", category="compute")
    assert sum(x.quantity for x in worker) == pytest.approx(sum(x.quantity_max for x in worker))
    def compute(e, attr):
        return sum(getattr(x, attr) for x in _lines(e, category="compute"))
    assert compute(busy, "monthly_min") == compute(light, "monthly_min")  # min and max are kept
    assert compute(busy, "monthly_max") == compute(light, "monthly_max")
    assert busy.total_max > busy.total > busy.total_min


def test_a_scale_to_zero_worker_expects_its_busy_fraction(stack_graph):
    dev = estimate_graph(stack_graph("dev", **{"accunode:usage": {"requestsPerDay": 8640, "secondsPerJob": 5}}))
    [vcpu] = [x for x in _lines(dev, component="worker", category="compute") if "vCPU" in x.item]
    # 8 640 jobs x 5 s / 86 400 = 0.5 task on average (min 0): half a task's month, on Spot
    assert vcpu.quantity == pytest.approx(0.5 * 1 * HOURS)
    assert vcpu.quantity_min == 0


def test_queue_depth_raises_the_expected_worker_count(stack_graph):
    deep = estimate_graph(stack_graph("prod", **{"accunode:usage": {"queueDepth": 12}}))
    [vcpu] = [x for x in _lines(deep, component="worker", category="compute") if "vCPU" in x.item]
    assert vcpu.quantity == pytest.approx(3 * 1 * HOURS)  # ceil(12 / 5 messages per task) = 3


# ---- regions without a price book ---------------------------------------------------------------
def test_a_region_without_a_price_book_is_a_clear_non_fatal_problem(stack_graph):
    graph = stack_graph("prod", **{"aws:region": "eu-west-1",
                                   "accunode:certificateArn": _CERTIFICATE.format(region="eu-west-1")})
    result = estimate_graph(graph)
    assert result.problem.startswith("no price book for region eu-west-1")
    assert "accunode prices refresh --region eu-west-1" in result.problem
    assert result.lines == [] and result.total == 0
    assert ("aws:rds/instance:Instance", "database-instance") in result.unpriced
    assert result.free  # free resources are still free


def test_the_estimate_says_what_a_tag_filtered_budget_cannot_see(stack_graph):
    prod = estimate_graph(stack_graph("prod"))
    assert {line.resource_type for line in prod.untagged_lines} == {
        "aws:ecs/cluster:Cluster", "aws:appautoscaling/policy:Policy"}
    assert prod.untagged == round(18.90 + 0.2422254 * 0.5 + 0.2422254 / 30 * 0.03 + 0.20, 2) == 19.22
    assert prod.to_dict()["untaggedMonthlyCost"] == 19.22
