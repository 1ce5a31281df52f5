"""AccuNode cost policy pack: `pulumi preview --policy-pack policies/cost`."""

from accunode_cost import ALL_POLICIES, PACK_ENFORCEMENT, PACK_NAME
from pulumi_policy import PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=PACK_ENFORCEMENT,
    policies=ALL_POLICIES,
    description="AccuNode cost guardrails: the monthly budget, sizes per environment, tags, retention, lifecycle.",
)
