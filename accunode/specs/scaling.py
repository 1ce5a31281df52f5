"""Autoscaling of the two services, from the deployment review's "Auto-Scaling Configuration".

API: target tracking on average CPU at 70%, scale out quickly (120 s cooldown), in slowly (300 s).
Worker: step scaling on the queue's ``ApproximateNumberOfMessagesVisible``: out when more than 5
messages are visible for 1 minute, in when fewer than 2 are visible for 5 minutes. Outside prod
the worker may scale to zero (min capacity 0); the first message then waits until the backlog
passes the scale-out threshold, which is acceptable for dev and staging.

The functions return plain dicts in the snake_case shape of the ``pulumi_aws.appautoscaling`` and
``pulumi_aws.cloudwatch`` inputs, so components pass them straight through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCALABLE_DIMENSION = "ecs:service:DesiredCount"


def resource_id(cluster_name: str, service_name: str) -> str:
    return f"service/{cluster_name}/{service_name}"


@dataclass(frozen=True)
class CpuScaling:
    """Target tracking on the service's average CPU."""

    min_capacity: int
    max_capacity: int
    target_percent: float = 70.0
    scale_out_cooldown: int = 120
    scale_in_cooldown: int = 300

    def __post_init__(self) -> None:
        _check_range(self.min_capacity, self.max_capacity)
        if not 10 <= self.target_percent <= 90:
            raise ValueError(f"target_percent {self.target_percent} must be 10-90")

    def policy(self) -> dict[str, Any]:
        """``target_tracking_scaling_policy_configuration`` of an ``appautoscaling.Policy``."""
        return {
            "target_value": self.target_percent,
            "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
            "scale_out_cooldown": self.scale_out_cooldown,
            "scale_in_cooldown": self.scale_in_cooldown,
        }


@dataclass(frozen=True)
class QueueStep:
    """One direction of queue-depth scaling: an alarm condition and the step it triggers."""

    direction: str  # "out" or "in"
    comparison: str
    threshold: float
    evaluation_periods: int
    period: int
    adjustment: int
    cooldown: int


@dataclass(frozen=True)
class QueueScaling:
    """Step scaling on the number of visible messages in one queue."""

    queue_name: str
    min_capacity: int
    max_capacity: int
    scale_out_above: float = 5
    scale_out_minutes: int = 1
    scale_in_below: float = 2
    scale_in_minutes: int = 5

    def __post_init__(self) -> None:
        _check_range(self.min_capacity, self.max_capacity)
        if self.scale_in_below >= self.scale_out_above:
            raise ValueError(f"scale_in_below ({self.scale_in_below}) must be below scale_out_above "
                             f"({self.scale_out_above}), or the service flaps")
        if self.scale_out_minutes < 1 or self.scale_in_minutes < 1:
            raise ValueError("scale_out_minutes and scale_in_minutes must be at least 1")

    def steps(self) -> tuple[QueueStep, QueueStep]:
        return (
            QueueStep("out", "GreaterThanThreshold", self.scale_out_above, self.scale_out_minutes, 60, 1, 60),
            QueueStep("in", "LessThanThreshold", self.scale_in_below, self.scale_in_minutes, 60, -1, 300),
        )

    def policy(self, step: QueueStep) -> dict[str, Any]:
        """``step_scaling_policy_configuration``: steps are relative to the alarm threshold."""
        bound = {"metric_interval_lower_bound": "0"} if step.adjustment > 0 else {"metric_interval_upper_bound": "0"}
        return {
            "adjustment_type": "ChangeInCapacity",
            "cooldown": step.cooldown,
            "metric_aggregation_type": "Maximum",
            "step_adjustments": [{**bound, "scaling_adjustment": step.adjustment}],
        }

    def alarm(self, step: QueueStep) -> dict[str, Any]:
        """The inputs of the ``cloudwatch.MetricAlarm`` that drives ``step`` (without name and actions)."""
        return {
            "namespace": "AWS/SQS", "metric_name": "ApproximateNumberOfMessagesVisible",
            "dimensions": {"QueueName": self.queue_name}, "statistic": "Maximum", "period": step.period,
            "evaluation_periods": step.evaluation_periods, "threshold": step.threshold,
            "comparison_operator": step.comparison, "treat_missing_data": "notBreaching",
            "alarm_description": (f"Scale the worker {step.direction}: visible messages "
                                  f"{'>' if step.adjustment > 0 else '<'} {step.threshold:g} for "
                                  f"{step.evaluation_periods} minute(s)"),
        }


def _check_range(minimum: int, maximum: int) -> None:
    if not 0 <= minimum <= maximum or maximum < 1:
        raise ValueError(f"capacity must satisfy 0 <= min ({minimum}) <= max ({maximum}) and max >= 1")
