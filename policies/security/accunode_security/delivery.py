"""Delivery: how a release reaches the internet-facing API.

A rolling update replaces the tasks behind a public load balancer one batch at a time, so a bad image
serves every user before an alarm can judge it. ECS-native blue/green, canary and linear deployments
keep the old revision serving until the new one has baked, and an alarm moves traffic back at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import _types as t
from ._frame import HIGH, MANDATORY, UNKNOWN, Context, Graph, Res, Rule, as_bool, as_list, dicts

AREA = "delivery"
PROGRESSIVE = ("BLUE_GREEN", "CANARY", "LINEAR")


def _strings(value: Any) -> list[str]:
    """Every string inside a nested value (the target group ARNs of forward actions, in any shape)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _public_load_balancers(graph: Graph, group: Res) -> list[Res]:
    """Internet-facing load balancers whose listeners (default actions or rules) forward to ``group``."""
    listeners = [listener for listener in graph.of_type(*t.LISTENERS)
                 if group in graph.linked(listener, "defaultActions", group.type,
                                          value=_strings(listener.get("defaultActions")))]
    for rule in graph.of_type(*t.LISTENER_RULES):
        if group in graph.linked(rule, "actions", group.type, value=_strings(rule.get("actions"))):
            listeners += graph.linked(rule, "listenerArn", *t.LISTENERS)
    found: list[Res] = []
    for listener in listeners:
        for lb in graph.linked(listener, "loadBalancerArn", *t.LOAD_BALANCERS):
            if as_bool(lb.get("internal")) is not True and lb not in found:
                found.append(lb)
    return found


def _strategy_problem(service: Res, ctx: Context) -> str | None:
    controller = service.get("deploymentController", "type")
    if isinstance(controller, str) and controller.upper() != "ECS":
        return (f"its deployment controller is {controller}, whose rollback this stack cannot see; use the ECS "
                "controller with deployment_configuration.strategy BLUE_GREEN, CANARY or LINEAR")
    strategy = service.get("deploymentConfiguration", "strategy")
    if strategy is UNKNOWN:
        ctx.unknown(f"{service.name}.deploymentConfiguration.strategy")
        return None
    if not (isinstance(strategy, str) and strategy.upper() in PROGRESSIVE):
        shown = strategy if isinstance(strategy, str) and strategy else "ROLLING (the default)"
        return (f"it releases with strategy {shown}, so a bad image reaches all traffic before an alarm can stop "
                "it; set accunode:api.deployment.strategy to blue-green, canary or linear "
                "(deployment_configuration.strategy BLUE_GREEN, CANARY or LINEAR with bake_time_in_minutes)")
    return None


def _alarm_problem(service: Res, ctx: Context) -> str | None:
    alarms = service.get("alarms")
    if alarms is UNKNOWN:
        ctx.unknown(f"{service.name}.alarms")
        return None
    enable, rollback = as_bool(service.get("alarms", "enable")), as_bool(service.get("alarms", "rollback"))
    names = as_list(service.get("alarms", "alarmNames"))
    if UNKNOWN in (enable, rollback) or names is UNKNOWN:
        ctx.unknown(f"{service.name}.alarms")
        return None
    if enable is True and rollback is True and any((isinstance(n, str) and n) or n is UNKNOWN for n in names):
        return None
    return ("no rollback alarm watches its deployments, so the bake cannot end a bad release; set alarms with "
            "alarm_names (the API's 5xx rate, unhealthy targets, p95 latency), enable=True and rollback=True")


def check_progressive_delivery(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for service in graph.of_type(t.ECS_SERVICE):
        blocks = service.get("loadBalancers")
        if blocks is UNKNOWN:
            ctx.unknown(f"{service.name}.loadBalancers")
            continue
        primaries = [b.get("targetGroupArn") for b in dicts(blocks)]
        groups = graph.linked(service, "loadBalancers", *t.TARGET_GROUPS,
                              value=[arn for arn in primaries if isinstance(arn, str)])
        public = [lb for group in groups for lb in _public_load_balancers(graph, group)]
        if not public:
            continue
        for problem in (_strategy_problem(service, ctx), _alarm_problem(service, ctx)):
            if problem:
                yield service, (f"ECS service {service.name} serves internet traffic through load balancer "
                                f"{public[0].name}, but {problem}.")


RULES = [
    Rule("ecs-public-service-progressive-delivery", AREA,
         "In prod, an ECS service behind an internet-facing load balancer releases blue/green, canary or linear "
         "with at least one rollback alarm.", HIGH, check_progressive_delivery, stack=True, prod_only=True,
         enforcement=MANDATORY),
]
