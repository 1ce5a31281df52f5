"""Monitoring: every catalogue alarm notifies an encrypted topic that mails the alert address; a dashboard."""

from __future__ import annotations

import json

import pytest

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph
from accunode.specs.alarms import AlarmTargets, alarm_catalogue
from components.monitoring import Monitoring, MonitoringArgs
from tests.components.stack import stack_context

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TARGETS = AlarmTargets(
    cluster_name="accunode-test", service_names=("accunode-test-api", "accunode-test-worker"),
    db_identifier="accunode-test-db", db_instance_class="db.t3.small", cache_cluster_ids=("accunode-test-redis-001",),
    queue_name="accunode-test-jobs", dlq_name="accunode-test-jobs-dlq", load_balancer="app/accunode-test-alb/abc",
    target_group="targetgroup/accunode-test-api/def")


def _build(**overrides) -> ResourceGraph:
    args = MonitoringArgs(**{"context": stack_context(), "targets": TARGETS, "alert_email": "ops@accunode.example",
                             **overrides})
    return run_program(lambda: Monitoring("monitoring", args))


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return _build()


def test_one_alarm_per_catalogue_spec_named_with_the_prefix(graph):
    names = {a.props["name"] for a in graph.of_type(ALARM)}
    assert names == {f"accunode-test-{spec.id}" for spec in alarm_catalogue(TARGETS)}


def test_every_alarm_notifies_the_topic_on_alarm_and_recovery(graph):
    topic = graph.find(TOPIC)
    for alarm in graph.of_type(ALARM):
        assert alarm.property_dependencies["alarmActions"] == [topic.urn], alarm.name
        assert alarm.property_dependencies["okActions"] == [topic.urn], alarm.name


def test_alarm_thresholds_reach_the_resources(graph):
    by_name = {a.props["name"]: a.props for a in graph.of_type(ALARM)}
    latency = by_name["accunode-test-api-p95-latency"]
    assert (latency["extendedStatistic"], latency["threshold"]) == ("p95", 2)
    redis = by_name["accunode-test-redis-memory-high-001"]
    assert (redis["metricName"], redis["threshold"], redis["dimensions"]) == (
        "DatabaseMemoryUsagePercentage", 90, {"CacheClusterId": "accunode-test-redis-001"})
    running = by_name["accunode-test-ecs-api-running-below-desired"]
    assert {q["id"] for q in running["metricQueries"]} == {"desired", "running", "missing"}


def test_topic_is_encrypted_with_a_rotated_key_cloudwatch_may_use(graph):
    key = graph.find("aws:kms/key:Key")
    assert key.props["enableKeyRotation"] is True
    statements = json.loads(key.props["policy"])["Statement"]
    assert {"Service": "cloudwatch.amazonaws.com"} in [s["Principal"] for s in statements]
    assert graph.find(TOPIC).property_dependencies["kmsMasterKeyId"] == [key.urn]


def test_alert_email_is_subscribed_only_when_set(graph):
    subscription = graph.find("aws:sns/topicSubscription:TopicSubscription").props
    assert (subscription["protocol"], subscription["endpoint"]) == ("email", "ops@accunode.example")
    assert not _build(alert_email=None).of_type("aws:sns/topicSubscription:TopicSubscription")


def test_dashboard_covers_services_database_cache_and_queue(graph):
    dashboard = graph.find("aws:cloudwatch/dashboard:Dashboard").props
    assert dashboard["dashboardName"] == "accunode-test"
    body = dashboard["dashboardBody"]
    for name in ("accunode-test-api", "accunode-test-worker", "accunode-test-db", "accunode-test-redis-001",
                 "accunode-test-jobs", "app/accunode-test-alb/abc"):
        assert name in body


def test_monitoring_args_reject_a_malformed_email():
    with pytest.raises(ValueError, match="alert_email"):
        MonitoringArgs(stack_context(), TARGETS, alert_email="ops@")
