"""Each cost rule on small hand-built resources, through the SDK's Analyzer servicer: a passing and a
failing case per rule, the environment's limits, policy config, and robustness to odd values."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import accunode_cost as cost
import pytest
from accunode_cost.hygiene import TAGGABLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accunode.engine.graph import UNKNOWN_STRING, Resource
from tests.policies._requests import PackHarness, Result

TAGS = {"project": "accunode", "environment": "dev", "owner": "platform-team"}
RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def resource(type_: str, name: str, inputs: dict[str, Any]) -> Resource:
    return Resource(urn=f"urn:pulumi:test::accunode::{type_}::{name}", type=type_, name=name, custom=True,
                    inputs=inputs, outputs={**inputs, "id": name})


def database(**overrides: Any) -> Resource:
    return resource(RDS, "db", {"instanceClass": "db.t3.small", "multiAz": False, "allocatedStorage": 20,
                                "storageType": "gp3", "tags": TAGS, **overrides})


def analyze(*resources: Resource, environment: str = "dev", config: dict[str, Any] | None = None) -> Result:
    harness = PackHarness(cost.PACK_NAME, cost.ALL_POLICIES, cost.PACK_ENFORCEMENT, config,
                          {"accunode:environment": environment})
    return harness.analyze(resources)


def messages(result: Result, policy: str) -> list[str]:
    return [d.message.split("\n", 1)[1] for d in result.of(policy)]


def test_every_rule_has_a_stable_id_a_requirement_and_a_severity():
    ids = [rule.id for rule in cost.RULES]
    assert len(ids) == len(set(ids))
    assert {"monthly-budget", "cost-allocation-tags", "database-size-allowed", "storage-gp3"} <= set(ids)
    for rule in cost.RULES:
        assert rule.description.endswith(".") and rule.severity is not None


# -- sizes per environment ---------------------------------------------------------------------------

def test_dev_database_within_size_passes():
    assert analyze(database()).of("database-size-allowed") == []


def test_dev_rejects_a_large_database_class_and_names_the_allowed_ones():
    [message] = messages(analyze(database(instanceClass="db.t3.large")), "database-size-allowed")
    assert "db.t3.large (8 GiB)" in message and "db.t4g.medium" in message and "db.t3.xlarge" not in message


def test_prod_allows_a_large_multi_az_database():
    big = database(instanceClass="db.r6g.large", multiAz=True)
    assert analyze(big, environment="prod").of("database-size-allowed") == []


def test_dev_multi_az_database_fails_unless_configured():
    multi = database(multiAz=True)
    assert "Multi-AZ" in messages(analyze(multi), "database-size-allowed")[0]
    allowed = {"database-size-allowed": {"redundantEnvironments": ["dev", "prod"]}}
    assert analyze(multi, config=allowed).of("database-size-allowed") == []


def test_a_class_outside_the_catalogue_fails():
    [message] = messages(analyze(database(instanceClass="db.x2g.16xlarge"), environment="prod"),
                         "database-size-allowed")
    assert "not in the catalogue" in message


def test_limits_are_policy_config_per_environment():
    config = {"database-size-allowed": {"maxMemoryGib": {"dev": 1}}}
    assert "db.t3.small (2 GiB)" in messages(analyze(database(), config=config), "database-size-allowed")[0]


def test_dev_cache_with_replicas_or_a_large_node_fails():
    group = resource(REDIS, "redis", {"nodeType": "cache.r6g.large", "numCacheClusters": 2, "tags": TAGS})
    found = messages(analyze(group), "cache-size-allowed")
    assert len(found) == 2 and "replicas" in found[1]
    small = resource(REDIS, "redis", {"nodeType": "cache.t4g.micro", "numCacheClusters": 1, "tags": TAGS})
    assert analyze(small).of("cache-size-allowed") == []


@pytest.mark.parametrize(("cpu", "memory", "environment", "ok"), [
    ("512", "1024", "dev", True), ("2048", "4096", "dev", False), ("2048", "4096", "staging", True),
    ("4096", "8192", "prod", True), ("256", "4096", "prod", False)])
def test_fargate_task_sizes_per_environment(cpu, memory, environment, ok):
    task = resource(TASK, "task", {"cpu": cpu, "memory": memory, "family": "api", "tags": TAGS})
    assert (analyze(task, environment=environment).of("fargate-size-allowed") == []) is ok


# -- hygiene -------------------------------------------------------------------------------------------

def test_tagged_resource_passes_and_cost_center_stands_for_owner():
    tags = {"project": "accunode", "environment": "dev", "cost-center": "ml-platform"}
    assert analyze(database(tags=tags)).of("cost-allocation-tags") == []


def test_resource_without_tags_fails_and_untaggable_types_are_not_checked():
    [message] = messages(analyze(database(tags=None)), "cost-allocation-tags")
    assert "project, environment, owner or cost-center (it has none)" in message
    policy = resource("aws:iam/rolePolicy:RolePolicy", "inline", {"policy": "{}"})
    assert analyze(policy).of("cost-allocation-tags") == []


def test_empty_tag_values_count_as_missing():
    [message] = messages(analyze(database(tags={**TAGS, "owner": " "})), "cost-allocation-tags")
    assert "owner or cost-center" in message


def test_taggable_types_match_the_sdk_for_everything_the_program_creates(stack_graph):
    types = {r.type for stack in ("prod", "dev", "staging") for r in stack_graph(stack).resources
             if r.type.startswith("aws:")}
    for type_ in types:
        _, module, name = type_.split(":")
        cls = getattr(importlib.import_module(f"pulumi_aws.{module.split('/')[0]}"), name)
        assert ("tags" in inspect.signature(cls._internal_init).parameters) is (type_ in TAGGABLE), type_


@pytest.mark.parametrize(("days", "ok"), [(30, True), (365, True), (None, False), (0, False), (3653, False)])
def test_log_retention_is_set_and_bounded(days, ok):
    group = resource(LOG_GROUP, "logs", {"name": "/accunode/api", "tags": TAGS,
                                         **({} if days is None else {"retentionInDays": days})})
    assert (analyze(group).of("log-retention-bounded") == []) is ok


def test_log_retention_maximum_is_configurable():
    group = resource(LOG_GROUP, "logs", {"name": "/accunode/api", "retentionInDays": 90, "tags": TAGS})
    assert analyze(group, config={"log-retention-bounded": {"maxDays": 30}}).of("log-retention-bounded")


@pytest.mark.parametrize(("storage", "ok"), [("gp3", True), ("gp2", False), (None, False)])
def test_database_storage_is_gp3(storage, ok):
    db = database(storageType=storage) if storage else database(storageType=None)
    if storage is None:
        db.inputs.pop("storageType")
    assert (analyze(db).of("storage-gp3") == []) is ok


# -- unknowns and odd values ---------------------------------------------------------------------------

def test_unknown_values_are_not_applicable_not_violations():
    result = analyze(database(instanceClass=UNKNOWN_STRING, multiAz=UNKNOWN_STRING, storageType=UNKNOWN_STRING,
                              tags=UNKNOWN_STRING))
    assert result.diagnostics == []
    assert ("database-size-allowed", "not checked: unknown during preview: instanceClass, multiAz") in \
        result.not_applicable


# Finite floats only: a protobuf Struct cannot carry NaN or infinity, so the engine never sends them.
ODD = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                   | st.text(max_size=8)
                   | st.just(UNKNOWN_STRING), lambda inner: st.lists(inner, max_size=3)
                   | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
KEYS = ["instanceClass", "multiAz", "storageType", "nodeType", "numCacheClusters", "cpu", "memory", "tags",
        "retentionInDays", "runtimePlatform", "loadBalancers", "desiredCount", "capacityProviderStrategies",
        "taskDefinition", "minCapacity", "resourceId", "repository", "policy", "allocationId", "name"]
TYPES = [RDS, REDIS, TASK, LOG_GROUP, "aws:ecs/service:Service", "aws:appautoscaling/target:Target",
         "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws:ec2/natGateway:NatGateway",
         "aws:lb/loadBalancer:LoadBalancer"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(TYPES), st.dictionaries(st.sampled_from(KEYS), ODD, max_size=6)),
                min_size=1, max_size=5))
def test_rules_never_crash_on_odd_or_unknown_values(specs):
    resources = [resource(type_, f"r{i}", props) for i, (type_, props) in enumerate(specs)]
    harness = PackHarness(cost.PACK_NAME, cost.ALL_POLICIES, cost.PACK_ENFORCEMENT, None,
                          {"accunode:environment": "dev"})
    result = harness.preview(resources)
    assert not [d.message for d in result.diagnostics if "internal error" in d.message]
    assert result.cant_run == []
