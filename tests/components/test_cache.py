"""ElastiCache Redis: isolated, encrypted at rest and in transit, AUTH required, snapshots kept."""

from __future__ import annotations

import pytest
from pulumi import Output

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph, is_secret
from components.cache import Cache, CacheArgs
from components.network import SubnetSet
from tests.components.stack import stack_context

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
TAGS = {"project": "accunode"}


def _args(tier: str = "isolated", **overrides) -> CacheArgs:
    values = dict(replication_group_id="accunode-test-redis",
                  subnets=SubnetSet(tier, (Output.from_input("subnet-a"), Output.from_input("subnet-b"))),
                  security_group_ids=["sg-data"], node_type="cache.t3.micro", num_nodes=1,
                  snapshot_retention_days=1, context=stack_context(tags=TAGS))
    return CacheArgs(**{**values, **overrides})


def _build(**overrides) -> ResourceGraph:
    return run_program(lambda: Cache("cache", _args(**overrides)))


def test_member_cluster_ids_follow_elasticache_naming():
    nodes = []
    run_program(lambda: nodes.extend(Cache("cache", _args(num_nodes=3)).member_cluster_ids))
    assert nodes == ["accunode-test-redis-001", "accunode-test-redis-002", "accunode-test-redis-003"]


@pytest.fixture(scope="module")
def single() -> ResourceGraph:
    return _build()


@pytest.fixture(scope="module")
def replicated() -> ResourceGraph:
    return _build(num_nodes=2, node_type="cache.r6g.large", snapshot_retention_days=7)


def test_redis_encrypts_at_rest_and_requires_tls(single):
    props = single.find(GROUP).props
    assert props["atRestEncryptionEnabled"] is True
    assert props["transitEncryptionEnabled"] is True
    assert props["transitEncryptionMode"] == "required"


def test_auth_token_is_a_generated_secret_redis_accepts(single):
    token = single.find("random:index/randomPassword:RandomPassword")
    assert 16 <= token.props["length"] <= 128 and token.props["special"] is False
    group = single.find(GROUP)
    assert is_secret(group.inputs["authToken"])
    assert group.property_dependencies["authToken"] == [token.urn]


def test_redis_lives_in_its_subnet_group_behind_the_data_group(single):
    group = single.find(GROUP)
    subnet_group = single.find("aws:elasticache/subnetGroup:SubnetGroup")
    assert group.property_dependencies["subnetGroupName"] == [subnet_group.urn]
    assert subnet_group.props["subnetIds"] == ["subnet-a", "subnet-b"]
    assert group.props["securityGroupIds"] == ["sg-data"]


def test_single_node_has_no_failover_and_two_nodes_fail_over_across_zones(single, replicated):
    one, two = single.find(GROUP).props, replicated.find(GROUP).props
    assert (one["numCacheClusters"], one["automaticFailoverEnabled"], one["multiAzEnabled"]) == (1, False, False)
    assert (two["numCacheClusters"], two["automaticFailoverEnabled"], two["multiAzEnabled"]) == (2, True, True)


def test_snapshots_are_kept_in_a_window(single, replicated):
    assert single.find(GROUP).props["snapshotRetentionLimit"] == 1
    assert replicated.find(GROUP).props["snapshotRetentionLimit"] == 7
    assert single.find(GROUP).props["snapshotWindow"] == "03:00-04:00"


def test_slow_log_goes_to_a_log_group_with_retention(single):
    log_group = single.find("aws:cloudwatch/logGroup:LogGroup")
    (delivery,) = single.find(GROUP).props["logDeliveryConfigurations"]
    assert delivery == {"destination": log_group.props["name"], "destinationType": "cloudwatch-logs",
                        "logFormat": "json", "logType": "slow-log"}
    assert log_group.props["retentionInDays"] == 30


def test_redis_7_with_an_explicit_id(single):
    props = single.find(GROUP).props
    assert props["engine"] == "redis" and props["engineVersion"].startswith("7.")
    assert props["parameterGroupName"] == "default.redis7"
    assert props["replicationGroupId"] == "accunode-test-redis"


def test_every_cache_resource_carries_the_tags_and_a_name(single):
    for resource in single.custom_resources:
        if resource.type.startswith("random:"):
            continue
        assert TAGS.items() <= resource.props["tags"].items() and resource.props["tags"]["Name"], resource.name


@pytest.mark.parametrize("tier", ["public", "private"])
def test_cache_rejects_subnets_that_are_not_isolated(tier):
    with pytest.raises(ValueError, match="isolated subnets"):
        _args(tier=tier)


@pytest.mark.parametrize("overrides, message", [
    ({"replication_group_id": "x" * 41}, "replication_group_id"),
    ({"node_type": "cache.x1.huge"}, "node type"),
    ({"num_nodes": 0}, "num_nodes"),
    ({"snapshot_retention_days": 0}, "snapshot_retention_days"),
    ({"engine_version": "6.2"}, "Redis 7"),
])
def test_cache_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)
