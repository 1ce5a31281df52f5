"""What Reserved Instances, reserved cache nodes and Compute Savings Plans would do to a stack's bill.

Pure: an :class:`~accunode.costs.model.Estimate` and the price book's dated commitment rates in, a
:class:`CommitmentView` out (``accunode cost`` shows it; the cost pack's ``commitment-for-prod`` advisory
words it). A commitment is priced as fractions of the on-demand cost it replaces: ``effective`` (upfront
spread over the term plus the hourly fee) and ``recurring`` (the hourly fee alone); the upfront is
``(effective - recurring) x on-demand monthly x months in the term``.

What is covered: RDS instance hours and ElastiCache node hours at the expected count (they run all
month), Fargate vCPU and memory of the tasks that always run (the autoscaling minimum, on-demand
capacity only: a Savings Plan does not discount Spot). Storage, logs and traffic are never covered.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from accunode.costs.model import CostLine, Estimate
from accunode.costs.pricebook import Commitment, PriceBook

PAYMENTS = ("no_upfront", "partial_upfront", "all_upfront")
SERVICES = {"rds": "RDS reserved instances", "elasticache": "ElastiCache reserved nodes",
            "fargate": "Compute Savings Plans (Fargate)"}


@dataclass(frozen=True)
class CommitmentOption:
    service: str
    label: str
    term_years: int
    payment: str
    confidence: str
    source: str
    resources: tuple[str, ...]
    on_demand_monthly: float
    committed_monthly: float
    """Upfront spread over the term plus the monthly fee: what the commitment costs a month on average."""
    recurring_monthly: float
    upfront: float
    break_even_month: int | None
    """First month whose running total with the commitment is at most the on-demand one; None: never."""

    @property
    def savings_monthly(self) -> float:
        return self.on_demand_monthly - self.committed_monthly

    @property
    def term_savings(self) -> float:
        return self.savings_monthly * 12 * self.term_years

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "option": self.label, "termYears": self.term_years,
                "payment": self.payment, "confidence": self.confidence, "resources": list(self.resources),
                "onDemandMonthly": round(self.on_demand_monthly, 2),
                "committedMonthly": round(self.committed_monthly, 2),
                "recurringMonthly": round(self.recurring_monthly, 2), "upfront": round(self.upfront, 2),
                "savingsMonthly": round(self.savings_monthly, 2), "termSavings": round(self.term_savings, 2),
                "breakEvenMonth": self.break_even_month, "source": self.source}


@dataclass
class CommitmentView:
    stack: str
    options: list[CommitmentOption] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def for_service(self, service: str) -> list[CommitmentOption]:
        return [option for option in self.options if option.service == service]

    def best(self, service: str) -> CommitmentOption | None:
        """The option that saves the most a month (ties: the shorter term, then the smaller upfront)."""
        options = self.for_service(service)
        return min(options, key=lambda o: (-round(o.savings_monthly, 2), o.term_years, o.upfront)) if options else None

    def to_dict(self) -> dict[str, Any]:
        return {"stack": self.stack, "options": [option.to_dict() for option in self.options], "notes": self.notes,
                "best": {service: best.label for service in SERVICES if (best := self.best(service))}}


def break_even_month(upfront: float, recurring_monthly: float, on_demand_monthly: float, months: int) -> int | None:
    if on_demand_monthly <= recurring_monthly:
        return None
    month = max(1, math.ceil(upfront / (on_demand_monthly - recurring_monthly) - 1e-9))
    return month if month <= months else None


def _covered(estimate: Estimate, book: PriceBook) -> tuple[dict[str, tuple[float, list[str]]], list[str]]:
    """On-demand monthly cost each commitment kind would cover, and the resources behind it."""
    covered: dict[str, tuple[float, list[str]]] = {}
    notes: list[str] = []

    def add(service: str, amount: float, line: CostLine) -> None:
        total, names = covered.get(service, (0.0, []))
        covered[service] = (total + amount, names if line.resource in names else [*names, line.resource])

    for line in estimate.lines:
        if line.sku.startswith("rds.postgres."):
            add("rds", line.monthly, line)
        elif line.sku.startswith("elasticache.redis."):
            add("elasticache", line.monthly, line)
        elif line.sku.startswith(("fargate.vcpu_hour.", "fargate.gb_hour.")) and line.sku in book:
            if line.unit_price < book.rate(line.sku) - 1e-12:
                note = f"{line.resource} runs on Fargate Spot: Savings Plans do not discount Spot, so it is left out"
                if note not in notes:
                    notes.append(note)
            elif line.monthly_min > 0:
                add("fargate", line.monthly_min, line)
    return covered, notes


def commitments(estimate: Estimate, book: PriceBook) -> CommitmentView:
    covered, notes = _covered(estimate, book)
    view = CommitmentView(stack=estimate.stack, notes=notes)
    rates: Iterable[Commitment] = sorted(book.commitments, key=lambda c: (
        list(SERVICES).index(c.service) if c.service in SERVICES else len(SERVICES), c.term_years,
        PAYMENTS.index(c.payment) if c.payment in PAYMENTS else len(PAYMENTS)))
    for rate in rates:
        if rate.service not in covered:
            continue
        on_demand, resources = covered[rate.service]
        months = 12 * rate.term_years
        upfront = max(rate.effective - rate.recurring, 0.0) * on_demand * months
        recurring = rate.recurring * on_demand
        view.options.append(CommitmentOption(
            service=rate.service, label=rate.label, term_years=rate.term_years, payment=rate.payment,
            confidence=rate.confidence, source=rate.source, resources=tuple(resources), on_demand_monthly=on_demand,
            committed_monthly=rate.effective * on_demand, recurring_monthly=recurring, upfront=upfront,
            break_even_month=break_even_month(upfront, recurring, on_demand, months)))
    if "rds" in covered or "elasticache" in covered:
        view.notes.append("RDS and ElastiCache reservations are sold for 1 year (no, partial or all upfront) and "
                          "3 years (partial or all upfront); a reservation matches one class, engine and region")
    return view


def advice(view: CommitmentView) -> list[tuple[str, str]]:
    """(resource, message) for each covered kind: on-demand now, the no-upfront and the cheapest option."""
    found = []
    for service, title in SERVICES.items():
        options = view.for_service(service)
        best = view.best(service)
        if not options or best is None or best.savings_monthly <= 0:
            continue
        easy = next((o for o in options if o.payment == "no_upfront" and o.term_years == 1), None)
        parts = [f"{', '.join(best.resources)} run{'s' if len(best.resources) == 1 else ''} on-demand at "
                 f"${best.on_demand_monthly:,.2f}/month"]
        if easy is not None and easy is not best:
            parts.append(f"{easy.label}: ${easy.committed_monthly:,.2f}/month (saves ${easy.savings_monthly:,.2f}, "
                         "nothing upfront)")
        parts.append(f"cheapest, {best.label}: ${best.committed_monthly:,.2f}/month on average (saves "
                     f"${best.savings_monthly:,.2f}, ${best.upfront:,.2f} upfront, breaks even in month "
                     f"{best.break_even_month}; rates marked {best.confidence})")
        found.append((best.resources[0], f"{title}: " + ". ".join(parts) + ". If the stack runs for the term and "
                      f"none is bought yet, buy one; `accunode cost --stack {view.stack}` lists every option."))
    return found
