"""AccuNode cost policy pack: `pulumi preview --policy-pack policies/cost`."""

import sys
from pathlib import Path

# The engine runs this file with the pack directory as cwd (so `accunode_cost` imports); the shared
# frame `policy_frame` lives one level up, in policies/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accunode_cost import ALL_POLICIES, PACK_ENFORCEMENT, PACK_NAME
from pulumi_policy import PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=PACK_ENFORCEMENT,
    policies=ALL_POLICIES,
    description="AccuNode cost guardrails: the monthly budget, sizes per environment, tags, retention, lifecycle.",
)
