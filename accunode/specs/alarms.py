"""The operational alarm catalogue and the dashboard, one spec per alarm (checkov-style ids).

The first five are the deployment review's "CloudWatch Alarms"; the ALB 5xx rate, DLQ and oldest
message age are what a queue-backed API needs on top. Thresholds that depend on an instance class
are derived from the catalogue (RDS ``max_connections``). Alarm names are ``<prefix>-<id>`` and
known before anything is deployed, so the API service can name its rollback alarms up front.

Dimension values are passed through untouched: plain strings in tests, and in the program the
load balancer's and target group's ARN suffixes, which AWS assigns on creation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accunode import catalog

RDS_CONNECTIONS_RATIO = 0.8
REDIS_MEMORY_PERCENT = 90.0
P95_LATENCY_SECONDS = 2.0
ALB_5XX_RATE_PERCENT = 5.0
ALB_5XX_MIN_REQUESTS = 20
OLDEST_MESSAGE_SECONDS = 900
# Alarms that roll an API deployment back when they fire during it (ECS service ``alarms`` block).
API_ROLLBACK_ALARMS = ("alb-5xx-rate", "alb-unhealthy-targets", "api-p95-latency")


@dataclass(frozen=True)
class MetricQuery:
    """One entry of a metric-math alarm: a metric (``metric`` set) or an expression."""

    id: str
    expression: str | None = None
    namespace: str | None = None
    metric: str | None = None
    stat: str | None = None
    dimensions: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None
    return_data: bool = False


@dataclass(frozen=True)
class AlarmSpec:
    id: str
    description: str
    threshold: float
    comparison: str
    namespace: str | None = None
    metric: str | None = None
    statistic: str | None = None
    """``Average``/``Sum``/``Maximum``..., or a percentile such as ``p95`` (an extended statistic)."""
    dimensions: Mapping[str, Any] = field(default_factory=dict)
    queries: tuple[MetricQuery, ...] = ()
    """Metric math instead of a single metric; exactly one query returns data."""
    period: int = 60
    evaluation_periods: int = 5
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "notBreaching"

    def __post_init__(self) -> None:
        if bool(self.metric) == bool(self.queries):
            raise ValueError(f"alarm {self.id}: give either a metric or metric-math queries")
        if self.queries and sum(q.return_data for q in self.queries) != 1:
            raise ValueError(f"alarm {self.id}: exactly one query must return data")
        if self.metric and not (self.namespace and self.statistic):
            raise ValueError(f"alarm {self.id}: a metric needs a namespace and a statistic")

    def name(self, prefix: str) -> str:
        return alarm_name(prefix, self.id)

    def alarm_args(self) -> dict[str, Any]:
        """Inputs of ``aws.cloudwatch.MetricAlarm`` (snake_case), without name and actions."""
        args: dict[str, Any] = {
            "alarm_description": self.description, "comparison_operator": self.comparison,
            "threshold": self.threshold, "evaluation_periods": self.evaluation_periods,
            "datapoints_to_alarm": self.datapoints_to_alarm or self.evaluation_periods,
            "treat_missing_data": self.treat_missing_data,
        }
        if self.queries:
            args["metric_queries"] = [_query_args(q, self.period) for q in self.queries]
            return args
        args.update(namespace=self.namespace, metric_name=self.metric, period=self.period,
                    dimensions=dict(self.dimensions))
        if self.statistic and self.statistic.startswith("p"):
            args["extended_statistic"] = self.statistic
        else:
            args["statistic"] = self.statistic
        return args


def _query_args(query: MetricQuery, period: int) -> dict[str, Any]:
    if query.expression:
        return {"id": query.id, "expression": query.expression, "label": query.label,
                "return_data": query.return_data}
    return {"id": query.id, "return_data": query.return_data, "metric": {
        "namespace": query.namespace, "metric_name": query.metric, "stat": query.stat, "period": period,
        "dimensions": dict(query.dimensions)}}


def alarm_name(prefix: str, alarm_id: str) -> str:
    return f"{prefix}-{alarm_id}"


def rollback_alarm_names(prefix: str) -> tuple[str, ...]:
    """The API service's deployment rollback alarms, by name."""
    return tuple(alarm_name(prefix, alarm_id) for alarm_id in API_ROLLBACK_ALARMS)


@dataclass(frozen=True)
class AlarmTargets:
    """What the alarms watch, by name (and, for the load balancer, by ARN suffix)."""

    cluster_name: str
    service_names: Sequence[str]
    db_identifier: str
    db_instance_class: str
    cache_cluster_ids: Sequence[str]
    queue_name: str
    dlq_name: str
    load_balancer: Any
    """The load balancer's ARN suffix (``app/<name>/<id>``)."""
    target_group: Any
    """The API target group's ARN suffix (``targetgroup/<name>/<id>``)."""
    alternate_target_group: Any = None
    """The second target group of a progressive release: the new revision serves from it while a
    deployment bakes, so the target-group alarms watch both (the worse of the two)."""


def _service_slug(service_name: str, cluster_name: str) -> str:
    """``accunode-prod-api`` in cluster ``accunode-prod`` -> ``api``."""
    return service_name.removeprefix(f"{cluster_name}-")


def running_below_desired(cluster: str, service: str) -> AlarmSpec:
    dims = {"ClusterName": cluster, "ServiceName": service}
    return AlarmSpec(
        id=f"ecs-{_service_slug(service, cluster)}-running-below-desired",
        description=f"ECS service {service} has run fewer tasks than desired for 5 minutes",
        threshold=0, comparison="GreaterThanThreshold", evaluation_periods=5,
        queries=(
            MetricQuery("desired", namespace="ECS/ContainerInsights", metric="DesiredTaskCount", stat="Average",
                        dimensions=dims),
            MetricQuery("running", namespace="ECS/ContainerInsights", metric="RunningTaskCount", stat="Average",
                        dimensions=dims),
            MetricQuery("missing", expression="desired - running", label="Tasks missing", return_data=True),
        ))


def _target_group_metric(targets: AlarmTargets, metric: str, stat: str, label: str) -> dict[str, Any]:
    """One target group's metric, or with an alternate group the worse of both (``MAX`` of the two)."""
    groups = [targets.target_group] + ([targets.alternate_target_group] if targets.alternate_target_group else [])
    if len(groups) == 1:
        return {"namespace": "AWS/ApplicationELB", "metric": metric, "statistic": stat,
                "dimensions": {"LoadBalancer": targets.load_balancer, "TargetGroup": groups[0]}}
    queries = tuple(MetricQuery(f"group{index}", namespace="AWS/ApplicationELB", metric=metric, stat=stat,
                                dimensions={"LoadBalancer": targets.load_balancer, "TargetGroup": group})
                    for index, group in enumerate(groups))
    ids = ", ".join(f"FILL({q.id}, 0)" for q in queries)
    return {"queries": (*queries, MetricQuery("worst", expression=f"MAX([{ids}])", label=label, return_data=True))}


def alarm_catalogue(targets: AlarmTargets) -> list[AlarmSpec]:
    """Every operational alarm of a stack. All of them notify the alert topic."""
    lb = {"LoadBalancer": targets.load_balancer}
    max_connections = catalog.rds_max_connections(targets.db_instance_class)
    connections_threshold = round(max_connections * RDS_CONNECTIONS_RATIO)
    specs = [running_below_desired(targets.cluster_name, service) for service in targets.service_names]
    specs += [
        AlarmSpec(
            id="rds-connections-high",
            description=(f"RDS {targets.db_identifier} uses more than {RDS_CONNECTIONS_RATIO:.0%} of its "
                         f"{max_connections} connections ({targets.db_instance_class})"),
            namespace="AWS/RDS", metric="DatabaseConnections", statistic="Maximum",
            dimensions={"DBInstanceIdentifier": targets.db_identifier},
            threshold=connections_threshold, comparison="GreaterThanThreshold", evaluation_periods=5),
        *(AlarmSpec(
            id=f"redis-memory-high-{cluster_id.rsplit('-', 1)[-1]}",
            description=f"Redis node {cluster_id} uses more than {REDIS_MEMORY_PERCENT:g}% of its memory",
            namespace="AWS/ElastiCache", metric="DatabaseMemoryUsagePercentage", statistic="Maximum",
            dimensions={"CacheClusterId": cluster_id},
            threshold=REDIS_MEMORY_PERCENT, comparison="GreaterThanThreshold", evaluation_periods=5)
          for cluster_id in targets.cache_cluster_ids),
        AlarmSpec(
            id="alb-unhealthy-targets", description="The API target group has unhealthy targets",
            threshold=0, comparison="GreaterThanThreshold", evaluation_periods=2,
            **_target_group_metric(targets, "UnHealthyHostCount", "Maximum", "Unhealthy targets")),
        AlarmSpec(
            id="api-p95-latency",
            description=f"API p95 response time above {P95_LATENCY_SECONDS:g} s for 5 minutes",
            threshold=P95_LATENCY_SECONDS, comparison="GreaterThanThreshold", evaluation_periods=5,
            **_target_group_metric(targets, "TargetResponseTime", "p95", "p95 response time (s)")),
        AlarmSpec(
            id="alb-5xx-rate",
            description=(f"More than {ALB_5XX_RATE_PERCENT:g}% of requests end in a 5xx (target or load "
                         f"balancer) over 3 minutes, counted once {ALB_5XX_MIN_REQUESTS} requests a minute arrive"),
            threshold=ALB_5XX_RATE_PERCENT, comparison="GreaterThanThreshold", evaluation_periods=3,
            queries=(
                MetricQuery("requests", namespace="AWS/ApplicationELB", metric="RequestCount", stat="Sum",
                            dimensions=lb),
                MetricQuery("target5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count",
                            stat="Sum", dimensions=lb),
                MetricQuery("elb5xx", namespace="AWS/ApplicationELB", metric="HTTPCode_ELB_5XX_Count", stat="Sum",
                            dimensions=lb),
                MetricQuery("rate", label="5xx rate (%)", return_data=True, expression=(
                    f"IF(FILL(requests, 0) >= {ALB_5XX_MIN_REQUESTS}, "
                    "100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)")),
            )),
        AlarmSpec(
            id="sqs-dlq-not-empty", description=f"Messages have failed 5 times and landed in {targets.dlq_name}",
            namespace="AWS/SQS", metric="ApproximateNumberOfMessagesVisible", statistic="Maximum",
            dimensions={"QueueName": targets.dlq_name}, threshold=0, comparison="GreaterThanThreshold",
            evaluation_periods=1),
        AlarmSpec(
            id="sqs-oldest-message-age",
            description=f"The oldest message in {targets.queue_name} has waited over {OLDEST_MESSAGE_SECONDS} s",
            namespace="AWS/SQS", metric="ApproximateAgeOfOldestMessage", statistic="Maximum",
            dimensions={"QueueName": targets.queue_name}, threshold=OLDEST_MESSAGE_SECONDS,
            comparison="GreaterThanThreshold", evaluation_periods=5),
    ]
    ids = [spec.id for spec in specs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"alarm ids must be unique, got {ids}")
    return specs


# ---- dashboard ---------------------------------------------------------------------------------
def _widget(title: str, metrics: list[list[Any]], x: int, y: int, stat: str, region: str) -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": {
        "title": title, "region": region, "stat": stat, "period": 60, "view": "timeSeries", "metrics": metrics}}


def dashboard_body(targets: AlarmTargets, region: str) -> dict[str, Any]:
    """Services, load balancer, database, cache and queue on one page (CloudWatch dashboard body)."""
    cluster = targets.cluster_name
    services = list(targets.service_names)
    lb = targets.load_balancer
    rows: list[tuple[str, list[list[Any]], str]] = [
        ("Service CPU (%)", [["AWS/ECS", "CPUUtilization", "ClusterName", cluster, "ServiceName", s]
                             for s in services], "Average"),
        ("Service memory (%)", [["AWS/ECS", "MemoryUtilization", "ClusterName", cluster, "ServiceName", s]
                                for s in services], "Average"),
        ("Running vs desired tasks", [
            ["ECS/ContainerInsights", metric, "ClusterName", cluster, "ServiceName", s]
            for s in services for metric in ("RunningTaskCount", "DesiredTaskCount")], "Average"),
        ("Requests and 5xx", [["AWS/ApplicationELB", m, "LoadBalancer", lb]
                              for m in ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")],
         "Sum"),
        ("API latency p95 (s)", [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb]], "p95"),
        ("Database", [["AWS/RDS", m, "DBInstanceIdentifier", targets.db_identifier]
                      for m in ("CPUUtilization", "DatabaseConnections", "FreeableMemory")], "Average"),
        ("Cache memory (%)", [["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", c]
                              for c in targets.cache_cluster_ids], "Maximum"),
        ("Queue", [["AWS/SQS", m, "QueueName", q] for q in (targets.queue_name, targets.dlq_name)
                   for m in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")], "Maximum"),
    ]
    widgets = [_widget(title, metrics, 12 * (i % 2), 6 * (i // 2), stat, region)
               for i, (title, metrics, stat) in enumerate(rows)]
    return {"widgets": widgets}
