"""How the API service releases a new task definition: a rolling update or an ECS-native
progressive deployment (blue/green, canary, linear), and the IAM role ECS shifts traffic with.

ECS (since July 2025, no CodeDeploy) starts the new revision's tasks in full in the *alternate*
target group, lets test traffic reach them through the test listener rule, then shifts production
traffic by changing the weights of the production listener rule's forward action:

- ``blue-green``: all traffic at once, then ``bakeMinutes`` with both revisions running;
- ``canary``: ``canaryPercent`` first, ``canaryBakeMinutes`` later the rest, then the bake;
- ``linear``: ``stepPercent`` more every ``stepBakeMinutes`` until all, then the bake.

While it bakes, an alarm in ALARM (or the circuit breaker) sends all traffic back to the old
revision within seconds; after the bake ECS stops the old tasks. Everything here is a pure
function of plain values, tested without Pulumi; ``components/service.py`` and
``components/load_balancer.py`` use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from accunode import awsrules

Strategy = Literal["rolling", "blue-green", "canary", "linear"]
STRATEGIES: tuple[str, ...] = ("rolling", "blue-green", "canary", "linear")
PROGRESSIVE: tuple[str, ...] = ("blue-green", "canary", "linear")
# The ECS API's names (botocore ecs DeploymentStrategy).
ECS_STRATEGY = {"rolling": "ROLLING", "blue-green": "BLUE_GREEN", "canary": "CANARY", "linear": "LINEAR"}
# Requests with this header reach the new revision through the test listener rule while a deployment
# runs (before any production traffic moves), e.g. `curl -H 'X-AccuNode-Test: green' https://.../health`.
TEST_HEADER = ("X-AccuNode-Test", "green")
TEST_RULE_PRIORITY = 10
PRODUCTION_RULE_PRIORITY = 20


@dataclass(frozen=True)
class DeploymentSpec:
    """One service's release strategy; the defaults are the prod defaults."""

    strategy: Strategy = "rolling"
    bake_minutes: int = 15
    canary_percent: float = 10.0
    canary_bake_minutes: int = 10
    step_percent: float = 25.0
    step_bake_minutes: int = 5

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}")
        for name in ("bake_minutes", "canary_bake_minutes", "step_bake_minutes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= awsrules.ECS_BAKE_MINUTES_MAX:
                raise ValueError(f"{name} {value!r} must be 0-{awsrules.ECS_BAKE_MINUTES_MAX} minutes")
        for name, (low, high) in (("canary_percent", awsrules.ECS_CANARY_PERCENT),
                                  ("step_percent", awsrules.ECS_LINEAR_STEP_PERCENT)):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or not low <= value <= high:
                raise ValueError(f"{name} {value!r} must be {low:g}-{high:g} percent")

    @property
    def progressive(self) -> bool:
        return self.strategy in PROGRESSIVE

    def shift_steps(self) -> list[tuple[float, int]]:
        """(percent of production traffic on the new revision, minutes it stays there) per step, before the bake."""
        if self.strategy == "canary":
            return [(self.canary_percent, self.canary_bake_minutes), (100.0, 0)]
        if self.strategy == "linear":
            count = math.ceil(100.0 / self.step_percent)
            return [(min(100.0, round(self.step_percent * (i + 1), 1)), self.step_bake_minutes if i + 1 < count else 0)
                    for i in range(count)]
        if self.strategy == "blue-green":
            return [(100.0, 0)]
        return []

    def double_capacity_minutes(self) -> int:
        """How long both revisions run in full (ECS starts the new one completely), traffic shifting plus bake."""
        return sum(minutes for _, minutes in self.shift_steps()) + self.bake_minutes if self.progressive else 0


def deployment_configuration(spec: DeploymentSpec) -> dict[str, Any] | None:
    """The ECS service's ``deployment_configuration`` block (pulumi-aws 7.51 names), or None for rolling.

    pulumi-aws types the bake times as strings (``bake_time_in_minutes: str``); the provider sends
    integers, as botocore's ``DeploymentConfiguration`` requires.
    """
    if not spec.progressive:
        return None
    block: dict[str, Any] = {"strategy": ECS_STRATEGY[spec.strategy], "bake_time_in_minutes": str(spec.bake_minutes)}
    if spec.strategy == "canary":
        block["canary_configuration"] = {"canary_percent": float(spec.canary_percent),
                                         "canary_bake_time_in_minutes": str(spec.canary_bake_minutes)}
    if spec.strategy == "linear":
        block["linear_configuration"] = {"step_percent": float(spec.step_percent),
                                         "step_bake_time_in_minutes": str(spec.step_bake_minutes)}
    return block


def forward_weighted(primary_arn: Any, alternate_arn: Any) -> list[dict[str, Any]]:
    """A listener rule's action: all traffic to the primary group, none to the alternate. ECS changes
    the weights during a deployment (so the program ignores later changes to them)."""
    return [{"type": "forward", "forward": {"target_groups": [
        {"arn": primary_arn, "weight": 100}, {"arn": alternate_arn, "weight": 0}]}}]


def rule_conditions(rule: Literal["production", "test"]) -> list[dict[str, Any]]:
    """The production rule matches every path; the test rule only requests with ``TEST_HEADER``."""
    if rule == "production":
        return [{"path_pattern": {"values": ["/*"]}}]
    name, value = TEST_HEADER
    return [{"http_header": {"http_header_name": name, "values": [value]}}]
