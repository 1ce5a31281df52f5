"""IAM documents: each principal gets only our resources; "*" only where AWS allows nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accunode.specs import iam

ACCOUNT, REGION = "123456789012", "us-east-1"
REPO_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/accunode-prod"
PATH_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/accunode/prod/*"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:accunode-prod-jobs"
# The only actions AWS offers no resource-level permission for (and so must be granted on "*").
STAR_ONLY_ACTIONS = {"ecr:GetAuthorizationToken", "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"}


def execution() -> dict[str, Any]:
    return iam.execution_role_policy(ACCOUNT, REGION, "accunode-prod",
                                     ["/ecs/accunode-prod-api", "/ecs/accunode-prod-worker"], "/accunode/prod")


def task() -> dict[str, Any]:
    return iam.task_role_policy(ACCOUNT, REGION, "accunode-prod-models-123456789012", "/accunode/prod",
                                "accunode-prod-jobs")


def deploy() -> dict[str, Any]:
    return iam.deploy_role_policy(ACCOUNT, REGION, "accunode-prod", "accunode-prod",
                                  ["accunode-prod-api", "accunode-prod-worker"],
                                  ["accunode-prod-task-execution", "accunode-prod-task"])


def by_sid(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def star_actions(document: dict[str, Any]) -> set[str]:
    """Actions granted on every resource."""
    return {a for s in document["Statement"] if s["Effect"] == "Allow" and s["Resource"] == "*" for a in s["Action"]}


def actions(document: dict[str, Any]) -> set[str]:
    return {a for s in document["Statement"] for a in s["Action"]}


@pytest.mark.parametrize("document", [execution(), task(), deploy()], ids=["execution", "task", "deploy"])
def test_only_actions_without_resource_permissions_are_granted_on_every_resource(document):
    assert star_actions(document) <= STAR_ONLY_ACTIONS
    assert not any("*" in a for a in actions(document))


def test_execution_role_pulls_only_our_repository_and_writes_only_our_log_groups():
    statements = by_sid(execution())
    assert statements["EcrToken"]["Action"] == ["ecr:GetAuthorizationToken"]
    assert statements["PullOurImage"]["Resource"] == [REPO_ARN]
    assert not {"ecr:PutImage", "ecr:InitiateLayerUpload"} & actions(execution())
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/accunode-prod"
    assert statements["WriteOurLogs"]["Resource"] == [
        f"{group}-api", f"{group}-api:log-stream:*", f"{group}-worker", f"{group}-worker:log-stream:*"]


def test_execution_role_reads_only_this_stacks_parameters_and_decrypts_only_through_ssm():
    statements = by_sid(execution())
    assert statements["ReadOurParameters"] == {"Sid": "ReadOurParameters", "Effect": "Allow",
                                               "Action": ["ssm:GetParameters"], "Resource": [PATH_ARN]}
    key = statements["DecryptOurParameters"]
    assert key["Action"] == ["kms:Decrypt"]
    assert key["Condition"]["StringEquals"] == {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}
    assert key["Condition"]["StringLike"] == {"kms:EncryptionContext:PARAMETER_ARN": PATH_ARN}


def test_task_role_reaches_its_bucket_parameters_and_queue_and_nothing_of_ecr_or_iam():
    statements = by_sid(task())
    bucket = "arn:aws:s3:::accunode-prod-models-123456789012"
    assert statements["ListModelBucket"]["Resource"] == [bucket]
    assert statements["ReadWriteModels"]["Resource"] == [f"{bucket}/*"]
    assert statements["UseWorkQueue"]["Resource"] == [QUEUE_ARN]
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"} <= set(statements["UseWorkQueue"]["Action"])
    assert PATH_ARN in statements["ReadOurParameters"]["Resource"]
    assert not any(a.split(":")[0] in ("ecr", "iam", "logs", "ecs") for a in actions(task()))


def test_execution_and_task_policies_are_different_documents():
    assert execution() != task()
    assert not actions(execution()) & actions(task()) - {"ssm:GetParameters", "kms:Decrypt"}


def test_github_trust_pins_audience_and_exact_subject_with_string_equals():
    (statement,) = iam.github_trust_policy(ACCOUNT, "accunode/accunode", "prod")["Statement"]
    assert statement["Principal"] == {
        "Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": "repo:accunode/accunode:ref:refs/heads/prod"}}


@pytest.mark.parametrize("repository, branch", [
    ("accunode/*", "prod"), ("accunode/accunode", "*"), ("accunode", "prod"), ("a/b/c", "prod")])
def test_github_trust_rejects_wildcards_and_malformed_repositories(repository, branch):
    with pytest.raises(ValueError, match="exact"):
        iam.github_trust_policy(ACCOUNT, repository, branch)


def test_deploy_role_pushes_our_image_rolls_our_services_and_passes_only_our_task_roles():
    statements = by_sid(deploy())
    assert statements["PushOurImage"]["Resource"] == [REPO_ARN]
    assert "ecr:PutImage" in statements["PushOurImage"]["Action"]
    assert statements["RollOurServices"]["Resource"] == [
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/accunode-prod/accunode-prod-api",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/accunode-prod/accunode-prod-worker"]
    assert statements["PassOurTaskRoles"]["Resource"] == [
        "arn:aws:iam::123456789012:role/accunode-prod-task-execution",
        "arn:aws:iam::123456789012:role/accunode-prod-task"]
    assert statements["PassOurTaskRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    assert star_actions(deploy()) == STAR_ONLY_ACTIONS


def test_ecs_tasks_trust_is_limited_to_this_account():
    (statement,) = iam.ecs_tasks_trust_policy(ACCOUNT, REGION)["Statement"]
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_alb_log_bucket_lets_elb_write_only_under_our_prefix_and_denies_plain_http():
    statements = by_sid(iam.alb_log_bucket_policy("logs-bucket", ACCOUNT, "us-east-1"))
    objects = f"arn:aws:s3:::logs-bucket/alb/AWSLogs/{ACCOUNT}/*"
    assert statements["LogDeliveryAccount"]["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}
    assert statements["LogDeliveryService"]["Principal"] == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    assert statements["LogDeliveryAccount"]["Resource"] == statements["LogDeliveryService"]["Resource"] == objects
    assert {s["Action"] for s in statements.values() if s["Effect"] == "Allow"} == {"s3:PutObject"}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_alb_log_bucket_in_a_newer_region_trusts_only_the_service_principal():
    statements = by_sid(iam.alb_log_bucket_policy("logs-bucket", ACCOUNT, "ap-southeast-4"))
    assert "LogDeliveryAccount" not in statements and "LogDeliveryService" in statements


def test_alarm_topic_key_lets_cloudwatch_use_it_only_for_this_account():
    statements = by_sid(iam.kms_alarm_topic_key_policy(ACCOUNT))
    assert statements["CloudWatchPublishes"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statements["CloudWatchPublishes"]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@given(account=st.from_regex(r"\d{12}", fullmatch=True), stack=names)
def test_every_scoped_resource_names_our_account_or_our_bucket(account, stack):
    prefix = f"accunode-{stack}"
    documents = [
        iam.execution_role_policy(account, REGION, prefix, [f"/ecs/{prefix}-api"], f"/accunode/{stack}"),
        iam.task_role_policy(account, REGION, f"{prefix}-models", f"/accunode/{stack}", f"{prefix}-jobs"),
        iam.deploy_role_policy(account, REGION, prefix, prefix, [f"{prefix}-api"], [f"{prefix}-task"]),
    ]
    for document in documents:
        for statement in document["Statement"]:
            if statement["Resource"] == "*":
                assert set(statement["Action"]) <= STAR_ONLY_ACTIONS
                continue
            for arn in statement["Resource"]:
                assert account in arn or arn.startswith(f"arn:aws:s3:::{prefix}-models"), arn
                assert stack in arn or arn.startswith("arn:aws:kms:"), arn


def test_the_traffic_role_may_shift_only_our_load_balancers_listeners_and_rules():
    from accunode.specs.iam import traffic_role_policy, traffic_role_trust_policy

    (trust,) = traffic_role_trust_policy()["Statement"]
    assert (trust["Principal"], trust["Action"]) == ({"Service": "ecs.amazonaws.com"}, "sts:AssumeRole")
    document = traffic_role_policy("123456789012", "us-east-1", "accunode-prod-alb")
    statements = {s["Sid"]: s for s in document["Statement"]}
    base = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
    assert statements["ShiftOurRules"]["Resource"] == [f"{base}:listener-rule/app/accunode-prod-alb/*/*/*"]
    assert statements["ShiftOurListener"]["Resource"] == [f"{base}:listener/app/accunode-prod-alb/*/*"]
    assert statements["RegisterTasks"]["Resource"] == [f"{base}:targetgroup/*/*"]
    assert statements["DescribeLoadBalancing"]["Resource"] == "*"  # Describe* has no resource-level permission
    assert all(action.startswith(("elasticloadbalancing:Describe", "elasticloadbalancing:Register",
                                  "elasticloadbalancing:Deregister", "elasticloadbalancing:Modify"))
               for s in statements.values() for action in s["Action"])
    assert not any("*" in action for s in statements.values() for action in s["Action"])


@pytest.mark.parametrize("repository", ["acme/*", "acme/app*", "-acme/app", "acme-/app", "ac--me/app", "acme/..",
                                        "acme/app/extra", "acme", "acme/", "/app", "a" * 40 + "/app"])
def test_every_trust_builder_and_the_settings_refuse_the_same_repositories(repository: str):
    from accunode.settings import SettingsError, validate_settings
    from accunode.specs.bootstrap import github_environment_subject

    with pytest.raises(ValueError):
        iam.github_subject(repository, "prod")
    with pytest.raises(ValueError):
        github_environment_subject(repository, "production")
    with pytest.raises(SettingsError, match="githubRepository"):
        validate_settings("d", {"environment": "dev", "owner": "platform", "githubRepository": repository})


def test_a_real_repository_passes_every_trust_builder():
    from accunode.specs.bootstrap import github_environment_subject

    assert iam.github_subject("acme-corp/accu.node_x", "prod") == "repo:acme-corp/accu.node_x:ref:refs/heads/prod"
    assert github_environment_subject("acme-corp/accu.node_x", "production").endswith(":environment:production")
