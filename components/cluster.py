"""The ECS cluster: Container Insights on (the "running below desired" alarms read its metrics) and
the FARGATE and FARGATE_SPOT capacity providers, so a service may run on Spot."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import Output, ResourceOptions

from accunode.specs.context import StackContext


@dataclass(frozen=True)
class ClusterArgs:
    context: StackContext
    cluster_name: str
    container_insights: bool = True

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", self.cluster_name):
            raise ValueError(f"cluster_name {self.cluster_name!r} must be letters, digits, '-' and '_'")


class Cluster(pulumi.ComponentResource):
    cluster_name: str
    name: Output[str]
    """The cluster's name, resolved once its capacity providers are attached (services wait for it)."""
    arn: Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:compute:Cluster", name, None, opts)
        cluster = aws.ecs.Cluster(
            f"{name}-cluster", name=args.cluster_name,
            settings=[{"name": "containerInsights", "value": "enabled" if args.container_insights else "disabled"}],
            tags=args.context.tagged(args.cluster_name), opts=ResourceOptions(parent=self))
        providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity-providers", cluster_name=cluster.name, capacity_providers=["FARGATE", "FARGATE_SPOT"],
            default_capacity_provider_strategies=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
            opts=ResourceOptions(parent=self))

        self.cluster_name = args.cluster_name
        self.name = providers.cluster_name
        self.arn = cluster.arn
        self.register_outputs({"name": providers.cluster_name, "arn": cluster.arn})
