"""AccuNode security policy pack: `pulumi preview --policy-pack policies/security`."""

from accunode_security import ALL_POLICIES, INITIAL_CONFIG, PACK_ENFORCEMENT, PACK_NAME
from pulumi_policy import PolicyPack

PolicyPack(
    name=PACK_NAME,
    enforcement_level=PACK_ENFORCEMENT,
    policies=ALL_POLICIES,
    initial_config=INITIAL_CONFIG,
    description="AccuNode security posture: private placement, encryption, least privilege, hardened containers.",
)
