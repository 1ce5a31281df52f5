"""Identity: separate execution and task roles, a GitHub deploy role pinned to one repository and branch."""

from __future__ import annotations

import json

import pulumi_aws as aws
import pytest
from pulumi.runtime.sync_await import _sync_await

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph, contains_unknown
from components.identity import GitHubDeploy, Identity, IdentityArgs
from tests.components.stack import stack_context

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def _args(**overrides) -> IdentityArgs:
    values = dict(context=stack_context(tags={"project": "accunode"}),
                  repository_name="accunode-test", log_group_names=["/ecs/accunode-test-api"],
                  parameter_path="/accunode/test", bucket_name="accunode-test-models", queue_name="accunode-test-jobs",
                  cluster_name="accunode-test", service_names=["accunode-test-api", "accunode-test-worker"],
                  github=GitHubDeploy("accunode/accunode", "prod"))
    return IdentityArgs(**{**values, **overrides})


def _build(preview: bool = False, **overrides) -> ResourceGraph:
    return run_program(lambda: Identity("identity", _args(**overrides)), preview=preview)


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return _build()


def role(graph: ResourceGraph, suffix: str):
    return graph.find(ROLE, f"identity-{suffix}")


def policy(graph: ResourceGraph, suffix: str) -> dict:
    return json.loads(graph.find(ROLE_POLICY, f"identity-{suffix}-policy").props["policy"])


def test_execution_and_task_roles_are_different_roles_with_different_policies(graph):
    assert role(graph, "task-execution").props["name"] == "accunode-test-task-execution"
    assert role(graph, "task").props["name"] == "accunode-test-task"
    assert policy(graph, "task-execution") != policy(graph, "task")
    for suffix in ("task-execution", "task"):
        trust = json.loads(role(graph, suffix).props["assumeRolePolicy"])
        assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_each_role_policy_is_attached_to_its_own_role(graph):
    for suffix in ("task-execution", "task", "deploy"):
        attached = graph.find(ROLE_POLICY, f"identity-{suffix}-policy")
        assert attached.property_dependencies["role"] == [role(graph, suffix).urn]


def test_task_role_may_use_only_the_bucket_the_parameters_and_the_queue(graph):
    resources = {r for s in policy(graph, "task")["Statement"] for r in s["Resource"]}
    assert resources == {
        "arn:aws:s3:::accunode-test-models", "arn:aws:s3:::accunode-test-models/*",
        "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/test",
        "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/test/*",
        "arn:aws:kms:us-east-1:123456789012:key/*", "arn:aws:sqs:us-east-1:123456789012:accunode-test-jobs"}


def test_the_stack_reads_the_accounts_github_oidc_provider_and_never_creates_it(graph, monkeypatch):
    # An account holds one provider per URL: a second CreateOpenIDConnectProvider fails (EntityAlreadyExists).
    assert graph.of_type(OIDC) == []
    reads: list[tuple[str, str]] = []
    real_get = aws.iam.OpenIdConnectProvider.get

    def recording_get(resource_name, provider_id, opts=None):
        reads.append((resource_name, provider_id))
        return real_get(resource_name, provider_id, opts=opts)

    monkeypatch.setattr(aws.iam.OpenIdConnectProvider, "get", staticmethod(recording_get))
    _build()
    assert reads == [("identity-github-oidc",
                      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com")]
    (statement,) = json.loads(role(graph, "deploy").props["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": reads[0][1]}


def test_the_execution_role_trust_has_no_confused_deputy_conditions_the_task_role_has_them(graph):
    # AWS documents aws:SourceArn/aws:SourceAccount for the task role only; on the execution role a
    # condition ECS does not satisfy means no task can start.
    (execution,) = json.loads(role(graph, "task-execution").props["assumeRolePolicy"])["Statement"]
    assert execution == {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                         "Action": "sts:AssumeRole"}
    (task,) = json.loads(role(graph, "task").props["assumeRolePolicy"])["Statement"]
    assert task["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"},
                                 "ArnLike": {"aws:SourceArn": "arn:aws:ecs:us-east-1:123456789012:*"}}


def test_deploy_role_trust_pins_audience_and_the_deploy_branch_of_one_repository(graph):
    (statement,) = json.loads(role(graph, "deploy").props["assumeRolePolicy"])["Statement"]
    assert statement["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:accunode/accunode:ref:refs/heads/prod"}}
    assert "StringLike" not in statement["Condition"]


def test_deploy_role_passes_only_the_two_task_roles_to_ecs(graph):
    (pass_role,) = [s for s in policy(graph, "deploy")["Statement"] if "iam:PassRole" in s["Action"]]
    names = [role(graph, s).props["name"] for s in ("task-execution", "task")]
    assert pass_role["Resource"] == [f"arn:aws:iam::123456789012:role/{n}" for n in names]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}


def test_role_arns_are_known_at_preview():
    identity: list[Identity] = []
    graph = run_program(lambda: identity.append(Identity("identity", _args())), preview=True)
    assert graph.preview
    for output in (identity[0].execution_role_arn, identity[0].task_role_arn):
        assert _sync_await(output.is_known()) is True


def test_without_a_repository_there_is_no_deploy_role():
    assert {r.name for r in _build(github=None).of_type(ROLE)} == {"identity-task-execution", "identity-task"}


def test_no_policy_document_is_unknown_at_preview():
    graph = _build(preview=True)
    for resource in (*graph.of_type(ROLE), *graph.of_type(ROLE_POLICY)):
        for key in ("assumeRolePolicy", "policy"):
            assert not contains_unknown(resource.inputs.get(key)), (resource.name, key)


@pytest.mark.parametrize("overrides, message", [
    ({"context": stack_context(name_prefix="accunode-" + "x" * 41)}, "64 characters"),
    ({"parameter_path": "accunode/test/"}, "parameter_path"),
    ({"github": GitHubDeploy("accunode/*", "prod")}, "exact"),
    ({"service_names": []}, "must not be empty"),
])
def test_identity_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)
