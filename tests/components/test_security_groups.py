"""Security groups chain internet -> ALB -> API -> data <- worker by group references, never CIDRs."""

from __future__ import annotations

import pytest

from accunode.engine.capture import run_program
from accunode.engine.graph import Resource, ResourceGraph
from components.security_groups import SecurityGroups, SecurityGroupsArgs
from tests.components.stack import stack_context

GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TAGS = {"project": "accunode"}


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return run_program(lambda: SecurityGroups("sg", SecurityGroupsArgs(stack_context(tags=TAGS),
                                                                        vpc_id="vpc-0123456789abcdef0")))


def _role(graph: ResourceGraph, urns: list[str]) -> str:
    (urn,) = urns
    return graph.get(urn).name.removeprefix("sg-")


def _rules(graph: ResourceGraph, type_: str) -> set[tuple[str, int, str]]:
    """(group, port, peer) per rule; the peer is a group role or a CIDR."""
    found = set()
    for rule in graph.of_type(type_):
        props = rule.props
        assert props["fromPort"] == props["toPort"] and props["ipProtocol"] == "tcp"
        peer = (_role(graph, rule.property_dependencies["referencedSecurityGroupId"])
                if "referencedSecurityGroupId" in rule.property_dependencies else props["cidrIpv4"])
        found.add((_role(graph, rule.property_dependencies["securityGroupId"]), int(props["fromPort"]), peer))
    return found


def test_ingress_is_exactly_the_tier_chain(graph):
    assert _rules(graph, INGRESS) == {
        ("alb", 80, "0.0.0.0/0"), ("alb", 443, "0.0.0.0/0"),
        ("api", 8000, "alb"),
        ("data", 5432, "api"), ("data", 5432, "worker"), ("data", 6379, "api"), ("data", 6379, "worker"),
    }


def test_egress_is_only_what_each_tier_needs(graph):
    assert _rules(graph, EGRESS) == {
        ("alb", 8000, "api"),
        ("api", 443, "0.0.0.0/0"), ("api", 5432, "data"), ("api", 6379, "data"),
        ("worker", 443, "0.0.0.0/0"), ("worker", 5432, "data"), ("worker", 6379, "data"),
    }


def test_only_the_load_balancer_accepts_traffic_from_a_cidr(graph):
    cidr_ingress = [r for r in graph.of_type(INGRESS) if r.props.get("cidrIpv4") or r.props.get("cidrIpv6")]
    assert {_role(graph, r.property_dependencies["securityGroupId"]) for r in cidr_ingress} == {"alb"}


def test_worker_accepts_nothing_and_data_sends_nothing(graph):
    ingress, egress = _rules(graph, INGRESS), _rules(graph, EGRESS)
    assert ingress and egress
    assert not [rule for rule in ingress if rule[0] == "worker"]
    assert not [rule for rule in egress if rule[0] == "data"]


def test_groups_carry_no_inline_rules(graph):
    for group in graph.of_type(GROUP):
        assert not group.props.get("ingress") and not group.props.get("egress"), group.name


def test_every_group_and_rule_has_a_description_and_tags(graph):
    resources: list[Resource] = graph.of_type(GROUP) + graph.of_type(INGRESS) + graph.of_type(EGRESS)
    assert len(resources) == 4 + 7 + 7
    for resource in resources:
        assert resource.props.get("description"), resource.name
        assert TAGS.items() <= resource.props["tags"].items() and resource.props["tags"]["Name"]


def test_groups_have_name_prefixes_not_names_so_a_replacement_creates_first(graph):
    # An explicit name makes a replacement delete-before-create of a group still in use (DependencyViolation).
    assert all("name" not in g.props for g in graph.of_type(GROUP))
    assert sorted(g.props["namePrefix"] for g in graph.of_type(GROUP)) == [
        "accunode-test-alb-", "accunode-test-api-", "accunode-test-data-", "accunode-test-worker-"]
    assert sorted(g.props["tags"]["Name"] for g in graph.of_type(GROUP)) == [
        "accunode-test-alb-sg", "accunode-test-api-sg", "accunode-test-data-sg", "accunode-test-worker-sg"]
    assert all(g.props["vpcId"] == "vpc-0123456789abcdef0" for g in graph.of_type(GROUP))


def test_only_the_data_group_is_kept_with_a_retained_database(graph):
    assert not any(g.options["retainOnDelete"] for g in graph.of_type(GROUP))
    kept = run_program(lambda: SecurityGroups("security-groups", SecurityGroupsArgs(
        stack_context(), vpc_id="vpc-0123456789abcdef0", retain_data_group=True)))
    assert [g.name for g in kept.of_type(GROUP) if g.options["retainOnDelete"]] == ["security-groups-data"]


@pytest.mark.parametrize("overrides, message", [
    ({"app_port": 5432}, "must differ"),
    ({"redis_port": 70000}, "not a TCP port"),
    ({"context": stack_context(name_prefix="accunode-" + "x" * 33)}, "41 characters"),
])
def test_security_groups_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        SecurityGroupsArgs(**{"context": stack_context(), "vpc_id": "vpc-1", **overrides})
