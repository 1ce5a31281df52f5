"""Redis on ElastiCache in the isolated subnets: encrypted at rest and in transit, AUTH required.

Failover and Multi-AZ need a replica, so they follow the node count. The AUTH token is generated
(a Pulumi secret) from letters and digits, which Redis AUTH and ``rediss://`` URLs both accept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from pulumi import Input, Output, ResourceOptions

from accunode import catalog
from accunode.awsrules import LOG_RETENTION_DAYS
from accunode.specs.context import StackContext
from components.network import SubnetSet

SNAPSHOT_WINDOW = "03:00-04:00"  # UTC, before the maintenance window
MAINTENANCE_WINDOW = "sun:05:00-sun:06:00"
PORT = 6379


@dataclass(frozen=True)
class CacheArgs:
    context: StackContext
    replication_group_id: str
    """Explicit id (known at preview), e.g. ``accunode-prod-redis``."""
    subnets: SubnetSet
    """Isolated subnets only."""
    security_group_ids: Sequence[Input[str]]
    node_type: str
    num_nodes: int
    snapshot_retention_days: int
    engine_version: str = "7.1"
    kms_key_arn: str | None = None
    log_retention_days: int = 30

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]", self.replication_group_id):
            raise ValueError(f"replication_group_id {self.replication_group_id!r} must be 2-40 lowercase letters, "
                             "digits and single hyphens, start with a letter and not end with a hyphen")
        if self.subnets.tier != "isolated":
            raise ValueError(f"the cache must be in isolated subnets, got {self.subnets.tier} subnets")
        if not self.security_group_ids:
            raise ValueError("security_group_ids must name the data tier's group")
        if self.node_type not in catalog.CACHE_NODE_TYPES:
            raise ValueError(f"{self.node_type!r} is not a known ElastiCache node type")
        if not 1 <= self.num_nodes <= 6:
            raise ValueError(f"num_nodes {self.num_nodes} must be 1-6 (a primary and up to 5 replicas)")
        if not 1 <= self.snapshot_retention_days <= 35:
            raise ValueError(f"snapshot_retention_days {self.snapshot_retention_days} must be 1-35")
        if not re.fullmatch(r"7\.\d+", self.engine_version):
            raise ValueError(f"engine_version {self.engine_version!r} must be Redis 7.x")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days {self.log_retention_days} is not a CloudWatch retention period")

    @property
    def highly_available(self) -> bool:
        return self.num_nodes >= 2


class Cache(pulumi.ComponentResource):
    replication_group_id: str
    primary_endpoint: Output[str]
    port: int
    member_cluster_ids: tuple[str, ...]
    """The nodes' cache cluster ids (``<group>-001``...), the dimension of per-node CloudWatch metrics."""
    auth_token: Output[str]
    """Secret."""

    def __init__(self, name: str, args: CacheArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:data:Cache", name, None, opts)
        group_id = args.replication_group_id

        tags = args.context.tagged

        auth_token = random.RandomPassword(f"{name}-auth-token", length=64, special=False, min_lower=1,
                                           min_upper=1, min_numeric=1, opts=ResourceOptions(parent=self))
        subnet_group = aws.elasticache.SubnetGroup(f"{name}-subnets", name=f"{group_id}-subnets",
                                                   description=f"Isolated subnets of {group_id}",
                                                   subnet_ids=list(args.subnets.ids), tags=tags(f"{group_id}-subnets"),
                                                   opts=ResourceOptions(parent=self))
        slow_log = aws.cloudwatch.LogGroup(f"{name}-slow-log", name=f"/aws/elasticache/{group_id}/slow-log",
                                           retention_in_days=args.log_retention_days,
                                           tags=tags(f"{group_id}-slow-log"), opts=ResourceOptions(parent=self))
        group = aws.elasticache.ReplicationGroup(
            f"{name}-redis",
            replication_group_id=group_id,
            description=f"AccuNode Redis ({group_id})",
            engine="redis",
            engine_version=args.engine_version,
            parameter_group_name=f"default.redis{args.engine_version.split('.')[0]}",
            node_type=args.node_type,
            num_cache_clusters=args.num_nodes,
            port=PORT,
            subnet_group_name=subnet_group.name,
            security_group_ids=list(args.security_group_ids),
            at_rest_encryption_enabled=True,
            kms_key_id=args.kms_key_arn,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            auth_token=auth_token.result,
            automatic_failover_enabled=args.highly_available,
            multi_az_enabled=args.highly_available,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=SNAPSHOT_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            auto_minor_version_upgrade=True,
            log_delivery_configurations=[aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                destination=slow_log.name, destination_type="cloudwatch-logs", log_format="json",
                log_type="slow-log")],
            tags=tags(group_id),
            opts=ResourceOptions(parent=self),
        )

        self.replication_group_id = group_id
        self.primary_endpoint = group.primary_endpoint_address
        self.port = PORT
        self.member_cluster_ids = tuple(f"{group_id}-{index:03d}" for index in range(1, args.num_nodes + 1))
        self.auth_token = Output.secret(auth_token.result)
        self.register_outputs({"replicationGroupId": group.replication_group_id,
                               "primaryEndpoint": group.primary_endpoint_address})
