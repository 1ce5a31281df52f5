"""The price book: a dated, sourced on-demand price per SKU and region (``prices/<region>.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PRICES_DIR = Path(__file__).with_name("prices")


@dataclass(frozen=True)
class Price:
    sku: str
    price: float
    unit: str
    source: str
    date: str
    confidence: str
    note: str = ""


@dataclass(frozen=True)
class Commitment:
    """A commitment's price as fractions of the on-demand rate it replaces (same hours, same resource).

    ``effective`` is the whole cost (upfront spread over the term plus the hourly fee), ``recurring``
    the hourly fee alone; the upfront payment is their difference times the term's on-demand cost.
    """

    service: str  # rds | elasticache | fargate
    term_years: int
    payment: str  # no_upfront | partial_upfront | all_upfront
    effective: float
    recurring: float
    source: str
    date: str
    confidence: str
    note: str = ""

    @property
    def label(self) -> str:
        kind = {"fargate": "Compute Savings Plan", "rds": "RDS reserved instance",
                "elasticache": "ElastiCache reserved node"}.get(self.service, self.service)
        payment = self.payment.replace("_", " ").capitalize()
        return f"{kind}, {self.term_years} year{'s' if self.term_years > 1 else ''}, {payment}"


class PriceBook:
    def __init__(self, data: dict[str, Any]):
        self.region: str = data["region"]
        self.currency: str = data.get("currency", "USD")
        self.version: str = data["version"]
        self.hours_per_month: float = float(data.get("hours_per_month", 730))
        self.prices: dict[str, Price] = {
            sku: Price(sku=sku, price=float(entry["price"]), unit=entry["unit"], source=entry["source"],
                       date=entry["date"], confidence=entry["confidence"], note=entry.get("note", ""))
            for sku, entry in data["prices"].items()
        }
        self.commitments: list[Commitment] = [
            Commitment(**{key: entry[key] for key in Commitment.__dataclass_fields__ if key in entry})
            for entry in data.get("commitments", [])]
        self.missing: str = data.get("missing", "")
        """Why this book is empty (no price book for the region), else ''."""

    def __getitem__(self, sku: str) -> Price:
        try:
            return self.prices[sku]
        except KeyError:
            raise KeyError(f"the {self.region} price book ({self.version}) has no price for {sku}; "
                           "run `accunode prices refresh` or add it") from None

    def __contains__(self, sku: str) -> bool:
        return sku in self.prices

    def rate(self, sku: str) -> float:
        return self[sku].price


def available_regions() -> list[str]:
    return sorted(p.stem for p in PRICES_DIR.glob("*.json"))


def missing_book_message(region: str) -> str:
    return (f"no price book for region {region} (have: {', '.join(available_regions())}); fetch its prices with "
            f"`accunode prices refresh --region {region}` (needs AWS credentials)")


@lru_cache(maxsize=8)
def load_price_book(region: str = "us-east-1", path: str | None = None) -> PriceBook:
    file = Path(path) if path else PRICES_DIR / f"{region}.json"
    if not file.is_file():
        raise FileNotFoundError(missing_book_message(region))
    return PriceBook(json.loads(file.read_text()))


def price_book_or_empty(region: str) -> PriceBook:
    """The region's price book, or an empty one that says why (every priced resource becomes unpriced)."""
    try:
        return load_price_book(region)
    except FileNotFoundError as error:
        return PriceBook({"region": region, "version": "none", "prices": {}, "missing": str(error)})
