"""Security groups per tier, chained by group references: internet -> ALB -> API -> data <- worker.

Internal traffic is allowed from a group, never from a CIDR, so a new task or subnet gets nothing
until it joins the right group. Rules are standalone resources (no inline rules) so groups can
reference each other without a cycle, and each group's egress is only what its tier needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from accunode.specs.context import StackContext

INTERNET = "0.0.0.0/0"
HTTPS = 443


@dataclass(frozen=True)
class SecurityGroupsArgs:
    context: StackContext
    vpc_id: Input[str]
    app_port: int = 8000
    postgres_port: int = 5432
    redis_port: int = 6379
    retain_data_group: bool = False
    """Production: the data tier's group is protected and kept on delete with the database that uses it."""

    def __post_init__(self) -> None:
        if len(self.context.name_prefix) > 41:  # leaves room for -<role>-<26 chars>
            raise ValueError(f"name_prefix {self.context.name_prefix!r} is longer than 41 characters")
        ports = {"app_port": self.app_port, "postgres_port": self.postgres_port, "redis_port": self.redis_port}
        for key, port in ports.items():
            if not 1 <= port <= 65535:
                raise ValueError(f"{key} {port} is not a TCP port (1-65535)")
        if len(set(ports.values())) != len(ports):
            raise ValueError(f"app, PostgreSQL and Redis ports must differ, got {ports}")


class SecurityGroups(pulumi.ComponentResource):
    alb_id: Output[str]
    api_id: Output[str]
    worker_id: Output[str]
    data_id: Output[str]

    def __init__(self, name: str, args: SecurityGroupsArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:network:SecurityGroups", name, None, opts)
        prefix = args.context.name_prefix

        def group(role: str, description: str, retain: bool = False) -> aws.ec2.SecurityGroup:
            # A name prefix, not a name: a replacing change (a new description) then creates the new
            # group before deleting the old one, which ENIs, the ALB, RDS or Redis still use
            # (an explicit name makes it delete-before-replace: DependencyViolation).
            return aws.ec2.SecurityGroup(f"{name}-{role}", name_prefix=f"{prefix}-{role}-", description=description,
                                         vpc_id=args.vpc_id, revoke_rules_on_delete=True,
                                         tags=args.context.tagged(f"{prefix}-{role}-sg"),
                                         opts=ResourceOptions(parent=self, protect=retain, retain_on_delete=retain))

        alb = group("alb", "AccuNode load balancer: HTTP/HTTPS from the internet")
        api = group("api", "AccuNode API tasks: app port from the load balancer only")
        worker = group("worker", "AccuNode worker tasks: no inbound traffic")
        data = group("data", "AccuNode PostgreSQL and Redis: database ports from the API and worker only",
                     retain=args.retain_data_group)

        def allow(rule: str, kind: type, target: aws.ec2.SecurityGroup, port: int, description: str, *,
                  peer: aws.ec2.SecurityGroup | None = None, cidr: str | None = None) -> None:
            kind(f"{name}-{rule}", security_group_id=target.id, ip_protocol="tcp", from_port=port, to_port=port,
                 referenced_security_group_id=peer.id if peer else None, cidr_ipv4=cidr, description=description,
                 tags=args.context.tagged(f"{prefix}-{rule}"), opts=ResourceOptions(parent=self))

        ingress, egress = aws.vpc.SecurityGroupIngressRule, aws.vpc.SecurityGroupEgressRule
        for port in (80, HTTPS):
            allow(f"alb-in-{port}", ingress, alb, port, f"HTTP(S) {port} from the internet", cidr=INTERNET)
        allow("alb-out-api", egress, alb, args.app_port, "To the API tasks on the app port", peer=api)
        allow("api-in-alb", ingress, api, args.app_port, "From the load balancer on the app port", peer=alb)
        for role, tier in (("api", api), ("worker", worker)):
            allow(f"{role}-out-https", egress, tier, HTTPS, "HTTPS to AWS APIs, ECR and the internet via NAT",
                  cidr=INTERNET)
            allow(f"{role}-out-postgres", egress, tier, args.postgres_port, "To PostgreSQL", peer=data)
            allow(f"{role}-out-redis", egress, tier, args.redis_port, "To Redis", peer=data)
            allow(f"data-in-postgres-{role}", ingress, data, args.postgres_port, f"PostgreSQL from the {role} tasks",
                  peer=tier)
            allow(f"data-in-redis-{role}", ingress, data, args.redis_port, f"Redis from the {role} tasks", peer=tier)
        # The data group has no egress rule: the provider removes AWS's default allow-all on create.

        self.alb_id, self.api_id, self.worker_id, self.data_id = alb.id, api.id, worker.id, data.id
        self.register_outputs({"albId": alb.id, "apiId": api.id, "workerId": worker.id, "dataId": data.id})
