"""RDS PostgreSQL: isolated, encrypted, TLS-only, backed up, and hard to delete in prod."""

from __future__ import annotations

import pytest
from pulumi import Output

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph, contains_unknown, is_secret
from components.database import (
    Database,
    DatabaseArgs,
    parameter_group_family,
    performance_insights_supported,
    replacement_keepers,
)
from components.network import SubnetSet
from tests.components.stack import stack_context

INSTANCE = "aws:rds/instance:Instance"
TAGS = {"project": "accunode"}


def _args(tier: str = "isolated", **overrides) -> DatabaseArgs:
    values = dict(identifier="accunode-test-db",
                  subnets=SubnetSet(tier, (Output.from_input("subnet-a"), Output.from_input("subnet-b"))),
                  security_group_ids=["sg-data"], instance_class="db.t3.small", allocated_storage=20,
                  max_allocated_storage=100, multi_az=False, backup_retention_days=7, protect=False,
                  context=stack_context(tags=TAGS))
    return DatabaseArgs(**{**values, **overrides})


def _build(preview: bool = False, **overrides) -> ResourceGraph:
    return run_program(lambda: Database("database", _args(**overrides)), preview=preview)


@pytest.fixture(scope="module")
def dev() -> ResourceGraph:
    return _build()


@pytest.fixture(scope="module")
def prod() -> ResourceGraph:
    return _build(protect=True, backup_retention_days=14, multi_az=True, instance_class="db.t3.medium")


def test_database_is_encrypted_private_gp3_with_storage_autoscaling(dev):
    props = dev.find(INSTANCE).props
    assert props["storageEncrypted"] is True
    assert props["publiclyAccessible"] is False
    assert props["storageType"] == "gp3"
    assert (props["allocatedStorage"], props["maxAllocatedStorage"]) == (20, 100)
    assert props["engine"] == "postgres" and props["autoMinorVersionUpgrade"] is True


def test_database_lives_in_its_subnet_group_behind_the_data_group(dev):
    instance = dev.find(INSTANCE)
    group = dev.find("aws:rds/subnetGroup:SubnetGroup")
    assert instance.property_dependencies["dbSubnetGroupName"] == [group.urn]
    assert group.props["subnetIds"] == ["subnet-a", "subnet-b"]
    assert instance.props["vpcSecurityGroupIds"] == ["sg-data"]


def test_parameter_group_forces_tls_and_logs_connections_and_slow_queries(dev):
    group = dev.find("aws:rds/parameterGroup:ParameterGroup")
    parameters = {p["name"]: p["value"] for p in group.props["parameters"]}
    assert group.props["family"] == "postgres16"
    assert parameters["rds.force_ssl"] == "1"
    assert parameters["log_connections"] == "1" and parameters["log_min_duration_statement"] == "1000"
    assert dev.find(INSTANCE).property_dependencies["parameterGroupName"] == [group.urn]


def test_master_password_is_a_generated_secret_safe_in_urls(dev):
    password = dev.find("random:index/randomPassword:RandomPassword")
    assert password.props["special"] is False and password.props["length"] >= 16
    instance = dev.find(INSTANCE)
    assert is_secret(instance.inputs["password"])
    assert instance.property_dependencies["password"] == [password.urn]
    assert "manageMasterUserPassword" not in instance.props


def test_log_exports_go_to_log_groups_created_first_with_retention(dev):
    instance = dev.find(INSTANCE)
    assert instance.props["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    groups = {g.props["name"]: g for g in dev.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert set(groups) == {f"/aws/rds/instance/accunode-test-db/{export}" for export in ("postgresql", "upgrade")}
    for group in groups.values():
        assert group.props["retentionInDays"] == 7
        assert group.urn in instance.dependencies


def test_prod_database_is_protected_retained_and_deletion_protected(prod):
    instance = prod.find(INSTANCE)
    assert instance.props["deletionProtection"] is True
    assert instance.protect is True and instance.options["retainOnDelete"] is True
    assert instance.props["backupRetentionPeriod"] == 14 and instance.props["multiAz"] is True
    assert instance.props["deleteAutomatedBackups"] is False


def test_non_prod_database_can_be_torn_down(dev):
    instance = dev.find(INSTANCE)
    assert instance.props["deletionProtection"] is False
    assert instance.protect is False and instance.options["retainOnDelete"] is False


@pytest.mark.parametrize("fixture", ["dev", "prod"])
def test_deleting_the_database_always_takes_a_final_snapshot(fixture, request):
    props = request.getfixturevalue(fixture).find(INSTANCE).props
    assert props["skipFinalSnapshot"] is False
    assert props["finalSnapshotIdentifier"].startswith("accunode-test-db-final-")
    assert props["copyTagsToSnapshot"] is True
    assert props["backupRetentionPeriod"] >= 7


def test_the_final_snapshot_name_is_renewed_with_every_replacement_and_recreation(dev):
    # A constant name makes the second deletion fail with DBSnapshotAlreadyExists.
    instance, suffix = dev.find(INSTANCE), dev.find("random:index/randomId:RandomId")
    assert instance.property_dependencies["finalSnapshotIdentifier"] == [suffix.urn]
    assert suffix.props["keepers"] == replacement_keepers(_args())
    assert suffix.props["keepers"]["identifier"] == "accunode-test-db"
    # Each input that forces a replacement of the instance also renews the suffix.
    for change in ({"identifier": "accunode-other-db"}, {"db_name": "other"}, {"username": "other"},
                   {"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/abc"}):
        assert replacement_keepers(_args(**change)) != replacement_keepers(_args()), change


def test_a_major_engine_upgrade_is_allowed_and_gets_a_new_parameter_group_first(dev):
    instance, group = dev.find(INSTANCE), dev.find("aws:rds/parameterGroup:ParameterGroup")
    assert instance.props["allowMajorVersionUpgrade"] is True
    # A prefix, not a name: the postgres17 group is created before the postgres16 one is deleted.
    assert "name" not in group.props and group.props["namePrefix"] == "accunode-test-db-postgres16-"
    assert _build(engine_version="17").find("aws:rds/parameterGroup:ParameterGroup").props["namePrefix"] == (
        "accunode-test-db-postgres17-")


def test_prod_keeps_what_the_retained_instance_stands_on(prod, dev):
    kept = {"aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup",
            "aws:cloudwatch/logGroup:LogGroup", INSTANCE}
    for resource in prod.custom_resources:
        if resource.type in kept:
            assert resource.options["retainOnDelete"] is True, resource.name
    assert not any(r.options["retainOnDelete"] for r in dev.custom_resources)


def test_performance_insights_is_on_only_where_the_class_supports_it(dev, prod):
    assert dev.find(INSTANCE).props["performanceInsightsEnabled"] is False  # db.t3.small
    assert prod.find(INSTANCE).props["performanceInsightsEnabled"] is True
    assert prod.find(INSTANCE).props["performanceInsightsRetentionPeriod"] == 7


@pytest.mark.parametrize("instance_class, supported", [
    ("db.t3.micro", False), ("db.t3.small", False), ("db.t4g.micro", False), ("db.t4g.small", False),
    ("db.t3.medium", True), ("db.t4g.large", True), ("db.m7g.large", True), ("db.r6g.large", True),
])
def test_performance_insights_support_by_class(instance_class, supported):
    assert performance_insights_supported(instance_class) is supported


def test_parameter_group_family_follows_the_engine_major():
    assert parameter_group_family("16") == "postgres16"
    assert parameter_group_family("15.7") == "postgres15"


def test_identifier_and_names_are_known_at_preview():
    graph = _build(preview=True)
    instance = graph.find(INSTANCE)
    assert instance.inputs["identifier"] == "accunode-test-db"
    assert not contains_unknown(instance.inputs["enabledCloudwatchLogsExports"])
    assert not contains_unknown(graph.find("aws:rds/subnetGroup:SubnetGroup").inputs["name"])


def test_every_database_resource_carries_the_tags_and_a_name(dev):
    for resource in dev.custom_resources:
        if resource.type.startswith("random:"):
            continue
        assert TAGS.items() <= resource.props["tags"].items() and resource.props["tags"]["Name"], resource.name


@pytest.mark.parametrize("tier", ["public", "private"])
def test_database_rejects_subnets_that_are_not_isolated(tier):
    with pytest.raises(ValueError, match="isolated subnets"):
        _args(tier=tier)


@pytest.mark.parametrize("overrides, message", [
    ({"identifier": "AccuNode_DB"}, "identifier"),
    ({"identifier": "accunode--db"}, "identifier"),
    ({"instance_class": "db.x99.huge"}, "not a known RDS class"),
    ({"allocated_storage": 200, "max_allocated_storage": 100}, "storage"),
    ({"backup_retention_days": 0}, "backup_retention_days"),
    ({"engine_version": "12"}, "engine_version"),
    ({"security_group_ids": []}, "security_group_ids"),
    ({"log_retention_days": 8}, "log_retention_days"),
])
def test_database_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)
