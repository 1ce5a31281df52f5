"""The monthly budget: the stack priced by the cost model ``accunode cost`` uses, against its budget.

The resources are the stack's outputs as ``AnalyzeStack`` delivers them; they become the same
``accunode.costs.Item`` list the CLI builds from a captured graph and go through the same
``accunode.costs.estimate_for`` with the stack's tier, region and usage overrides, so the figure
in a violation is the figure ``accunode cost --stack <stack>`` prints.
"""

from __future__ import annotations

from collections.abc import Iterator

from accunode.costs import Estimate, Item, estimate_for
from accunode.settings import NAMESPACE

from ._frame import ADVISORY, HIGH, MEDIUM, Context, Res, Rule, Stack, number, to_wire

LARGEST = 5
DEFAULT_WARN_SHARE = 0.8
BASES = ("expected", "max")


def money(value: float) -> str:
    return f"${value:,.2f}"


def estimate_stack(stack: Stack, ctx: Context) -> Estimate | None:
    """The stack's estimate, or None (with the reason noted) when its settings cannot be read or its region
    has no price book."""
    settings = ctx.settings
    if settings is None:
        ctx.skip(f"not priced: {ctx.settings_problem}")
        return None
    items = [Item(type=r.type, name=r.name, urn=r.urn, props=to_wire(r.props), parent=r.parent,
                  property_dependencies=r.deps)
             for r in stack.resources]
    estimate = estimate_for(items, settings)
    if estimate.problem:  # e.g. a region without a price book: not applicable, never a violation
        ctx.skip(f"not priced: {estimate.problem}")
        return None
    return estimate


def _budget(ctx: Context) -> float | None:
    configured = number(ctx.config.get("budget"))
    if configured is not None and configured > 0:
        return configured
    return ctx.settings.monthly_budget if ctx.settings is not None else None


def _basis(ctx: Context, estimate: Estimate) -> tuple[str, float]:
    basis = ctx.config.get("basis")
    basis = basis if basis in BASES else "expected"
    return basis, estimate.total_max if basis == "max" else estimate.total


def _summary(estimate: Estimate) -> str:
    spread = "" if estimate.total_min == estimate.total_max else \
        f" (range {money(estimate.total_min)}–{money(estimate.total_max)} with autoscaling)"
    return (f"estimated monthly cost {money(estimate.total)}{spread} for stack {estimate.stack}, tier "
            f"{estimate.tier}, price book {estimate.region} {estimate.price_book_version}")


def _largest(estimate: Estimate) -> str:
    return "; ".join(f"{line.component}/{line.resource} {line.item} {money(line.monthly)}"
                     for line in estimate.largest(LARGEST))


def monthly_budget(stack: Stack, ctx: Context) -> Iterator[tuple[Res | None, str]]:
    estimate = estimate_stack(stack, ctx)
    budget = _budget(ctx)
    if estimate is None or budget is None:
        return
    basis, amount = _basis(ctx, estimate)
    if amount > budget:
        yield None, (f"The {_summary(estimate)} exceeds the budget of {money(budget)} by {money(amount - budget)} "
                     f"({basis} cost). Largest lines: {_largest(estimate)}. Lower the tier or the sizes "
                     f"(`accunode cost --stack {estimate.stack}` shows cheaper variants), or raise "
                     f"{NAMESPACE}:monthlyBudget or this policy's `budget`.")


def budget_warning(stack: Stack, ctx: Context) -> Iterator[tuple[Res | None, str]]:
    estimate = estimate_stack(stack, ctx)
    budget = _budget(ctx)
    if estimate is None or budget is None:
        return
    share = number(ctx.config.get("share"))
    share = share if share is not None and 0 < share <= 1 else DEFAULT_WARN_SHARE
    if share * budget <= estimate.total <= budget:
        yield None, (f"The {_summary(estimate)} is {estimate.total / budget:.0%} of the budget of {money(budget)} "
                     f"(warning at {share:.0%}). Largest lines: {_largest(estimate)}.")
    if estimate.total <= budget < estimate.total_max:
        yield None, (f"At the autoscaling maximum the stack costs {money(estimate.total_max)}, above the budget of "
                     f"{money(budget)}: lower the services' maxCount or raise {NAMESPACE}:monthlyBudget.")
    if estimate.unpriced:
        kinds = sorted({type_ for type_, _ in estimate.unpriced})
        yield None, (f"{len(estimate.unpriced)} resources are not priced by the cost model ({', '.join(kinds)}), so "
                     "the estimate is low by their cost: add them to accunode/costs/model.py.")


BUDGET_SCHEMA = {"type": "number", "exclusiveMinimum": 0,
                 "description": "Monthly budget in USD; defaults to the stack's accunode:monthlyBudget."}

RULES = [
    Rule("monthly-budget", "budget",
         "The stack's estimated monthly cost (accunode cost, the tier's usage profile) stays within its budget.",
         HIGH, monthly_budget, stack=True,
         settings={"budget": BUDGET_SCHEMA,
                   "basis": {"type": "string", "enum": list(BASES), "default": "expected",
                             "description": "Compare the expected cost (desired task counts) or the autoscaling "
                                            "maximum with the budget."}}),
    Rule("monthly-budget-warning", "budget",
         "The stack's estimated monthly cost stays below a share of its budget, also at the autoscaling maximum.",
         MEDIUM, budget_warning, stack=True, enforcement=ADVISORY,
         settings={"budget": BUDGET_SCHEMA,
                   "share": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": DEFAULT_WARN_SHARE,
                             "description": "Warn when the estimate reaches this share of the budget."}}),
]
