"""AccuNode's cost rules as CrossGuard policies (see ../README.md): the budget, sizes per environment,
cost hygiene and advisories. The budget is priced by ``accunode.costs``, the model ``accunode cost`` uses."""

from __future__ import annotations

from policy_frame import exemptions_report
from pulumi_policy import EnforcementLevel, Policy

from . import advice, budget, hygiene, sizing
from ._frame import Rule

# The exemption report must be the last stack policy: the engine runs stack policies in the pack's order.
RULES: list[Rule] = [*budget.RULES, *sizing.RULES, *hygiene.RULES, *advice.RULES,
                     exemptions_report(Rule, "cost-exemptions")]
ALL_POLICIES: list[Policy] = [rule.policy() for rule in RULES]
PACK_NAME = "accunode-cost"
PACK_ENFORCEMENT = EnforcementLevel.MANDATORY

__all__ = ["ALL_POLICIES", "PACK_ENFORCEMENT", "PACK_NAME", "RULES"]
