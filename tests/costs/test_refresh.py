"""`accunode prices refresh` against botocore's Stubber (moto has no Pricing API), fed Price List
responses shaped like the real ones: JSON strings, OnDemand terms with a $0 dimension beside the
real one, region-prefixed usage types."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber

from accunode.cli import main
from accunode.costs.pricebook import PriceBook, load_price_book
from accunode.costs.refresh import on_demand_price, query_plan, refresh


def product(usagetype: str, price: float, *, with_zero_dimension: bool = False) -> str:
    dimensions = {"ABCD.JRTCKXETXF.6YS6EN2CT7": {
        "unit": "Hrs", "pricePerUnit": {"USD": f"{price:.10f}"}, "description": f"${price} per {usagetype}",
        "beginRange": "0", "endRange": "Inf", "appliesTo": []}}
    if with_zero_dimension:
        dimensions = {"ABCD.JRTCKXETXF.0ZERO": {"unit": "Hrs", "pricePerUnit": {"USD": "0.0000000000"},
                                                "description": "reserved instance applied"}, **dimensions}
    return json.dumps({
        "product": {"productFamily": "Compute", "sku": "ABCD",
                    "attributes": {"usagetype": usagetype, "regionCode": "us-east-1", "servicecode": "X"}},
        "serviceCode": "X",
        "terms": {"OnDemand": {"ABCD.JRTCKXETXF": {"priceDimensions": dimensions, "sku": "ABCD",
                                                   "effectiveDate": "2026-11-01T00:00:00Z"}}},
        "version": "20261101", "publicationDate": "2026-11-01T00:00:00Z"})


def fake_price(sku: str) -> float:
    """A distinct, recognisable price per SKU: the book's price + 1 cent."""
    return round(load_price_book("us-east-1").rate(sku) + 0.01, 6)


def test_refresh_queries_each_sku_and_writes_the_api_prices():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    current = load_price_book("us-east-1")
    with Stubber(client) as stub:
        for query in query_plan("us-east-1"):
            rows = []
            if query.usagetype_suffix:  # several products per call, matched by suffix (region prefix varies)
                rows.append(product("USE1-Something-Else", 9.99))
                rows.append(product(f"USE1-{query.usagetype_suffix}", fake_price(query.sku)))
            else:
                rows.append(product("InstanceUsage:x", fake_price(query.sku), with_zero_dimension=True))
            stub.add_response("get_products", {"PriceList": rows, "FormatVersion": "aws_v1"},
                              {"ServiceCode": query.service_code, "Filters": query.api_filters(),
                               "FormatVersion": "aws_v1"})
        document, missing = refresh(current, client, "us-east-1")
        stub.assert_no_pending_responses()
    assert missing == []
    book = PriceBook(document)
    for query in query_plan("us-east-1"):
        assert book.rate(query.sku) == pytest.approx(fake_price(query.sku)), query.sku
        assert "AWS Price List API" in book[query.sku].source
    assert book.rate("waf.web_acl_month") == current.rate("waf.web_acl_month")  # no query: kept


def test_a_sku_the_api_does_not_price_is_kept_and_reported():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    current = load_price_book("us-east-1")
    with Stubber(client) as stub:
        for _ in query_plan("us-east-1"):
            stub.add_response("get_products", {"PriceList": [], "FormatVersion": "aws_v1"})
        document, missing = refresh(current, client, "us-east-1")
    assert len(missing) == len(query_plan("us-east-1"))
    assert PriceBook(document).rate("ec2.nat_gateway_hour") == current.rate("ec2.nat_gateway_hour")


def test_the_zero_reserved_dimension_is_skipped():
    assert on_demand_price(json.loads(product("NodeUsage:cache.t3.micro", 0.017, with_zero_dimension=True))) == 0.017


def test_queries_filter_by_region_code_and_cover_every_catalog_class():
    plan = query_plan("eu-west-1")
    assert all(("regionCode", "eu-west-1") in q.filters for q in plan)
    assert {q.sku for q in plan} >= {"rds.postgres.db.t3.small.multi_az", "elasticache.redis.cache.r6g.large",
                                     "ec2.nat_gateway_hour", "fargate.vcpu_hour.arm64"}


def test_cli_refresh_reports_api_errors_without_a_traceback(monkeypatch, tmp_path, capsys):
    real_client = boto3.client

    def broken_client(*args, **kwargs):
        client = real_client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        stub = Stubber(client)
        stub.add_client_error("get_products", service_error_code="AccessDeniedException", http_status_code=403)
        stub.activate()
        return client

    monkeypatch.setattr(boto3, "client", broken_client)
    code = main(["prices", "refresh", "--region", "us-east-1", "--output", str(tmp_path / "book.json")])
    assert code == 2
    assert "the Price List API failed" in capsys.readouterr().err
    assert not (tmp_path / "book.json").exists()


def test_a_refresh_keeps_the_commitment_rates_with_their_dates():
    from accunode.costs import load_price_book
    from accunode.costs.pricebook import PriceBook
    from accunode.costs.refresh import refresh

    class NoRows:
        def get_paginator(self, _name):
            class Pages:
                def paginate(self, **_kwargs):
                    return [{"PriceList": []}]
            return Pages()

    current = load_price_book("us-east-1")
    document, _ = refresh(current, NoRows(), "eu-west-1")
    assert PriceBook(document).commitments == current.commitments
