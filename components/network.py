"""The VPC: public, private (app) and isolated (data) subnets in each AZ, NAT egress and flow logs.

Routing is what keeps the data tier private: public subnets route to the internet gateway, private
subnets to a NAT gateway, isolated subnets have no default route at all (only the VPC and the S3
gateway endpoint). No subnet maps public IPs on launch; the ALB gets its addresses from AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws
from pulumi import Output, ResourceOptions

from accunode.awsrules import LOG_RETENTION_DAYS
from accunode.netplan import MAX_AZS, SubnetTier, plan_subnets
from accunode.specs.context import StackContext
from accunode.specs.iam import flow_logs_policy, flow_logs_trust_policy, log_group_arn, to_json

NatStrategy = Literal["single", "per-az"]
INTERNET = "0.0.0.0/0"


@dataclass(frozen=True)
class SubnetSet:
    """The subnets of one tier, labelled so a consumer can insist on the tier it needs."""

    tier: SubnetTier
    ids: tuple[Output[str], ...]


@dataclass(frozen=True)
class NetworkArgs:
    context: StackContext
    vpc_cidr: str
    availability_zones: tuple[str, ...]
    """Explicit AZ names (the program reads them from ``aws.get_availability_zones``)."""
    nat_strategy: NatStrategy
    flow_log_retention_days: int = 30
    retain_data_tier: bool = False
    """Production: the VPC and the isolated subnets are kept on delete with the database that lives in them."""

    def __post_init__(self) -> None:
        plan_subnets(self.vpc_cidr, len(self.availability_zones))  # raises ValueError when it cannot fit
        zones = self.availability_zones
        if not 2 <= len(zones) <= MAX_AZS or len(set(zones)) != len(zones):
            raise ValueError(f"availability_zones must be 2 to {MAX_AZS} distinct zones, got {list(zones)}")
        if any(not zone.startswith(self.context.region) for zone in zones):
            raise ValueError(f"availability_zones {list(zones)} are not all in region {self.context.region}")
        if self.nat_strategy not in ("single", "per-az"):
            raise ValueError(f"nat_strategy {self.nat_strategy!r} is not allowed; allowed: single, per-az")
        if self.flow_log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"flow_log_retention_days {self.flow_log_retention_days} is not a CloudWatch "
                             "retention period")


class Network(pulumi.ComponentResource):
    vpc_id: Output[str]
    public: SubnetSet
    private: SubnetSet
    isolated: SubnetSet
    flow_log_group_name: Output[str]

    def __init__(self, name: str, args: NetworkArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:network:Network", name, None, opts)
        context = args.context
        prefix = context.name_prefix
        zones = args.availability_zones

        def child(*depends_on: pulumi.Resource) -> ResourceOptions:
            return ResourceOptions(parent=self, depends_on=list(depends_on))

        # A kept database keeps its ENIs in the isolated subnets: deleting them (or the VPC) would fail.
        kept = ResourceOptions(parent=self, retain_on_delete=args.retain_data_tier)

        tags = context.tagged

        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args.vpc_cidr, enable_dns_support=True,
                          enable_dns_hostnames=True, tags=tags(f"{prefix}-vpc"), opts=kept)
        # Adopt the default group and strip its rules: nothing should use it, and if something
        # does by accident it gets no traffic.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[],
                                     tags=tags(f"{prefix}-default-unused"), opts=child())
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tags(f"{prefix}-igw"), opts=child())

        subnets: dict[SubnetTier, list[aws.ec2.Subnet]] = {"public": [], "private": [], "isolated": []}
        for plan in plan_subnets(args.vpc_cidr, len(zones)):
            zone = zones[plan.az_index]
            subnets[plan.tier].append(aws.ec2.Subnet(
                f"{name}-{plan.tier}-{zone}", vpc_id=vpc.id, cidr_block=plan.cidr, availability_zone=zone,
                map_public_ip_on_launch=False, tags={**tags(f"{prefix}-{plan.tier}-{zone}"), "subnet-tier": plan.tier},
                opts=kept if plan.tier == "isolated" else child()))

        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, tags=tags(f"{prefix}-public"),
                                       opts=child())
        aws.ec2.Route(f"{name}-public-default-route", route_table_id=public_rt.id, destination_cidr_block=INTERNET,
                      gateway_id=igw.id, opts=child())

        nat_zones = zones if args.nat_strategy == "per-az" else zones[:1]
        nats = []
        for index, zone in enumerate(nat_zones):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{zone}", domain="vpc", tags=tags(f"{prefix}-nat-{zone}"),
                              opts=child(igw))
            nats.append(aws.ec2.NatGateway(f"{name}-nat-{zone}", allocation_id=eip.allocation_id,
                                           subnet_id=subnets["public"][index].id, connectivity_type="public",
                                           tags=tags(f"{prefix}-nat-{zone}"), opts=child(igw)))

        private_rts = []
        for index, zone in enumerate(zones):
            route_table = aws.ec2.RouteTable(f"{name}-private-rt-{zone}", vpc_id=vpc.id,
                                             tags=tags(f"{prefix}-private-{zone}"), opts=child())
            aws.ec2.Route(f"{name}-private-default-route-{zone}", route_table_id=route_table.id,
                          destination_cidr_block=INTERNET, nat_gateway_id=nats[min(index, len(nats) - 1)].id,
                          opts=child())
            private_rts.append(route_table)
        # No routes: the data tier reaches only the VPC itself (and S3 through the gateway endpoint).
        isolated_rt = aws.ec2.RouteTable(f"{name}-isolated-rt", vpc_id=vpc.id, tags=tags(f"{prefix}-isolated"),
                                         opts=child())

        route_tables = {"public": [public_rt] * len(zones), "private": private_rts,
                        "isolated": [isolated_rt] * len(zones)}
        for tier, tier_subnets in subnets.items():
            for zone, subnet, route_table in zip(zones, tier_subnets, route_tables[tier], strict=True):
                aws.ec2.RouteTableAssociation(f"{name}-{tier}-rta-{zone}", subnet_id=subnet.id,
                                              route_table_id=route_table.id, opts=child())

        aws.ec2.VpcEndpoint(f"{name}-s3-endpoint", vpc_id=vpc.id, service_name=f"com.amazonaws.{context.region}.s3",
                            vpc_endpoint_type="Gateway",
                            route_table_ids=[rt.id for rt in [*private_rts, isolated_rt]],
                            tags=tags(f"{prefix}-s3"), opts=child())

        flow_log_group = f"/aws/vpc/{prefix}/flow-logs"
        log_group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", name=flow_log_group,
                                            retention_in_days=args.flow_log_retention_days,
                                            tags=tags(f"{prefix}-flow-logs"), opts=child())
        group_arn = log_group_arn(context.account_id, context.region, flow_log_group)
        role = aws.iam.Role(f"{name}-flow-logs-role", name=f"{prefix}-vpc-flow-logs",
                            description="VPC flow logs delivery to CloudWatch Logs",
                            assume_role_policy=to_json(flow_logs_trust_policy(context.account_id, context.region)),
                            tags=tags(f"{prefix}-vpc-flow-logs"), opts=child())
        role_policy = aws.iam.RolePolicy(f"{name}-flow-logs-policy", role=role.name,
                                         policy=to_json(flow_logs_policy(group_arn)),
                                         opts=child())
        aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                        log_destination=group_arn, iam_role_arn=role.arn, max_aggregation_interval=600,
                        tags=tags(f"{prefix}-flow-log"), opts=child(role_policy, log_group))

        self.vpc_id = vpc.id
        self.public, self.private, self.isolated = (
            SubnetSet(tier, tuple(subnet.id for subnet in subnets[tier])) for tier in ("public", "private", "isolated"))
        self.flow_log_group_name = log_group.name
        self.register_outputs({
            "vpcId": self.vpc_id,
            "publicSubnetIds": list(self.public.ids),
            "privateSubnetIds": list(self.private.ids),
            "isolatedSubnetIds": list(self.isolated.ids),
            "flowLogGroupName": self.flow_log_group_name,
        })
