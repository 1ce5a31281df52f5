"""Rebuild the price book from the AWS Price List Query API (boto3 ``pricing`` client).

The Query API is served from us-east-1 whatever region is priced; products are filtered by
``regionCode``. Each SKU of the book has a query (service code, filters, how to pick the row);
SKUs without one (free-tier sizes, factors, tiered transfer, GitHub) keep their current entry.
Gotchas handled (shared/reference/aws-prices-and-cost-anchors.md section 4): PriceList items are
JSON strings; some OnDemand terms carry a $0 dimension next to the real one; usage types are
region-prefixed for some services (matched by suffix, never by equality).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from accunode import catalog
from accunode.costs.pricebook import PriceBook

PRICING_ENDPOINT_REGION = "us-east-1"


@dataclass(frozen=True)
class Query:
    sku: str
    service_code: str
    filters: tuple[tuple[str, str], ...]
    usagetype_suffix: str = ""
    """Pick the product whose usagetype ends with this (empty: the only product, or the first priced)."""

    def api_filters(self) -> list[dict[str, str]]:
        return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in self.filters]


def query_plan(region: str) -> list[Query]:
    r = ("regionCode", region)
    plan = [
        Query("fargate.vcpu_hour.x86_64", "AmazonECS", (r, ("productFamily", "Compute")), "Fargate-vCPU-Hours:perCPU"),
        Query("fargate.gb_hour.x86_64", "AmazonECS", (r, ("productFamily", "Compute")), "Fargate-GB-Hours"),
        Query("fargate.vcpu_hour.arm64", "AmazonECS", (r, ("productFamily", "Compute")),
              "Fargate-ARM-vCPU-Hours:perCPU"),
        Query("fargate.gb_hour.arm64", "AmazonECS", (r, ("productFamily", "Compute")), "Fargate-ARM-GB-Hours"),
        Query("elb.alb_hour", "AWSELB", (r, ("productFamily", "Load Balancer-Application")), "LoadBalancerUsage"),
        Query("elb.alb_lcu_hour", "AWSELB", (r, ("productFamily", "Load Balancer-Application")), "LCUUsage"),
        Query("ec2.nat_gateway_hour", "AmazonEC2", (r, ("productFamily", "NAT Gateway")), "NatGateway-Hours"),
        Query("ec2.nat_gateway_gb", "AmazonEC2", (r, ("productFamily", "NAT Gateway")), "NatGateway-Bytes"),
    ]
    for instance_class in catalog.RDS_CLASSES:
        for deployment, option in (("single_az", "Single-AZ"), ("multi_az", "Multi-AZ")):
            plan.append(Query(f"rds.postgres.{instance_class}.{deployment}", "AmazonRDS", (
                r, ("instanceType", instance_class), ("databaseEngine", "PostgreSQL"),
                ("deploymentOption", option))))
    for volume, volume_type in (("gp3", "General Purpose-GP3"), ("gp2", "General Purpose")):
        for deployment, option in (("single_az", "Single-AZ"), ("multi_az", "Multi-AZ")):
            plan.append(Query(f"rds.storage.{volume}.{deployment}", "AmazonRDS", (
                r, ("productFamily", "Database Storage"), ("volumeType", volume_type), ("databaseEngine", "Any"),
                ("deploymentOption", option))))
    for node_type in catalog.CACHE_NODE_TYPES:
        plan.append(Query(f"elasticache.redis.{node_type}", "AmazonElastiCache", (
            r, ("productFamily", "Cache Instance"), ("instanceType", node_type), ("cacheEngine", "Redis"))))
    return plan


def on_demand_price(product: dict[str, Any]) -> float | None:
    """The product's on-demand USD price: the first non-zero dimension (a $0 one may stand beside it)."""
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            price = float(dimension.get("pricePerUnit", {}).get("USD", "0") or 0)
            if price > 0:
                return price
    return None


def _products(client: Any, query: Query) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator("get_products")
    for page in paginator.paginate(ServiceCode=query.service_code, Filters=query.api_filters(),
                                   FormatVersion="aws_v1"):
        for item in page.get("PriceList", []):
            yield json.loads(item) if isinstance(item, str) else item


def price_for(client: Any, query: Query) -> float | None:
    for product in _products(client, query):
        usagetype = product.get("product", {}).get("attributes", {}).get("usagetype", "")
        if query.usagetype_suffix and not usagetype.endswith(query.usagetype_suffix):
            continue
        price = on_demand_price(product)
        if price is not None:
            return price
    return None


def refresh(current: PriceBook, client: Any, region: str,
            progress: Callable[[Iterable[Query]], Iterable[Query]] = lambda queries: queries) -> tuple[dict, list[str]]:
    """A new price-book document for ``region`` and the SKUs the API could not price (kept as they were)."""
    today = datetime.now(UTC).date().isoformat()
    prices = {sku: {"price": p.price, "unit": p.unit, "source": p.source, "date": p.date,
                    "confidence": p.confidence, **({"note": p.note} if p.note else {})}
              for sku, p in current.prices.items()}
    missing = []
    for query in progress(query_plan(region)):
        price = price_for(client, query)
        if price is None:
            missing.append(query.sku)
            continue
        entry = prices.setdefault(query.sku, {"unit": "", "confidence": "A"})
        filters = ", ".join(f"{k}={v}" for k, v in query.filters)
        suffix = f", usagetype *{query.usagetype_suffix}" if query.usagetype_suffix else ""
        entry.update(price=price, date=today, confidence="A",
                     source=f"AWS Price List API get_products {query.service_code} ({filters}{suffix})")
    document = {"region": region, "currency": "USD", "version": today, "hours_per_month": current.hours_per_month,
                "source": f"AWS Price List Query API, refreshed {today}; SKUs without a query kept from "
                          f"price book {current.version}",
                "prices": dict(sorted(prices.items())),
                # commitment rates have no Price List query here yet: kept as they were, with their dates
                "commitments": [{k: v for k, v in asdict(c).items() if v != ""} for c in current.commitments]}
    return document, missing
