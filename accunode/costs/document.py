"""The deployment review's cost table next to ours, line by line, with the reason they differ."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from accunode.costs.model import CostLine, Estimate

DOCUMENT_FILE = Path(__file__).with_name("document_tiers.json")

# Which of our lines a document line stands for, and why the figures differ.
_MATCH: dict[str, tuple[Callable[[CostLine], bool], str]] = {
    "fargate_api": (lambda x: x.component == "api" and x.category == "compute",
                    "the document's Fargate rates are about 42% below AWS's ($0.04048/vCPU-h, $0.004445/GB-h), "
                    "and ranges are priced at the expected count"),
    "fargate_worker": (lambda x: x.component == "worker" and x.category == "compute",
                       "same Fargate rate error; high's $105 is not even 3x its own 2 vCPU price"),
    "rds": (lambda x: x.category == "database",
            "the document used ~$0.023/h (an EC2 rate) and left out storage; Multi-AZ doubles both"),
    "redis": (lambda x: x.category == "cache",
              "ElastiCache nodes cost $0.017/h (t3.micro) and up; a replicated group bills every node"),
    "alb": (lambda x: x.sku == "elb.alb_hour", "the hourly fee matches; LCUs and public IPs are extra lines below"),
    "ecr": (lambda x: x.category == "registry", "ECR storage is $0.10/GB-month, not $1"),
    "logs": (lambda x: x.sku in ("logs.ingest_gb", "logs.storage_gb_month"),
             "ingestion at $0.50/GB matches; we add storage and the flow-log and database log groups"),
    "transfer": (lambda x: x.category == "data transfer", "the first 100 GB a month are free, then $0.09/GB"),
    "autoscaling": (lambda x: False, "Application Auto Scaling is free; extra tasks are in the Fargate lines"),
    "waf": (lambda x: x.category == "waf", "$5 per web ACL + $1 per rule + $0.60 per million requests"),
}
_OMITTED: dict[str, tuple[Callable[[CostLine], bool], str]] = {
    "NAT gateway": (lambda x: x.sku.startswith("ec2.nat_gateway"),
                    "private subnets need it: $0.045/h per gateway plus $0.045/GB processed"),
    "Public IPv4 addresses": (lambda x: x.sku == "vpc.public_ipv4_hour",
                              "$0.005/h per address since 2024: one per ALB AZ and per NAT"),
    "Load balancer capacity units": (lambda x: x.sku == "elb.alb_lcu_hour", "$0.008 per LCU-hour"),
    "Alarms and dashboard": (lambda x: x.sku.startswith("cloudwatch."),
                             "$0.10 per alarm metric, $3 per dashboard"),
    "Other (KMS, S3, SQS, endpoints)": (lambda x: x.category in ("other", "storage", "queue")
                                        or x.sku.startswith("vpc.interface"), "small, but not zero"),
}


@dataclass(frozen=True)
class Row:
    label: str
    spec: str
    document: float | None
    ours: float
    why: str


    @property
    def title(self) -> str:
        return f"{self.label} ({self.spec})" if self.spec else self.label


@cache
def document_tiers() -> dict[str, Any]:
    data = json.loads(DOCUMENT_FILE.read_text())
    tiers = data["tiers"]
    for tier in tiers.values():
        if "same_as" in tier:
            tier["lines"] = tiers[tier["same_as"]]["lines"]
    return data


def document_total(tier: str) -> float:
    return round(sum(line["amount"] for line in document_tiers()["tiers"][tier]["lines"]), 2)


def compare(tier: str, ours: Estimate) -> list[Row]:
    """Each document line with our figure for the same thing, then what the document leaves out."""
    rows = []
    for line in document_tiers()["tiers"][tier]["lines"]:
        match, why = _MATCH[line["key"]]
        amount = round(sum(x.monthly for x in ours.lines if match(x)), 2)
        rows.append(Row(line["label"], line["spec"], line["amount"], amount, why))
    for label, (match, why) in _OMITTED.items():
        amount = round(sum(x.monthly for x in ours.lines if match(x)), 2)
        if amount:
            rows.append(Row(label, "", None, amount, f"omitted by the document: {why}"))
    return rows


@dataclass(frozen=True)
class CicdRow:
    label: str
    deployments: float
    minutes: float
    document: float | None
    ours: float


def cicd_rows(rate: float, free_minutes: float, deployments: float, minutes_per_deployment: float) -> list[CicdRow]:
    """GitHub Actions minutes: this stack's usage (deployments x minutes each), then the document's scenarios,
    at the price book's rate after the plan's free minutes."""
    data = document_tiers()["cicd"]

    def cost(minutes: float) -> float:
        return round(max(minutes - free_minutes, 0) * rate, 2)

    rows = [CicdRow("this stack (usage profile)", deployments, deployments * minutes_per_deployment, None,
                    cost(deployments * minutes_per_deployment))]
    for scenario, stated in zip(data["scenarios"], data["stated"], strict=True):
        minutes = scenario * data["minutes_per_deployment"]
        rows.append(CicdRow("the document's scenario", scenario, minutes, float(stated), cost(minutes)))
    return rows
