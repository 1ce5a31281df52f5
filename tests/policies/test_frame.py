"""The shared policy frame (policies/policy_frame): one unknown, one graph, one exemption mechanism,
one stack-settings resolution and declarative value checks, as both packs use them."""

from __future__ import annotations

import accunode_cost as cost
import pytest
from policy_frame import (
    ALL_TYPES,
    EXEMPTION_LOG,
    UNKNOWN,
    Context,
    Expect,
    Forbid,
    Graph,
    Res,
    Rule,
    to_wire,
    unwrap,
)
from policy_frame.exemptions import AppliedExemption

from accunode.engine.graph import SECRET_SIG, SIG_KEY, UNKNOWNS, Resource
from tests.policies._requests import PackHarness


def res(name: str, type_: str = "aws:ec2/subnet:Subnet", deps: dict[str, list[str]] | None = None,
        **props: object) -> Res:
    return Res(type_, name, f"urn:{type_}::{name}", dict(props), deps or {})


def test_every_engine_sentinel_becomes_the_one_unknown_and_back():
    assert unwrap({"a": sorted(UNKNOWNS), "b": {"c": sorted(UNKNOWNS)[0]}}) == \
        {"a": [UNKNOWN] * len(UNKNOWNS), "b": {"c": UNKNOWN}}
    assert to_wire(unwrap({"x": [sorted(UNKNOWNS)[0]]})) == {"x": ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"]}


def test_a_nested_secret_is_read_as_its_value():
    assert unwrap({"token": {SIG_KEY: SECRET_SIG, "value": "s3cr3t"}}) == {"token": "s3cr3t"}


def test_links_follow_property_dependencies_first_then_known_identities():
    subnet = res("private-a", id="subnet-1")
    other = res("private-b", id="subnet-2")
    group = res("db-subnets", "aws:rds/subnetGroup:SubnetGroup", {"subnetIds": [subnet.urn]},
                subnetIds=[UNKNOWN])
    by_value = res("cache-subnets", "aws:elasticache/subnetGroup:SubnetGroup", subnetIds=["subnet-2", "subnet-9"])
    graph = Graph([subnet, other, group, by_value])
    assert graph.linked(group, "subnetIds", subnet.type) == [subnet]
    assert graph.linked(by_value, "subnetIds", subnet.type) == [other]
    assert graph.linked(by_value, "subnetIds", "aws:ec2/vpc:Vpc") == []
    assert graph.pointing_at(subnet, "subnetIds", group.type) == [group]


def test_a_resource_rule_must_name_its_types():
    with pytest.raises(ValueError, match="names no types"):
        Rule("x", "area", "X.", cost.RULES[0].severity, lambda r, c: [])
    rule = Rule("x", "area", "X.", cost.RULES[0].severity, lambda r, c: [], types=ALL_TYPES)
    assert rule.applies_to("aws:anything/at:All")


@pytest.mark.parametrize(("value", "found"), [(True, False), ("TRUE", False), (False, True), (None, True),
                                              ("yes please", True), (UNKNOWN, False)])
def test_expect_compares_one_normalised_value(value, found):
    ctx = Context({})
    messages = list(Expect("storageEncrypted", True, fix="set it")(res("db", storageEncrypted=value), ctx))
    assert bool(messages) is found
    assert (ctx.unknowns == ["storageEncrypted"]) is (value is UNKNOWN)


def test_forbid_passes_a_missing_value_and_expect_can_too():
    assert list(Forbid("publiclyAccessible", True, fix="no")(res("db"), Context({}))) == []
    assert list(Forbid("a.b", "none", fix="no")(res("x", a={"b": "NONE"}), Context({})))
    assert list(Expect("k", 1, fix="x", missing_passes=True)(res("x"), Context({}))) == []
    assert list(Expect("k", True, fix="x", when=lambda r: False)(res("x", k=False), Context({}))) == []


def test_environment_is_policy_config_then_stack_then_prod(monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG", '{"accunode:environment": "dev"}')
    assert Context({"environment": "staging"}).environment == "staging"
    monkeypatch.setenv("PULUMI_CONFIG", "{}")
    assert Context({}).environment == "prod"


def test_the_exemption_log_keeps_each_pack_apart():
    entry = {"urn": "u", "name": "n", "type": "t", "pattern": "n", "reason": "a good reason"}
    EXEMPTION_LOG.record(AppliedExemption("cost", "p", **entry))
    EXEMPTION_LOG.record(AppliedExemption("security", "p", **entry))
    assert [e.pack for e in EXEMPTION_LOG.take("cost")] == ["cost"]
    assert [e.pack for e in EXEMPTION_LOG.take("security")] == ["security"]
    assert EXEMPTION_LOG.take("cost") == []


def test_a_cost_rule_is_exempted_the_same_way_and_reported():
    gp2 = Resource(urn="urn:pulumi:test::accunode::aws:rds/instance:Instance::db", type="aws:rds/instance:Instance",
                   name="db", custom=True, inputs={"storageType": "gp2", "instanceClass": "db.t3.small"},
                   outputs={"storageType": "gp2", "instanceClass": "db.t3.small"})
    reason = "restored from a gp2 snapshot; migrating in Q1"
    harness = PackHarness(cost.PACK_NAME, cost.ALL_POLICIES, cost.PACK_ENFORCEMENT,
                          {"storage-gp3": {"exemptions": [{"resource": "db", "reason": reason}]}},
                          {"accunode:environment": "dev"})
    result = harness.preview([gp2])
    assert result.of("storage-gp3") == []
    assert any(reason in r for r in result.skipped("storage-gp3"))
    [report] = result.of("cost-exemptions")
    assert report.level == "advisory" and reason in report.message
