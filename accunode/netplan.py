"""Subnet math: how a VPC CIDR is split into public, private (app) and isolated (data) subnets.

Each subnet is 4 bits longer than the VPC prefix (a /16 gives /20s). Index ranges keep the three
tiers apart so adding an AZ never renumbers an existing subnet:
public 0-3, private 4-7, isolated 8-11.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

SubnetTier = Literal["public", "private", "isolated"]
TIERS: tuple[SubnetTier, ...] = ("public", "private", "isolated")
SUBNET_BITS = 4
MAX_AZS = 4
MIN_PREFIX, MAX_PREFIX = 16, 24


@dataclass(frozen=True)
class SubnetPlan:
    tier: SubnetTier
    az_index: int
    cidr: str


def plan_subnets(vpc_cidr: str, az_count: int) -> list[SubnetPlan]:
    """Every subnet of the VPC, in a stable order (tier, then AZ). Raises ValueError when it can't fit."""
    network = ipaddress.IPv4Network(vpc_cidr, strict=True)
    if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
        raise ValueError(f"VPC prefix must be /{MIN_PREFIX} to /{MAX_PREFIX}, got /{network.prefixlen}")
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"AZ count must be 1 to {MAX_AZS}, got {az_count}")
    subnets = list(network.subnets(prefixlen_diff=SUBNET_BITS))
    return [
        SubnetPlan(tier, az, str(subnets[tier_index * MAX_AZS + az]))
        for tier_index, tier in enumerate(TIERS)
        for az in range(az_count)
    ]
