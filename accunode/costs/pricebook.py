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


@lru_cache(maxsize=8)
def load_price_book(region: str = "us-east-1", path: str | None = None) -> PriceBook:
    file = Path(path) if path else PRICES_DIR / f"{region}.json"
    if not file.is_file():
        available = ", ".join(sorted(p.stem for p in PRICES_DIR.glob("*.json")))
        raise FileNotFoundError(f"no price book for region {region} (have: {available})")
    return PriceBook(json.loads(file.read_text()))
