"""AccuNode security policy pack: `pulumi preview --policy-pack policies/security`."""

import sys
from pathlib import Path

# The engine runs this file with the pack directory as cwd (so `accunode_security` imports); the shared
# frame `policy_frame` lives one level up, in policies/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accunode_security import ALL_POLICIES, INITIAL_CONFIG, PACK_ENFORCEMENT, PACK_NAME
from pulumi_policy import PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=PACK_ENFORCEMENT,
    policies=ALL_POLICIES,
    initial_config=INITIAL_CONFIG,
    description="AccuNode security posture: private placement, encryption, least privilege, hardened containers.",
)
