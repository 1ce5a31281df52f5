"""AccuNode's security rules, grouped by area, as CrossGuard policies (see ../README.md)."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from . import containers, data, delivery, edge, exemptions, hardening, identity, logging, network, resources
from ._frame import Rule

RULES: list[Rule] = [*network.RULES, *data.RULES, *containers.RULES, *edge.RULES, *delivery.RULES, *identity.RULES,
                     *resources.RULES, *logging.RULES, *hardening.RULES, exemptions.RULE]
ALL_POLICIES: list[Policy] = [rule.policy() for rule in RULES]
PACK_NAME = "accunode-security"
PACK_ENFORCEMENT = EnforcementLevel.MANDATORY
INITIAL_CONFIG: dict[str, EnforcementLevel | dict] = {}

__all__ = ["ALL_POLICIES", "INITIAL_CONFIG", "PACK_ENFORCEMENT", "PACK_NAME", "RULES"]
