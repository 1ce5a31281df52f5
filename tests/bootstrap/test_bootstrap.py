"""The account bootstrap (bootstrap/): one OIDC provider, the CI role, the state bucket and key."""

from __future__ import annotations

import json

import pytest

from accunode.engine.capture import ACCOUNT_ID, CaptureError, capture_stack
from accunode.engine.graph import Resource, ResourceGraph
from accunode.specs import bootstrap as spec
from accunode.specs.iam import github_subject
from tests.conftest import captured
from tests.deploy.stacks import BOOTSTRAP, STACKS, bootstrap_graph

OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
# The IAM prefixes of each pulumi-aws module the application stacks use.
MODULE_PREFIXES = {"ec2": {"ec2"}, "vpc": {"ec2"}, "lb": {"elasticloadbalancing"}, "ecs": {"ecs"}, "ecr": {"ecr"},
                   "rds": {"rds"}, "elasticache": {"elasticache"}, "sqs": {"sqs"}, "sns": {"sns"},
                   "cloudwatch": {"logs", "cloudwatch"}, "kms": {"kms"}, "wafv2": {"wafv2"},
                   "appautoscaling": {"application-autoscaling"}, "ssm": {"ssm"}, "s3": {"s3"}, "iam": {"iam"},
                   "budgets": {"budgets"}}


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return bootstrap_graph()


def _policy(graph: ResourceGraph, name: str) -> dict:
    return json.loads(graph.find("aws:iam/rolePolicy:RolePolicy", name).props["policy"])


def _statements(document: dict, sid: str) -> dict:
    (statement,) = [s for s in document["Statement"] if s.get("Sid") == sid]
    return statement


def test_the_account_gets_exactly_one_github_oidc_provider_kept_for_good(graph: ResourceGraph) -> None:
    provider = graph.find(OIDC)
    assert provider.props["url"] == "https://token.actions.githubusercontent.com"
    assert provider.props["clientIdLists"] == ["sts.amazonaws.com"]
    assert provider.protect and provider.options["retainOnDelete"]
    assert graph.outputs["oidcProviderArn"] == (
        f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com")


def test_the_application_stacks_federate_through_the_bootstraps_provider(graph: ResourceGraph) -> None:
    for stack in STACKS:
        app = captured(stack)
        assert app.of_type(OIDC) == []
        (statement,) = json.loads(app.find("aws:iam/role:Role", "identity-deploy").props["assumeRolePolicy"])[
            "Statement"]
        assert statement["Principal"]["Federated"] == graph.outputs["oidcProviderArn"]


def test_the_ci_role_trusts_only_the_production_environment_of_the_repository(graph: ResourceGraph) -> None:
    role = graph.find("aws:iam/role:Role", "ci")
    assert role.props["name"] == "accunode-ci"
    (statement,) = json.loads(role.props["assumeRolePolicy"])["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": graph.outputs["oidcProviderArn"]}
    assert statement["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:accunode/accunode:environment:production"}}
    # A job in an environment gets the environment subject: a branch-ref trust could never be assumed by it.
    assert statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] != github_subject(
        "accunode/accunode", "prod")
    assert graph.find(OIDC).urn in role.dependencies


@pytest.mark.parametrize("repository, environment", [("accunode/*", "production"), ("accunode", "production"),
                                                     ("accunode/accunode", "prod*")])
def test_the_ci_subject_takes_no_wildcards(repository: str, environment: str) -> None:
    with pytest.raises(ValueError, match="must be exact"):
        spec.github_environment_subject(repository, environment)


def test_the_ci_role_may_manage_the_services_the_stacks_use_and_no_other(graph: ResourceGraph) -> None:
    graphs = [captured(stack) for stack in STACKS] + [captured("prod", **{"accunode:waf": True})]
    used = {prefix for app in graphs for r in app.custom_resources if r.type.startswith("aws:")
            for prefix in MODULE_PREFIXES[r.type.split(":")[1].split("/")[0]]}
    document = _policy(graph, "ci-stacks")
    granted = {action.split(":")[0] for s in document["Statement"] if s["Effect"] == "Allow"
               for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert used <= granted, f"pulumi up needs {sorted(used - granted)}"
    assert granted - used == set()
    regional = _statements(document, "StackServicesInRegion")
    assert regional["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}


def test_the_ci_role_manages_only_the_stacks_roles_and_buckets_and_never_the_bootstrap(graph: ResourceGraph) -> None:
    document = _policy(graph, "ci-stacks")
    assert _statements(document, "StackRoles")["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/accunode-*"
    assert _statements(document, "PassStackRoles")["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "ecs-tasks.amazonaws.com", "ecs.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    assert _statements(document, "StackBuckets")["Resource"] == ["arn:aws:s3:::accunode-*", "arn:aws:s3:::accunode-*/*"]
    deny_role = _statements(document, "NotTheBootstrap")
    assert deny_role["Effect"] == "Deny" and deny_role["Resource"] == f"arn:aws:iam::{ACCOUNT_ID}:role/accunode-ci"
    assert "iam:UpdateAssumeRolePolicy" in deny_role["Action"] and "iam:PutRolePolicy" in deny_role["Action"]
    deny_bucket = _statements(document, "NotTheStateBucket")
    assert deny_bucket["Resource"] == f"arn:aws:s3:::{graph.outputs['stateBucket']}"
    assert "s3:DeleteBucket" in deny_bucket["Action"] and "s3:PutBucketPolicy" in deny_bucket["Action"]
    assert "iam:CreateOpenIDConnectProvider" not in json.dumps(document)


def test_the_ci_role_policies_fit_iams_inline_limit(graph: ResourceGraph) -> None:
    total = sum(len("".join(r.props["policy"].split())) for r in graph.of_type("aws:iam/rolePolicy:RolePolicy"))
    assert total <= 10240  # IAM: inline policies of one role, whitespace excluded


def _of(graph: ResourceGraph, type_: str) -> Resource:
    return graph.find(type_)


def test_the_state_bucket_is_versioned_kms_encrypted_private_and_kept(graph: ResourceGraph) -> None:
    bucket = _of(graph, "aws:s3/bucket:Bucket")
    assert bucket.props["bucket"] == f"accunode-pulumi-state-{ACCOUNT_ID}" == graph.outputs["stateBucket"]
    assert bucket.protect and bucket.options["retainOnDelete"] and not bucket.props.get("forceDestroy")
    assert _of(graph, "aws:s3/bucketVersioning:BucketVersioning").props["versioningConfiguration"] == {
        "status": "Enabled"}
    (rule,) = _of(graph, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
                  ).props["rules"]
    key = _of(graph, "aws:kms/key:Key")
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs[
        "arn"]}
    block = _of(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").props
    assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    (deny,) = json.loads(_of(graph, "aws:s3/bucketPolicy:BucketPolicy").props["policy"])["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert all(r.protect for r in graph.custom_resources if r.type.startswith("aws:s3/"))


def test_the_secrets_key_rotates_and_the_ci_role_may_use_only_it_and_the_state(graph: ResourceGraph) -> None:
    key = _of(graph, "aws:kms/key:Key")
    assert key.props["enableKeyRotation"] is True and key.protect
    assert _of(graph, "aws:kms/alias:Alias").props["name"] == "alias/accunode-pulumi"
    state = _policy(graph, "ci-state")
    assert _statements(state, "StackSecrets")["Resource"] == key.outputs["arn"]
    assert _statements(state, "ReadWriteState")["Resource"] == f"arn:aws:s3:::{graph.outputs['stateBucket']}/*"


def test_the_outputs_are_the_login_and_secrets_provider_lines(graph: ResourceGraph) -> None:
    bucket = graph.outputs["stateBucket"]
    assert graph.outputs["backendUrl"] == f"s3://{bucket}"
    assert graph.outputs["loginCommand"] == f"pulumi login s3://{bucket}"
    assert graph.outputs["secretsProvider"] == "awskms://alias/accunode-pulumi?region=us-east-1"
    assert graph.outputs["stackInitCommand"] == (
        "pulumi stack init <stack> --secrets-provider 'awskms://alias/accunode-pulumi?region=us-east-1'")


@pytest.mark.parametrize("overrides, key", [
    ({"accunode-bootstrap:githubRepository": None}, "accunode-bootstrap:githubRepository"),
    ({"accunode-bootstrap:githubRepository": "accunode/*"}, "accunode-bootstrap:githubRepository"),
    ({"accunode-bootstrap:githubRepository": "-acme/app"}, "accunode-bootstrap:githubRepository"),
    ({"accunode-bootstrap:githubRepository": "acme/.."}, "accunode-bootstrap:githubRepository"),
    ({"accunode-bootstrap:githubEnvironment": "prod*"}, "accunode-bootstrap:githubEnvironment"),
    ({"accunode-bootstrap:githubEnvironment": "e" * 256}, "accunode-bootstrap:githubEnvironment"),
])
def test_bad_config_stops_the_bootstrap_before_any_resource_naming_the_key(overrides: dict, key: str) -> None:
    with pytest.raises(CaptureError) as caught:
        capture_stack("main", BOOTSTRAP, config_overrides=overrides)
    assert str(caught.value).startswith(f"{key}: ")
    assert caught.value.graph is not None and caught.value.graph.custom_resources == []
