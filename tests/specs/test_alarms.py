"""The alarm catalogue: the deployment review's alarms with their thresholds, plus 5xx and queue alarms."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accunode import catalog
from accunode.specs.alarms import (
    API_ROLLBACK_ALARMS,
    AlarmSpec,
    AlarmTargets,
    MetricQuery,
    alarm_catalogue,
    dashboard_body,
    rollback_alarm_names,
)

TARGETS = AlarmTargets(
    cluster_name="accunode-prod", service_names=("accunode-prod-api", "accunode-prod-worker"),
    db_identifier="accunode-prod-db", db_instance_class="db.t3.small",
    cache_cluster_ids=("accunode-prod-redis-001", "accunode-prod-redis-002"), queue_name="accunode-prod-jobs",
    dlq_name="accunode-prod-jobs-dlq", load_balancer="app/accunode-prod-alb/0123", target_group="targetgroup/x/1")


def alarms(targets: AlarmTargets = TARGETS) -> dict[str, AlarmSpec]:
    return {spec.id: spec for spec in alarm_catalogue(targets)}


def test_catalogue_has_every_alarm_of_the_document_and_the_queue_and_5xx_alarms():
    assert set(alarms()) == {
        "ecs-api-running-below-desired", "ecs-worker-running-below-desired", "rds-connections-high",
        "redis-memory-high-001", "redis-memory-high-002", "alb-unhealthy-targets", "api-p95-latency",
        "alb-5xx-rate", "sqs-dlq-not-empty", "sqs-oldest-message-age"}


def test_running_below_desired_compares_container_insights_task_counts_per_service():
    spec = alarms()["ecs-worker-running-below-desired"]
    metrics = {q.id: q for q in spec.queries}
    assert (metrics["desired"].namespace, metrics["desired"].metric) == ("ECS/ContainerInsights", "DesiredTaskCount")
    assert (metrics["running"].namespace, metrics["running"].metric) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert metrics["running"].dimensions == {"ClusterName": "accunode-prod", "ServiceName": "accunode-prod-worker"}
    assert metrics["missing"].expression == "desired - running" and metrics["missing"].return_data
    assert (spec.comparison, spec.threshold) == ("GreaterThanThreshold", 0)


@pytest.mark.parametrize("instance_class", ["db.t3.micro", "db.t3.small", "db.t3.large", "db.r6g.large"])
def test_rds_connections_alarm_fires_above_80_percent_of_the_class_max_connections(instance_class):
    spec = alarms(replace(TARGETS, db_instance_class=instance_class))["rds-connections-high"]
    assert spec.threshold == round(0.8 * catalog.rds_max_connections(instance_class))
    assert (spec.namespace, spec.metric, spec.dimensions) == (
        "AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": "accunode-prod-db"})


def test_rds_threshold_grows_with_instance_memory():
    small = alarms(replace(TARGETS, db_instance_class="db.t3.small"))["rds-connections-high"].threshold
    large = alarms(replace(TARGETS, db_instance_class="db.t3.large"))["rds-connections-high"].threshold
    assert small < large


def test_redis_memory_alarm_per_node_above_90_percent():
    spec = alarms()["redis-memory-high-002"]
    assert (spec.metric, spec.threshold, spec.dimensions) == (
        "DatabaseMemoryUsagePercentage", 90, {"CacheClusterId": "accunode-prod-redis-002"})


def test_alb_alarms_fire_on_any_unhealthy_target_and_p95_above_two_seconds():
    unhealthy, latency = alarms()["alb-unhealthy-targets"], alarms()["api-p95-latency"]
    assert (unhealthy.metric, unhealthy.comparison, unhealthy.threshold) == (
        "UnHealthyHostCount", "GreaterThanThreshold", 0)
    assert unhealthy.dimensions == {"LoadBalancer": TARGETS.load_balancer, "TargetGroup": TARGETS.target_group}
    assert (latency.metric, latency.statistic, latency.threshold) == ("TargetResponseTime", "p95", 2)
    args = latency.alarm_args()
    assert args["extended_statistic"] == "p95" and "statistic" not in args


def test_with_an_alternate_group_the_target_group_alarms_take_the_worse_of_both():
    both = alarms(replace(TARGETS, alternate_target_group="targetgroup/x-alt/2"))
    for alarm_id, metric, stat in (("alb-unhealthy-targets", "UnHealthyHostCount", "Maximum"),
                                   ("api-p95-latency", "TargetResponseTime", "p95")):
        spec = both[alarm_id]
        assert spec.metric is None
        groups = [q for q in spec.queries if q.metric]
        assert [(q.metric, q.stat, q.dimensions["TargetGroup"]) for q in groups] == [
            (metric, stat, "targetgroup/x/1"), (metric, stat, "targetgroup/x-alt/2")]
        (worst,) = [q for q in spec.queries if q.return_data]
        assert worst.expression == "MAX([FILL(group0, 0), FILL(group1, 0)])"
        assert len(spec.alarm_args()["metric_queries"]) == 3


def test_p95_latency_rolls_a_deployment_back_with_the_5xx_rate_and_unhealthy_targets():
    assert API_ROLLBACK_ALARMS == ("alb-5xx-rate", "alb-unhealthy-targets", "api-p95-latency")


def test_5xx_rate_is_metric_math_over_target_and_load_balancer_errors():
    spec = alarms()["alb-5xx-rate"]
    (result,) = [q for q in spec.queries if q.return_data]
    assert "target5xx" in result.expression and "elb5xx" in result.expression and "requests" in result.expression
    args = spec.alarm_args()
    assert "metric_name" not in args and len(args["metric_queries"]) == 4


def test_queue_alarms_watch_the_dlq_and_the_oldest_message():
    dlq, age = alarms()["sqs-dlq-not-empty"], alarms()["sqs-oldest-message-age"]
    assert (dlq.dimensions, dlq.threshold, dlq.comparison) == (
        {"QueueName": "accunode-prod-jobs-dlq"}, 0, "GreaterThanThreshold")
    assert (age.metric, age.dimensions) == ("ApproximateAgeOfOldestMessage", {"QueueName": "accunode-prod-jobs"})


def test_rollback_alarms_are_named_alarms_of_the_catalogue():
    assert rollback_alarm_names("accunode-prod") == tuple(f"accunode-prod-{i}" for i in API_ROLLBACK_ALARMS)
    assert set(API_ROLLBACK_ALARMS) <= set(alarms())


@pytest.mark.parametrize("kwargs", [
    {"metric": "M", "namespace": "N", "statistic": "Sum", "queries": ()},
    {},
    {"metric": "M", "statistic": "Sum"},
])
def test_alarm_spec_needs_exactly_one_complete_metric_source(kwargs):
    base = {"id": "x", "description": "d", "threshold": 1, "comparison": "GreaterThanThreshold"}
    if "queries" in kwargs:
        kwargs = {**kwargs, "queries": (MetricQuery("a", expression="1", return_data=True),)}
    with pytest.raises(ValueError):
        AlarmSpec(**base, **kwargs)


def test_dashboard_shows_services_database_cache_and_queue():
    body = dashboard_body(TARGETS, "us-east-1")
    text = repr(body)
    for name in ("accunode-prod-api", "accunode-prod-worker", "accunode-prod-db", "accunode-prod-redis-002",
                 "accunode-prod-jobs-dlq", "app/accunode-prod-alb/0123"):
        assert name in text
    assert all(w["properties"]["region"] == "us-east-1" for w in body["widgets"])
