"""Check the estimate against the bill: a Cost Explorer export grouped by SERVICE, service by service.

Two inputs are read:
- the JSON of ``aws ce get-cost-and-usage --granularity MONTHLY --metrics UnblendedCost
  --group-by Type=DIMENSION,Key=SERVICE`` (``ResultsByTime[].Groups[].Keys[0]`` and
  ``.Metrics.<metric>.Amount``); several months are averaged;
- a CSV with a service column (``Service``) and a cost column (``UnblendedCost``, ``Amount``, ``Cost``
  or any ``... ($)``), one row per service (and month), or the Cost Explorer console's download, whose
  header row names the services (``Service,Amazon Relational Database Service($),...``) and whose
  rows are months plus a ``Service total`` row.

Our lines map to the SERVICE names Cost Explorer uses by their price-book SKU; a service only in the
bill (Tax, Support, something the model misses) is listed with no estimate.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accunode.costs.model import Estimate

# SKU prefix -> Cost Explorer's SERVICE dimension value (longest prefix wins).
SERVICE_BY_SKU: dict[str, str] = {
    "fargate.": "Amazon Elastic Container Service",
    "rds.": "Amazon Relational Database Service",
    "elasticache.": "Amazon ElastiCache",
    "elb.": "Amazon Elastic Load Balancing",
    "ec2.nat_gateway": "EC2 - Other",
    "vpc.": "Amazon Virtual Private Cloud",
    "logs.": "AmazonCloudWatch",
    "cloudwatch.": "AmazonCloudWatch",
    "ecr.": "Amazon EC2 Container Registry (ECR)",
    "transfer.": "AWS Data Transfer",
    "waf.": "AWS WAF",
    "s3.": "Amazon Simple Storage Service",
    "sqs.": "Amazon Simple Queue Service",
    "kms.": "AWS Key Management Service",
    "secretsmanager.": "AWS Secrets Manager",
    "ssm.": "AWS Systems Manager",
}
COST_COLUMNS = ("unblendedcost", "amount", "cost", "blendedcost", "netunblendedcost", "amortizedcost")


class BillError(ValueError):
    """The file is not a Cost Explorer export this command reads."""


@dataclass(frozen=True)
class BillRow:
    service: str
    estimate: float | None
    actual: float | None

    @property
    def difference(self) -> float:
        return (self.actual or 0.0) - (self.estimate or 0.0)


@dataclass
class BillComparison:
    source: str
    months: int
    rows: list[BillRow]

    @property
    def estimate_total(self) -> float:
        return round(sum(r.estimate or 0.0 for r in self.rows), 2)

    @property
    def actual_total(self) -> float:
        return round(sum(r.actual or 0.0 for r in self.rows), 2)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "months": self.months, "estimateTotal": self.estimate_total,
                "actualTotal": self.actual_total, "difference": round(self.actual_total - self.estimate_total, 2),
                "services": [{"service": r.service, "estimate": None if r.estimate is None else round(r.estimate, 2),
                              "actual": None if r.actual is None else round(r.actual, 2),
                              "difference": round(r.difference, 2)} for r in self.rows]}


def service_of(sku: str) -> str:
    matches = [prefix for prefix in SERVICE_BY_SKU if sku.startswith(prefix)]
    return SERVICE_BY_SKU[max(matches, key=len)] if matches else "other"


def estimate_by_service(estimate: Estimate) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for line in estimate.lines:
        totals[service_of(line.sku)] += line.monthly
    return dict(totals)


def _amount(value: Any, where: str) -> float:
    try:
        return float(str(value).replace(",", "").replace("$", "").strip() or 0)
    except ValueError:
        raise BillError(f"{where}: {value!r} is not an amount") from None


def _from_json(data: Any) -> tuple[dict[str, float], int]:
    if not isinstance(data, dict) or not isinstance(data.get("ResultsByTime"), list):
        raise BillError("no ResultsByTime list (expected the JSON of `aws ce get-cost-and-usage --group-by "
                        "Type=DIMENSION,Key=SERVICE`)")
    totals: dict[str, float] = defaultdict(float)
    periods = data["ResultsByTime"]
    for index, period in enumerate(periods):
        groups = period.get("Groups") if isinstance(period, dict) else None
        if not isinstance(groups, list):
            raise BillError(f"ResultsByTime[{index}] has no Groups (was the query grouped by SERVICE?)")
        for position, group in enumerate(groups):
            where = f"ResultsByTime[{index}].Groups[{position}]"
            keys, metrics = (group.get("Keys"), group.get("Metrics")) if isinstance(group, dict) else (None, None)
            if not (isinstance(keys, list) and keys and isinstance(metrics, dict) and metrics):
                raise BillError(f"{where} needs Keys and Metrics")
            metric = metrics.get("UnblendedCost") or next(iter(metrics.values()))
            if not isinstance(metric, dict) or "Amount" not in metric:
                raise BillError(f"{where}.Metrics has no Amount")
            totals[str(keys[0])] += _amount(metric["Amount"], where)
    return dict(totals), max(len(periods), 1)


def _from_csv(text: str) -> tuple[dict[str, float], int]:
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise BillError("a CSV export needs a header row and at least one row")
    header = [cell.strip() for cell in rows[0]]
    lowered = [cell.lower().replace(" ", "") for cell in header]
    if lowered[0] == "service" and len(header) > 2 and any(cell.endswith("($)") for cell in header[1:]):
        return _from_console_csv(header, rows[1:])
    service_column = next((i for i, cell in enumerate(lowered) if cell in ("service", "keys", "servicename")), None)
    cost_column = next((i for i, cell in enumerate(lowered) if cell in COST_COLUMNS or cell.endswith("($)")), None)
    if service_column is None or cost_column is None:
        raise BillError(f"line 1: no Service and cost columns in {', '.join(header)} (expected e.g. "
                        "Service,UnblendedCost)")
    totals: dict[str, float] = defaultdict(float)
    periods: set[str] = set()
    period_column = next((i for i, cell in enumerate(lowered) if cell in ("timeperiod", "start", "month", "date")),
                         None)
    for number, row in enumerate(rows[1:], start=2):
        if len(row) <= max(service_column, cost_column):
            raise BillError(f"line {number}: {len(row)} cells, expected {len(header)}")
        totals[row[service_column].strip()] += _amount(row[cost_column], f"line {number}")
        if period_column is not None and len(row) > period_column:
            periods.add(row[period_column])
    return dict(totals), max(len(periods), 1)


def _from_console_csv(header: list[str], rows: list[list[str]]) -> tuple[dict[str, float], int]:
    services = [cell.removesuffix("($)").strip() for cell in header[1:]]
    months = [row for row in rows if row[0].strip().lower() != "service total"]
    totals: dict[str, float] = defaultdict(float)
    for number, row in enumerate(months, start=2):
        for service, cell in zip(services, row[1:], strict=False):
            if service.lower() != "total costs":
                totals[service] += _amount(cell, f"line {number}")
    return dict(totals), max(len(months), 1)


def read_export(path: Path) -> tuple[dict[str, float], int]:
    """Monthly actual cost per service (averaged over the export's months) and the number of months."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise BillError(f"cannot read it ({error.__class__.__name__}: {error})") from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise BillError(f"line {error.lineno}: invalid JSON ({error.msg})") from None
        totals, months = _from_json(data)
    else:
        totals, months = _from_csv(text)
    return {service: amount / months for service, amount in totals.items()}, months


def compare_bill(estimate: Estimate, path: Path) -> BillComparison:
    """Estimate vs actual per AWS service; raises BillError with one line saying what is wrong."""
    try:
        actual, months = read_export(path)
    except BillError as error:
        raise BillError(f"{path}: {error}") from None
    ours = estimate_by_service(estimate)
    services = sorted({*ours, *actual}, key=lambda s: -max(ours.get(s, 0.0), actual.get(s, 0.0)))
    rows = [BillRow(service, ours.get(service), actual.get(service)) for service in services]
    return BillComparison(source=str(path), months=months, rows=rows)
