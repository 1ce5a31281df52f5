"""Advisories: the same capacity for less. Each names what it would save, priced by the cost model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from accunode.costs import Estimate, load_price_book
from accunode.costs.commitments import advice as commitment_advice
from accunode.costs.commitments import commitments

from ._frame import ADVISORY, LOW, Context, Res, Rule, Stack, is_unknown, number, text
from .budget import estimate_stack, money

NAT, EIP = "aws:ec2/natGateway:NatGateway", "aws:ec2/eip:Eip"
SERVICE, TASK = "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition"
TARGET = "aws:appautoscaling/target:Target"


def _monthly(estimate: Estimate | None, *resources: str, category: str | None = None, low: bool = False,
             fixed: bool = False) -> float:
    """What the resources' lines cost a month (``low``: at the autoscaling minimum; ``fixed``: without usage)."""
    if estimate is None:
        return 0.0
    return sum(line.monthly_min if low else line.monthly for line in estimate.lines
               if line.resource in resources and (category is None or line.category == category)
               and not (fixed and line.usage_based))


def _saving(amount: float) -> str:
    return f" (about {money(amount)}/month)" if amount > 0 else ""


def nat_per_az(stack: Stack, ctx: Context) -> Iterator[tuple[Res, str]]:
    if ctx.environment == "prod":
        return
    gateways = sorted(stack.of_type(NAT), key=lambda r: r.name)
    if len(gateways) < 2:
        return
    estimate = estimate_stack(stack, ctx)
    for extra in gateways[1:]:
        eips = [e.name for e in stack.linked(extra, "allocationId", EIP)]
        cost = _monthly(estimate, extra.name, *eips, fixed=True)  # its traffic moves to the remaining gateway
        yield extra, (f"{len(gateways)} NAT gateways in {ctx.environment}: one per AZ buys resilience this "
                      f"environment does not need; set accunode:natStrategy to single to save this one{_saving(cost)}.")


def _task(stack: Stack, service: Res) -> Res | None:
    found = stack.linked(service, "taskDefinition", TASK)
    return found[0] if found else None


def _spot(service: Res) -> bool:
    strategies = service.props.get("capacityProviderStrategies")
    return isinstance(strategies, list) and any(
        isinstance(s, Mapping) and s.get("capacityProvider") == "FARGATE_SPOT" and (number(s.get("weight")) or 0) > 0
        for s in strategies)


def fargate_arm64(stack: Stack, ctx: Context) -> Iterator[tuple[Res, str]]:
    estimate = estimate_stack(stack, ctx)
    book = load_price_book(estimate.region if estimate else "us-east-1")
    for service in stack.of_type(SERVICE):
        task = _task(stack, service)
        if task is None or _spot(service):  # Spot capacity is priced and offered for x86_64 here
            continue
        architecture = task.get("runtimePlatform", "cpuArchitecture")
        if is_unknown(architecture):
            ctx.unknown("runtimePlatform.cpuArchitecture")
            continue
        if (text(architecture) or "X86_64").upper() == "ARM64":
            continue
        saving = 0.0
        if estimate is not None:
            for line in estimate.lines:
                if line.resource == service.name and line.sku.endswith(".x86_64"):
                    saving += line.quantity * (line.unit_price - book.rate(line.sku.replace(".x86_64", ".arm64")))
        yield service, (f"Service {service.name} runs x86_64 tasks; ARM64 (Graviton) Fargate costs about 20 % less "
                        f"for the same size{_saving(saving)}. If the image builds for linux/arm64, set "
                        "accunode:cpuArchitecture to arm64.")


def _scaling_target(stack: Stack, service: Res) -> Res | None:
    name = text(service.props.get("name")) or service.name
    for target in stack.of_type(TARGET):
        if service.urn in target.deps.get("resourceId", []) or (text(target.props.get("resourceId")) or "").endswith(
                f"/{name}"):
            return target
    return None


def worker_scale_to_zero(stack: Stack, ctx: Context) -> Iterator[tuple[Res, str]]:
    if ctx.environment == "prod":
        return
    estimate = estimate_stack(stack, ctx)
    for service in stack.of_type(SERVICE):
        balancers = service.props.get("loadBalancers")
        if is_unknown(balancers) or (isinstance(balancers, list) and balancers):
            continue  # serves traffic behind the load balancer: not a queue worker
        target = _scaling_target(stack, service)
        raw = target.props.get("minCapacity") if target is not None else service.props.get("desiredCount")
        if is_unknown(raw):
            ctx.unknown("minCapacity")
            continue
        minimum = number(raw)
        if minimum is not None and minimum > 0:
            cost = _monthly(estimate, service.name, category="compute", low=True)
            yield service, (f"Worker {service.name} keeps {minimum:g} task(s) running in {ctx.environment} even with "
                            f"an empty queue{_saving(cost)}; set accunode:worker.minCount and desiredCount to 0 so it "
                            "scales out on queue depth.")


def commitment_for_prod(stack: Stack, ctx: Context) -> Iterator[tuple[Res | None, str]]:
    if ctx.environment != "prod":
        return
    estimate = estimate_stack(stack, ctx)
    if estimate is None:
        return
    by_name = {r.name: r for r in stack.resources}
    for resource, message in commitment_advice(commitments(estimate, load_price_book(estimate.region))):
        yield by_name.get(resource), message


RULES = [
    Rule("nat-gateway-per-az-outside-prod", "network",
         "Outside prod the stack uses a single NAT gateway, not one per availability zone.", LOW, nat_per_az,
         stack=True, enforcement=ADVISORY),
    Rule("fargate-arm64", "compute",
         "Fargate services run on ARM64 (Graviton) where the image allows, for the same capacity at lower cost.",
         LOW, fargate_arm64, stack=True, enforcement=ADVISORY),
    Rule("commitment-for-prod", "commitments",
         "A prod stack's always-on database, cache and Fargate capacity is covered by a reservation or Savings Plan "
         "when one would cost less than on-demand.", LOW, commitment_for_prod, stack=True, enforcement=ADVISORY),
    Rule("worker-scale-to-zero", "compute",
         "Outside prod, queue workers scale to zero when the queue is empty.", LOW, worker_scale_to_zero,
         stack=True, enforcement=ADVISORY),
]
