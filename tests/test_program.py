"""The whole program, for every Pulumi.<stack>.yaml: it builds, exports no secrets, and in prod the
data tier is unreachable from the internet, encrypted and hard to delete (issue 2's acceptance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accunode.engine.capture import stack_names
from accunode.engine.graph import Resource, ResourceGraph, is_secret
from tests.components.routing import (
    IGW,
    ROUTE,
    default_routes,
    reaches_internet_gateway,
    route_tables_of,
    subnets_behind,
)

STACKS = stack_names(Path(__file__).resolve().parents[1])
RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
OPERATOR_EXPORTS = {"vpcId", "publicSubnetIds", "privateSubnetIds", "isolatedSubnetIds", "dbEndpoint",
                    "dbIdentifier", "redisEndpoint", "redisReplicationGroupId", "ecrRepositoryUrl",
                    "ecrRepositoryName", "ssmPath"}


def data_tier_problems(graph: ResourceGraph) -> list[str]:
    """Everything that breaks the prod data-tier acceptance, one line per finding."""
    problems = []
    for kind, key in ((RDS, "dbSubnetGroupName"), (REDIS, "subnetGroupName")):
        for store in graph.of_type(kind):
            subnets = subnets_behind(graph, store, key)
            if not subnets:
                problems.append(f"{store.name}: no subnets found behind {key}")
            for subnet in subnets:
                if not route_tables_of(graph, subnet):
                    problems.append(f"{subnet.name}: no explicit route table (uses the VPC main table)")
                if reaches_internet_gateway(graph, subnet):
                    problems.append(f"{subnet.name} (holds {store.name}): routes to the internet gateway")
                if default_routes(graph, subnet):
                    problems.append(f"{subnet.name} (holds {store.name}): has a default route")
                if subnet.props.get("mapPublicIpOnLaunch") is not False:
                    problems.append(f"{subnet.name} (holds {store.name}): maps public IPs on launch")
    for db in graph.of_type(RDS):
        props = db.props
        for key, wanted in (("storageEncrypted", True), ("publiclyAccessible", False), ("deletionProtection", True)):
            if props.get(key) is not wanted:
                problems.append(f"{db.name}: {key} is {props.get(key)!r}, wanted {wanted}")
        if not db.protect:
            problems.append(f"{db.name}: not protected (protect=True)")
    for redis in graph.of_type(REDIS):
        for key in ("atRestEncryptionEnabled", "transitEncryptionEnabled"):
            if redis.props.get(key) is not True:
                problems.append(f"{redis.name}: {key} is {redis.props.get(key)!r}")
    return problems


def test_the_repository_has_dev_and_prod_stacks():
    assert {"dev", "prod"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_every_stack_builds_the_foundation_and_exports_what_operators_need(stack, preview, stack_graph):
    graph = stack_graph(stack, preview=preview)
    for type_ in (RDS, REDIS, "aws:ec2/vpc:Vpc", "aws:ecr/repository:Repository"):
        assert len(graph.of_type(type_)) == 1, type_
    assert set(graph.outputs) >= OPERATOR_EXPORTS
    assert graph.outputs["dbIdentifier"] == f"accunode-{stack}-db"
    assert graph.outputs["ssmPath"] == f"/accunode/{stack}"


@pytest.mark.parametrize("stack", STACKS)
def test_exports_hold_no_secret_values(stack, stack_graph):
    graph = stack_graph(stack)
    generated = [r.state["result"] for r in graph.of_type("random:index/randomPassword:RandomPassword")]
    assert len(generated) == 2
    text = json.dumps(graph.outputs)
    assert not any(is_secret(value) for value in graph.outputs.values())
    assert not any(secret in text for secret in generated)


@pytest.mark.parametrize("stack", STACKS)
def test_connection_strings_stay_secrets_in_every_stack(stack, stack_graph):
    parameters = stack_graph(stack).of_type("aws:ssm/parameter:Parameter")
    assert {p.props["name"] for p in parameters} >= {f"/accunode/{stack}/database-url", f"/accunode/{stack}/redis-url"}
    assert all(is_secret(p.inputs["value"]) and p.props["type"] == "SecureString" for p in parameters)


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
def test_prod_data_tier_is_off_the_internet_encrypted_and_protected(preview, stack_graph):
    graph = stack_graph("prod", preview=preview)
    assert data_tier_problems(graph) == []
    # The check looked at real subnets: both stores sit in the isolated tier.
    for kind, key in ((RDS, "dbSubnetGroupName"), (REDIS, "subnetGroupName")):
        subnets = subnets_behind(graph, graph.find(kind), key)
        assert len(subnets) == 2 and all(s.props["tags"]["subnet-tier"] == "isolated" for s in subnets)


def test_prod_keeps_backups_and_snapshots_for_a_week_or_more(stack_graph):
    graph = stack_graph("prod")
    assert graph.find(RDS).props["backupRetentionPeriod"] >= 14
    assert graph.find(REDIS).props["snapshotRetentionLimit"] >= 7
    assert graph.find("aws:ecr/repository:Repository").props["forceDelete"] is False


def _isolated_route_table(graph: ResourceGraph) -> Resource:
    (subnet, *_) = subnets_behind(graph, graph.find(RDS), "dbSubnetGroupName")
    (table,) = route_tables_of(graph, subnet)
    return table


def test_a_route_from_the_data_subnets_to_the_internet_gateway_is_caught(stack_graph):
    graph = stack_graph("prod", preview=True)
    table, igw = _isolated_route_table(graph), graph.find(IGW)
    graph.resources.append(Resource(
        urn=table.urn.replace("routeTable:RouteTable", "route:Route") + "-leak", type=ROUTE, name="leak", custom=True,
        inputs={"routeTableId": table.id, "destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw.id},
        property_dependencies={"routeTableId": [table.urn], "gatewayId": [igw.urn]}))
    problems = data_tier_problems(graph)
    assert any("routes to the internet gateway" in p for p in problems)
    assert any("has a default route" in p for p in problems)


def test_an_unencrypted_public_unprotected_database_is_caught(stack_graph):
    graph = stack_graph("prod")
    db = graph.find(RDS)
    db.inputs.update(storageEncrypted=False, publiclyAccessible=True, deletionProtection=False)
    db.protect = False
    graph.find(REDIS).inputs["transitEncryptionEnabled"] = False
    subnets_behind(graph, db, "dbSubnetGroupName")[0].inputs["mapPublicIpOnLaunch"] = True
    problems = "\n".join(data_tier_problems(graph))
    for finding in ("storageEncrypted", "publiclyAccessible", "deletionProtection", "not protected",
                    "transitEncryptionEnabled", "maps public IPs"):
        assert finding in problems


def test_enterprise_prod_spreads_over_three_zones_with_failover(stack_graph):
    graph = stack_graph("prod", **{"accunode:tier": "enterprise"})
    assert data_tier_problems(graph) == []
    assert len(graph.of_type("aws:ec2/natGateway:NatGateway")) == 3
    assert len(subnets_behind(graph, graph.find(RDS), "dbSubnetGroupName")) == 3
    assert graph.find(RDS).props["multiAz"] is True
    redis = graph.find(REDIS).props
    assert (redis["numCacheClusters"], redis["automaticFailoverEnabled"], redis["multiAzEnabled"]) == (2, True, True)


@pytest.mark.parametrize("stack", STACKS)
def test_no_resource_changes_a_cost_allocation_tag(stack, stack_graph):
    # Cost Explorer and the AWS Budget group by these tags: a component's own tag of the same key (a subnet's
    # "tier" once overwrote the usage tier) silently moves its cost to another group.
    from accunode.engine.capture import load_stack_config
    from accunode.settings import settings_from_config

    config, _ = load_stack_config(Path(__file__).resolve().parents[1], stack)
    expected = settings_from_config(stack, config).cost_tags
    changed = sorted({(r.name, key, tags.get(key)) for r in stack_graph(stack).custom_resources
                      if isinstance(tags := r.props.get("tags"), dict) and tags
                      for key in expected if key in tags and tags[key] != expected[key]})
    assert changed == []
