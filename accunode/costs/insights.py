"""What Container Insights (``containerInsights = enabled`` on an ECS cluster) adds to the bill.

AWS charges every metric it publishes in the ``ECS/ContainerInsights`` namespace as a custom metric
(Amazon CloudWatch User Guide, "Amazon ECS Container Insights metrics"), and the performance log
events it derives them from are ingested into ``/aws/ecs/containerinsights/<cluster>/performance``.

How the metric count is made: a custom metric is one (name, dimension set) pair. The table below is
AWS's metric table for ECS (cluster- and service-level Container Insights, awsdocs
amazon-cloudwatch-user-guide ``doc_source/Container-Insights-metrics-ECS.md``) with each metric's
dimension sets, plus ``EphemeralStorageReserved``/``EphemeralStorageUtilized``, which the current
table lists for Fargate tasks (platform 1.4+) on the same three dimension sets as the other
resource metrics. A Fargate cluster with S services and F task-definition families publishes
``CLUSTER + S x SERVICE + F x FAMILY`` metrics: 13 + 15 S + 10 F, so 63 for two services of two
families. The EC2-instance metrics (``instance_*``) need the CloudWatch agent daemon and are not
counted; ``ContainerInstanceCount`` is counted (it is published with the cluster's other counts).

Performance-log bytes: the compact JSON size of AWS's example events ("Container Insights
performance log events for Amazon ECS", same guide) plus the 26 bytes CloudWatch Logs adds to
every event, one event of each kind per minute.
"""

from __future__ import annotations

# (metric, dimension sets it is published on); "family" = (TaskDefinitionFamily, ClusterName).
RESOURCE_METRICS = ("CpuUtilized", "CpuReserved", "MemoryUtilized", "MemoryReserved", "NetworkRxBytes",
                    "NetworkTxBytes", "StorageReadBytes", "StorageWriteBytes", "EphemeralStorageReserved",
                    "EphemeralStorageUtilized")
CLUSTER_COUNTS = ("ContainerInstanceCount", "ServiceCount", "TaskCount")
SERVICE_COUNTS = ("DeploymentCount", "DesiredTaskCount", "PendingTaskCount", "RunningTaskCount", "TaskSetCount")
METRICS: dict[str, tuple[str, ...]] = {
    **{name: ("cluster", "service", "family") for name in RESOURCE_METRICS},
    **{name: ("cluster",) for name in CLUSTER_COUNTS},
    **{name: ("service",) for name in SERVICE_COUNTS},
}

EVENT_OVERHEAD_BYTES = 26  # CloudWatch Logs bills each event as its UTF-8 size plus 26 bytes
EVENT_BYTES = {"task": 1303, "container": 645, "service": 541, "cluster": 371}  # AWS's examples, compact JSON
MINUTES_PER_MONTH = 730 * 60
PERFORMANCE_LOG_RETENTION_DAYS = 1  # the retention Container Insights gives the log group it creates


def metric_count(services: int, families: int) -> int:
    """Custom metrics a cluster with ``services`` services of ``families`` task families publishes."""
    per_set = {"cluster": 1, "service": services, "family": families}
    return sum(per_set[dimension] for sets in METRICS.values() for dimension in sets)


def performance_log_gb(tasks: float, containers_per_task: float, services: int) -> float:
    """GB/month of performance log events for ``tasks`` running tasks (time-averaged)."""
    def size(kind: str) -> int:
        return EVENT_BYTES[kind] + EVENT_OVERHEAD_BYTES

    per_minute = (tasks * (size("task") + containers_per_task * size("container"))
                  + services * size("service") + size("cluster"))
    return per_minute * MINUTES_PER_MONTH / 1e9
