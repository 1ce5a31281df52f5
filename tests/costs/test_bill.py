"""`accunode cost --against`: the estimate next to a Cost Explorer export, service by service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accunode.cli import main
from accunode.costs.bill import BillError, compare_bill, estimate_by_service, read_export, service_of
from accunode.costs.stacks import estimate_graph

DATA = Path(__file__).with_name("data")


def test_the_json_export_is_averaged_over_its_months():
    actual, months = read_export(DATA / "cost-and-usage-prod.json")
    assert months == 2
    assert actual["Amazon Elastic Container Service"] == pytest.approx((57.10 + 56.90) / 2)
    assert actual["Amazon Relational Database Service"] == pytest.approx((28.60 + 28.96) / 2)
    assert actual["Tax"] == 12.00


@pytest.mark.parametrize("name", ["cost-and-usage-prod.csv", "cost-explorer-console.csv"])
def test_both_csv_shapes_give_the_same_services(name):
    actual, _ = read_export(DATA / name)
    assert actual["Amazon Relational Database Service"] == pytest.approx(28.78)
    assert actual["EC2 - Other"] == 34.00
    assert "Total costs" not in actual and "Service total" not in actual


def test_our_lines_map_to_cost_explorers_service_names():
    assert service_of("fargate.vcpu_hour.x86_64") == "Amazon Elastic Container Service"
    assert service_of("ec2.nat_gateway_hour") == "EC2 - Other"
    assert service_of("vpc.public_ipv4_hour") == "Amazon Virtual Private Cloud"
    assert service_of("cloudwatch.custom_metric_month") == service_of("logs.ingest_gb") == "AmazonCloudWatch"


def test_estimate_vs_actual_per_service_with_the_difference(stack_graph):
    estimate = estimate_graph(stack_graph("prod"))
    bill = compare_bill(estimate, DATA / "cost-and-usage-prod.json")
    rows = {row.service: row for row in bill.rows}
    ours = estimate_by_service(estimate)
    database = rows["Amazon Relational Database Service"]
    # db.t3.small 730 h x $0.036 + 20 GB x $0.115 (its log groups bill under AmazonCloudWatch)
    assert database.estimate == ours["Amazon Relational Database Service"] == pytest.approx(26.28 + 2.30)
    assert database.actual == pytest.approx(28.78) and database.difference == pytest.approx(0.20)
    assert rows["Tax"].estimate is None and rows["Tax"].difference == 12.00  # only in the bill
    assert rows["Amazon ElastiCache"].actual is None and rows["Amazon ElastiCache"].difference == -12.41
    assert bill.estimate_total == round(estimate.total, 2)
    assert bill.actual_total == pytest.approx(57.0 + 28.78 + 30.0 + 34.0 + 12.0)


def test_cli_against_prints_estimate_actual_and_difference(capsys):
    code = main(["cost", "--stack", "prod", "--against", str(DATA / "cost-and-usage-prod.json"), "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)["bill"]
    rows = {row["service"]: row for row in data["services"]}
    ecs = rows["Amazon Elastic Container Service"]
    assert ecs["difference"] == pytest.approx(ecs["actual"] - ecs["estimate"], abs=0.01)
    assert data["months"] == 2 and data["difference"] == pytest.approx(data["actualTotal"] - data["estimateTotal"])
    assert main(["cost", "--stack", "prod", "--against", str(DATA / "cost-explorer-console.csv"),
                 "--format", "markdown"]) == 0
    assert "| Amazon Relational Database Service | $28.58 | $28.78 | +$0.20 |" in capsys.readouterr().out


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "invalid JSON"),
    ('{"ResultsByTime": [{"TimePeriod": {}}]}', "has no Groups"),
    ('{"ResultsByTime": [{"Groups": [{"Keys": ["X"], "Metrics": {"UnblendedCost": {"Amount": "abc"}}}]}]}',
     "'abc' is not an amount"),
    ('{"Items": []}', "no ResultsByTime"),
    ("Month,Total\n2026-11,12\n", "no Service and cost columns"),
    ("Service,UnblendedCost\n", "needs a header row and at least one row"),
])
def test_a_malformed_export_is_one_clear_line_and_no_traceback(tmp_path, capsys, content, expected):
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(BillError, match=expected):
        read_export(path)
    assert main(["cost", "--stack", "prod", "--against", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {path}: ") and expected in err
    assert "Traceback" not in err


def test_a_missing_export_is_one_clear_line(tmp_path, capsys):
    assert main(["cost", "--stack", "prod", "--against", str(tmp_path / "nope.json")]) == 2
    assert "cannot read it" in capsys.readouterr().err
