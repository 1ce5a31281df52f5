"""Random, unknown and oddly typed property values never make a security rule raise.

An exception in a rule would escape the servicer as an RPC error, which aborts the whole preview
(``failed to run policy``). The pack guards against that by turning an unexpected error into a
violation that names the rule, so these tests also assert that no such "internal error" appears,
and that no rule trips the SDK's unknown-value proxy ("can't run policy ... during preview").
"""

from __future__ import annotations

import json
from typing import Any

import accunode_cost as cost
import accunode_security as security
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accunode.engine.graph import SECRET_SIG, SIG_KEY, UNKNOWN_STRING, UNKNOWNS, Resource
from tests.policies._requests import PackHarness, Result
from tests.policies._stack import secure_stack
from tests.policies.test_security_rules import harness

RESOURCE_TYPES = sorted({t for rule in [*security.RULES, *cost.RULES] for t in rule.types} - {"*"})
STACK_RULE_TYPES = sorted({r.type for r in secure_stack().resources.values()})
KEYS = [
    "storageEncrypted", "publiclyAccessible", "backupRetentionPeriod", "deletionProtection", "skipFinalSnapshot",
    "parameterGroupName", "dbSubnetGroupName", "vpcSecurityGroupIds", "parameters", "name", "value",
    "atRestEncryptionEnabled", "transitEncryptionEnabled", "authToken", "userGroupIds", "subnetGroupName",
    "subnetIds", "securityGroupIds", "containerDefinitions", "executionRoleArn", "taskRoleArn",
    "networkConfiguration", "assignPublicIp", "subnets", "securityGroups", "imageScanningConfiguration",
    "scanOnPush", "imageTagMutability", "repository", "policy", "protocol", "sslPolicy", "defaultActions", "type",
    "redirect", "loadBalancerArn", "dropInvalidHeaderFields", "accessLogs", "enabled", "enableDeletionProtection",
    "loadBalancerType", "internal", "resourceArn", "inlinePolicies", "managedPolicyArns", "policyArn",
    "assumeRolePolicy", "Statement", "Effect", "Action", "Resource", "NotResource", "Principal", "Federated",
    "Condition", "retentionInDays", "bucket", "blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
    "restrictPublicBuckets", "rules", "applyServerSideEncryptionByDefault", "sseAlgorithm",
    "serverSideEncryptionConfiguration", "mapPublicIpOnLaunch", "routes", "gatewayId", "routeTableId",
    "subnetId", "vpcId", "ingress", "egress", "ipProtocol", "fromPort", "toPort", "cidrIpv4", "cidrIpv6",
    "cidrBlocks", "ipv6CidrBlocks", "referencedSecurityGroupId", "sourceSecurityGroupId", "self",
    "securityGroupId", "prefixListIds", "user", "readonlyRootFilesystem", "privileged", "environment",
    "logConfiguration", "logDriver", "defaultRouteTableId",
    # round 2: every data store, run paths, listeners, IAM attachments, resource policies, hardening
    "replicateSourceDb", "clusterIdentifier", "replicationGroupId", "engine", "dbClusterParameterGroupName",
    "snapshotRetentionLimit", "enabledCloudwatchLogsExports", "prefixListId", "entries", "cidr", "ecsTarget",
    "input", "containerOverrides", "target", "ecsParameters", "targetParameters", "ecsTaskParameters",
    "awsVpcConfiguration", "enableExecuteCommand", "linuxParameters", "capabilities", "drop", "add",
    "listenerArn", "actions", "policyArns", "managedPolicyArn", "NotAction", "NotPrincipal", "principal",
    "sourceArn", "sourceAccount", "functionUrlAuthType", "enableKeyRotation", "customerMasterKeySpec",
    "kmsMasterKeyId", "sqsManagedSseEnabled", "metadataOptions", "httpTokens", "associatePublicIpAddress",
    "networkInterfaces", "authorizationType", "trafficType", "variables", "tags", "storageType", "instanceClass",
    "multiAz", "nodeType", "numCacheClusters", "cpu", "memory", "runtimePlatform", "allocatedStorage",
]
INTERESTING = ["0.0.0.0/0", "::/0", "10.0.0.0/16", "-1", "tcp", "6", "icmp", "root", "0", "0:0", "1000:1000",
               "HTTP", "HTTPS", "redirect", "forward", "true", "false", "*", "iam:PassRole", "iam:*", "Allow", "Deny",
               "IMMUTABLE", "SecureString", "String", "AES256", "rds.force_ssl", "1", "igw-0abc", "application",
               "repo:*", "token.actions.githubusercontent.com", "AKIAIOSFODNN7EXAMPLE", "postgres://u:p@h/db",
               "arn:aws:iam::aws:policy/AdministratorAccess", "/accunode/prod/database-url"]

# No NaN or infinity: the SDK's protobuf-to-dict step rejects them before any rule runs.
scalars = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(max_size=12) | st.sampled_from(sorted(UNKNOWNS)) | st.sampled_from(INTERESTING))


def _extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(KEYS) | st.text(max_size=6).filter(lambda k: k != SIG_KEY)
    return (st.lists(children, max_size=4)
            | st.dictionaries(keys, children, max_size=5)
            | children.map(lambda v: {SIG_KEY: SECRET_SIG, "value": v})
            | children.map(json.dumps))


values = st.recursive(scalars, _extend, max_leaves=25)
props = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)


def assert_robust(result: Result) -> None:
    for diagnostic in result.diagnostics:
        assert "internal error in rule" not in diagnostic.message, diagnostic.message
    assert result.cant_run == [], result.cant_run


ROBUST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def cost_harness() -> PackHarness:
    return PackHarness(cost.PACK_NAME, cost.ALL_POLICIES, cost.PACK_ENFORCEMENT, None, {"accunode:environment": "prod"})


@ROBUST
@given(type_=st.sampled_from(RESOURCE_TYPES), inputs=props)
def test_resource_rules_of_both_packs_survive_random_properties(type_: str, inputs: dict[str, Any]) -> None:
    resource = Resource(urn=f"urn:pulumi:test::accunode::{type_}::r", type=type_, name="r", custom=True,
                        inputs=inputs, outputs=inputs)
    assert_robust(harness().analyze([resource]))
    assert_robust(cost_harness().preview([resource]))


@pytest.mark.parametrize("type_", RESOURCE_TYPES)
def test_wholly_unknown_properties_are_not_checked_never_violations(type_: str) -> None:
    """Every property a rule reads unknown (a first preview of a resource built from outputs): the rules
    report "not checked during preview" or nothing, never a violation."""
    inputs = {key: sorted(UNKNOWNS)[0] for key in KEYS}
    resource = Resource(urn=f"urn:pulumi:test::accunode::{type_}::r", type=type_, name="r", custom=True,
                        inputs=inputs, outputs=inputs)
    for pack in (harness(), cost_harness()):
        result = pack.analyze([resource])
        assert result.diagnostics == [], [(d.policy, d.message) for d in result.diagnostics]


@ROBUST
@given(changes=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(KEYS), values), min_size=1, max_size=6),
       rewire=st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(KEYS), st.integers(0, 10**6)), max_size=4))
def test_stack_rules_survive_random_properties_and_links(changes: list[Any], rewire: list[Any]) -> None:
    resources = list(secure_stack().resources.values())
    for index, key, value in changes:
        target = resources[index % len(resources)]
        target.inputs[key] = value
        target.outputs[key] = value
    for index, key, other in rewire:  # property dependencies pointing anywhere, including at itself
        resources[index % len(resources)].property_dependencies[key] = [resources[other % len(resources)].urn]
    assert_robust(harness().analyze_stack(resources))


@ROBUST
@given(type_=st.sampled_from(STACK_RULE_TYPES), inputs=props)
def test_stack_rules_survive_a_random_extra_resource(type_: str, inputs: dict[str, Any]) -> None:
    stack = secure_stack()
    extra = stack.add(type_, "extra", inputs)
    extra.property_dependencies = {key: [r.urn for r in list(stack.resources.values())[:3]] for key in inputs}
    assert_robust(harness().analyze_stack(stack.resources.values()))


SHAPES = [
    ("aws:iam/policy:Policy", {"policy": {"Statement": [{"Effect": "Allow", "Action": UNKNOWN_STRING,
                                                         "Resource": "*"}]}}),
    ("aws:iam/policy:Policy", {"policy": {"Statement": UNKNOWN_STRING}}),
    ("aws:iam/role:Role", {"assumeRolePolicy": {"Statement": [{"Effect": "Allow", "Principal": UNKNOWN_STRING,
                                                               "Condition": {"StringLike": UNKNOWN_STRING}}]}}),
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
     {"bucket": "b", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": 256}}]}),
    ("aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps(
        [{"name": 7, "user": ["root"], "environment": {"name": "A"}, "linuxParameters": UNKNOWN_STRING}])}),
    ("aws:lb/listener:Listener", {"protocol": 443, "defaultActions": {"type": UNKNOWN_STRING}}),
    ("aws:ec2/launchTemplate:LaunchTemplate", {"metadataOptions": UNKNOWN_STRING, "networkInterfaces": "eth0"}),
    ("aws:lambda/permission:Permission", {"principal": ["*"], "functionUrlAuthType": 0}),
]


@pytest.mark.parametrize(("type_", "inputs"), SHAPES, ids=[f"{t}-{i}" for i, (t, _) in enumerate(SHAPES)])
def test_odd_shapes_from_the_issue_do_not_crash(type_: str, inputs: dict[str, Any]) -> None:
    """A policy document as a dict holding an unknown, a non-string algorithm, lists where strings go, ..."""
    resource = Resource(urn=f"urn:pulumi:test::accunode::{type_}::r", type=type_, name="r", custom=True,
                        inputs=inputs, outputs=inputs)
    stack = secure_stack()
    assert_robust(harness().preview([*stack.resources.values(), resource]))
