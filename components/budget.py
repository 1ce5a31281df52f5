"""A monthly AWS Budgets cost budget with early (forecast) and late (actual) email warnings.

The budget counts only costs carrying the stack's cost-allocation tag (``user:<key>$<value>``),
so several stacks in one account each get their own limit. AWS Budgets sees a tag only after it
has been activated as a cost-allocation tag in the Billing console; until then such a budget
reports zero, so activating ``stack`` (and ``project``) is part of setting up an account.

What a tag filter cannot see: charges AWS bills without the resource's tags. For this platform
those are the Container Insights custom metrics and its ECS-created performance log group, and the
alarms Application Auto Scaling creates for target-tracking policies (about $19 of prod's
estimate; ``accunode cost`` names them, and its JSON carries ``untaggedMonthlyCost``). Keep the limit above
the tagged share of the estimate, or watch those charges with an account-level budget on the
CloudWatch service.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from accunode.specs.context import StackContext

# (threshold %, notification type): warn when the month is forecast to pass 80%, alarm at 100% spent.
NOTIFICATIONS = ((80, "FORECASTED"), (100, "ACTUAL"))


@dataclass(frozen=True)
class BudgetArgs:
    context: StackContext
    budget_name: str
    monthly_limit_usd: float
    alert_emails: Sequence[str] = ()
    cost_tag: tuple[str, str] | None = None
    """(key, value) of a cost-allocation tag that selects the costs this budget counts."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[^:\\]{1,100}", self.budget_name):
            raise ValueError(f"budget_name {self.budget_name!r} must be 1-100 characters without ':' or '\\'")
        if self.monthly_limit_usd <= 0:
            raise ValueError(f"monthly_limit_usd must be positive, got {self.monthly_limit_usd}")
        if len(self.alert_emails) > 10:
            raise ValueError("AWS Budgets allows at most 10 email subscribers per notification")


class Budget(pulumi.ComponentResource):
    budget_name: str

    def __init__(self, name: str, args: BudgetArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:budget:Budget", name, None, opts)
        notifications = [{
            "comparison_operator": "GREATER_THAN", "threshold": threshold, "threshold_type": "PERCENTAGE",
            "notification_type": kind, "subscriber_email_addresses": list(args.alert_emails),
        } for threshold, kind in NOTIFICATIONS] if args.alert_emails else None
        cost_filters = ([{"name": "TagKeyValue", "values": [f"user:{args.cost_tag[0]}${args.cost_tag[1]}"]}]
                        if args.cost_tag else None)
        aws.budgets.Budget(
            f"{name}-monthly", name=args.budget_name, budget_type="COST", time_unit="MONTHLY",
            limit_amount=f"{args.monthly_limit_usd:.2f}", limit_unit="USD", cost_filters=cost_filters,
            notifications=notifications, tags=args.context.tagged(args.budget_name),
            opts=ResourceOptions(parent=self))

        self.budget_name = args.budget_name
        self.register_outputs({"budgetName": args.budget_name})
