"""The cost model: price any stack line by line from a sourced price book and a usage profile.

``estimate_stack`` is what both ``accunode cost`` and the cost policy pack call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accunode.costs.model import CostLine, Estimate, Item, estimate, items_from_graph
from accunode.costs.pricebook import PriceBook, load_price_book, price_book_or_empty
from accunode.costs.usage import TIER_USAGE, UsageProfile, usage_for

if TYPE_CHECKING:  # accunode.settings imports accunode.costs.usage
    from accunode.settings import StackSettings

__all__ = ["TIER_USAGE", "CostLine", "Estimate", "Item", "PriceBook", "UsageProfile", "estimate",
           "estimate_for", "estimate_items", "items_from_graph", "load_price_book", "usage_for"]


def estimate_items(items: list[Item], *, stack: str, tier: str, region: str = "us-east-1",
                   usage_overrides: dict[str, float] | None = None) -> Estimate:
    """Price resources with the tier's usage profile (and the stack's overrides). A region without a price
    book gives an estimate whose ``problem`` says so and lists every priced resource as unpriced."""
    return estimate(items, price_book_or_empty(region), usage_for(tier, usage_overrides), stack=stack, tier=tier)


def estimate_for(items: list[Any], settings: StackSettings) -> Estimate:
    """The one pricing entry point: ``accunode cost`` (items from the captured graph) and the cost policy
    pack (items from AnalyzeStack) both call this, with the stack's tier, region and usage overrides."""
    return estimate_items(items, stack=settings.stack, tier=settings.tier, region=settings.region,
                          usage_overrides=settings.usage.model_dump(exclude_none=True))
