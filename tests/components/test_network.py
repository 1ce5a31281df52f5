"""The network keeps the data tier off the internet and logs every flow."""

from __future__ import annotations

import json

import pytest

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph, contains_unknown
from accunode.specs.iam import flow_logs_policy, flow_logs_trust_policy
from components.network import Network, NetworkArgs
from tests.components.routing import ASSOCIATION, SUBNET, default_routes, reaches_internet_gateway, route_tables_of
from tests.components.stack import stack_context

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
TAGS = {"project": "accunode", "environment": "test"}
NOT_TAGGABLE = {"aws:ec2/route:Route", ASSOCIATION, "aws:iam/rolePolicy:RolePolicy"}


def _args(**overrides) -> NetworkArgs:
    values = dict(context=stack_context(tags=TAGS), vpc_cidr="10.0.0.0/16", availability_zones=ZONES[:2],
                  nat_strategy="single")
    return NetworkArgs(**{**values, **overrides})


def _build(preview: bool = False, **overrides) -> ResourceGraph:
    args = _args(**overrides)
    return run_program(lambda: Network("network", args), preview=preview)


def _subnets(graph: ResourceGraph, tier: str):
    return [s for s in graph.of_type(SUBNET) if s.props["tags"]["subnet-tier"] == tier]


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return _build()


def test_isolated_subnets_have_no_default_route_and_no_internet_gateway(graph):
    isolated = _subnets(graph, "isolated")
    assert len(isolated) == 2
    for subnet in isolated:
        assert route_tables_of(graph, subnet), f"{subnet.name} falls back to the main route table"
        assert default_routes(graph, subnet) == []
        assert not reaches_internet_gateway(graph, subnet)


def test_public_subnets_route_to_the_internet_gateway(graph):
    # Also proves the route walker can see an internet route when there is one.
    assert all(reaches_internet_gateway(graph, subnet) for subnet in _subnets(graph, "public"))


def test_private_subnets_leave_through_a_nat_gateway_only(graph):
    nat_urns = {n.urn for n in graph.of_type("aws:ec2/natGateway:NatGateway")}
    for subnet in _subnets(graph, "private"):
        routes = default_routes(graph, subnet)
        assert len(routes) == 1 and set(routes[0]["_deps"]["natGatewayId"]) <= nat_urns
        assert not reaches_internet_gateway(graph, subnet)


def test_no_subnet_maps_public_ips_on_launch(graph):
    subnets = graph.of_type(SUBNET)
    assert len(subnets) == 6
    assert all(s.props["mapPublicIpOnLaunch"] is False for s in subnets)


def test_subnets_follow_the_plan_one_per_tier_and_zone(graph):
    placed = sorted((s.props["tags"]["subnet-tier"], s.props["availabilityZone"], s.props["cidrBlock"])
                    for s in graph.of_type(SUBNET))
    assert placed == [("isolated", "us-east-1a", "10.0.128.0/20"), ("isolated", "us-east-1b", "10.0.144.0/20"),
                      ("private", "us-east-1a", "10.0.64.0/20"), ("private", "us-east-1b", "10.0.80.0/20"),
                      ("public", "us-east-1a", "10.0.0.0/20"), ("public", "us-east-1b", "10.0.16.0/20")]


def test_single_nat_strategy_shares_one_nat_gateway(graph):
    assert len(graph.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert len(graph.of_type("aws:ec2/eip:Eip")) == 1


def test_per_az_nat_strategy_gives_each_zone_its_own_nat_gateway():
    graph = _build(nat_strategy="per-az", availability_zones=ZONES)
    nats = graph.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3 and len(graph.of_type("aws:ec2/eip:Eip")) == 3
    for subnet in _subnets(graph, "private"):
        (route,) = default_routes(graph, subnet)
        (nat_urn,) = route["_deps"]["natGatewayId"]
        assert nat_urn.endswith(subnet.props["availabilityZone"])


def test_nat_gateways_sit_in_public_subnets(graph):
    public = {s.urn for s in _subnets(graph, "public")}
    for nat in graph.of_type("aws:ec2/natGateway:NatGateway"):
        assert set(nat.property_dependencies["subnetId"]) <= public


def test_default_security_group_is_stripped_of_rules(graph):
    default = graph.find("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default.props["ingress"] == [] and default.props["egress"] == []


def test_flow_logs_record_all_traffic_into_a_log_group_with_retention(graph):
    flow_log = graph.find("aws:ec2/flowLog:FlowLog")
    log_group = graph.find("aws:cloudwatch/logGroup:LogGroup")
    assert flow_log.props["trafficType"] == "ALL"
    assert flow_log.props["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.props["logDestination"].endswith(f":log-group:{log_group.props['name']}")
    assert log_group.props["retentionInDays"] == 30
    assert flow_log.property_dependencies["vpcId"] == [graph.find("aws:ec2/vpc:Vpc").urn]


def test_flow_logs_role_writes_only_to_its_log_group(graph):
    policy = json.loads(graph.find("aws:iam/rolePolicy:RolePolicy").props["policy"])
    log_group_arn = graph.find("aws:ec2/flowLog:FlowLog").props["logDestination"]
    describe, write = policy["Statement"]
    assert write["Resource"] == [log_group_arn, f"{log_group_arn}:*"]
    assert all(action.startswith("logs:") and "*" not in action for action in write["Action"])
    # AWS lists DescribeLogGroups as required for delivery; it has no resource-level permission.
    assert describe == {"Sid": "DescribeLogGroups", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"],
                        "Resource": "*"}


def test_flow_logs_role_trusts_only_flow_logs_of_this_account():
    (statement,) = flow_logs_trust_policy("123456789012", "us-east-1")["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert flow_logs_policy("arn:x")["Statement"][1]["Resource"] == ["arn:x", "arn:x:*"]


def test_flow_log_destination_and_policy_are_known_at_preview():
    graph = _build(preview=True)
    assert not contains_unknown(graph.find("aws:ec2/flowLog:FlowLog").inputs["logDestination"])
    assert not contains_unknown(graph.find("aws:iam/rolePolicy:RolePolicy").inputs["policy"])


def test_s3_gateway_endpoint_serves_private_and_isolated_route_tables_only(graph):
    endpoint = graph.find("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert endpoint.props["vpcEndpointType"] == "Gateway"
    assert endpoint.props["serviceName"] == "com.amazonaws.us-east-1.s3"
    served = set(endpoint.property_dependencies["routeTableIds"])
    expected = {t.urn for tier in ("private", "isolated") for s in _subnets(graph, tier)
                for t in route_tables_of(graph, s)}
    public = {t.urn for s in _subnets(graph, "public") for t in route_tables_of(graph, s)}
    assert served == expected and not served & public


def test_every_taggable_resource_carries_the_tags_and_a_name(graph):
    for resource in graph.custom_resources:
        if resource.type in NOT_TAGGABLE:
            continue
        tags = resource.props.get("tags") or {}
        assert TAGS.items() <= tags.items() and tags.get("Name"), f"{resource.type} {resource.name}: {tags}"


@pytest.mark.parametrize("overrides, message", [
    ({"availability_zones": ("us-east-1a",)}, "2 to"),
    ({"availability_zones": ("us-east-1a", "us-east-1a")}, "distinct"),
    ({"availability_zones": ("eu-west-1a", "eu-west-1b")}, "not all in region"),
    ({"nat_strategy": "none"}, "nat_strategy"),
    ({"flow_log_retention_days": 10}, "retention"),
    ({"vpc_cidr": "10.0.0.0/8"}, "prefix"),
])
def test_network_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)


def test_a_retained_data_tier_keeps_the_vpc_and_the_isolated_subnets_only(graph):
    assert not any(r.options["retainOnDelete"] for r in graph.custom_resources)
    kept = _build(retain_data_tier=True)
    retained = {(r.type, r.props.get("tags", {}).get("subnet-tier")) for r in kept.custom_resources
                if r.options["retainOnDelete"]}
    assert retained == {("aws:ec2/vpc:Vpc", None), (SUBNET, "isolated")}
    assert len([r for r in kept.custom_resources if r.options["retainOnDelete"]]) == 3  # VPC + 2 isolated
