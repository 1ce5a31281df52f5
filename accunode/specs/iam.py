"""IAM documents for the tasks, the GitHub deploy role and the buckets, built from plain names.

Every ARN is built from account, region and an explicit name, so the documents are fully known on a
first ``pulumi preview`` and the identity policies can check them. Each function returns a dict;
components serialise it with :func:`to_json`.

Where a statement must use ``"Resource": "*"`` it is because AWS offers no resource-level
permission for that action (noted at each one): ``ecr:GetAuthorizationToken`` and
``ecs:RegisterTaskDefinition`` / ``ecs:DescribeTaskDefinition``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from accunode import awsrules

VERSION = "2012-10-17"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"
ECS_SERVICE = "ecs.amazonaws.com"
# Elastic Load Balancing's log-delivery accounts for regions older than August 2022; newer regions
# accept only the service principal (AWS docs, "Enable access logs for your Application Load Balancer").
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "eu-west-1": "156460612806", "eu-central-1": "054676820928",
}
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"

ECR_PULL = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
ECR_PUSH = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
            "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart")
SQS_CONSUME_AND_SEND = ("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                        "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage")


# ---- ARNs from names ---------------------------------------------------------------------------
def role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{name}"


def oidc_provider_arn(account_id: str, host: str = GITHUB_OIDC_HOST) -> str:
    return f"arn:aws:iam::{account_id}:oidc-provider/{host}"


def ecr_repository_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:ecr:{region}:{account_id}:repository/{name}"


def log_group_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


def ssm_parameter_arn(account_id: str, region: str, name: str) -> str:
    """``name`` is the full parameter name (``/accunode/prod/database-url``) or a path with ``/*``."""
    return f"arn:aws:ssm:{region}:{account_id}:parameter/{name.lstrip('/')}"


def sqs_queue_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account_id}:{name}"


def sqs_queue_url(account_id: str, region: str, name: str) -> str:
    return f"https://sqs.{region}.amazonaws.com/{account_id}/{name}"


def ecs_service_arn(account_id: str, region: str, cluster: str, service: str) -> str:
    return f"arn:aws:ecs:{region}:{account_id}:service/{cluster}/{service}"


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def arn_account(arn: str) -> str | None:
    """The account field of an ARN (``arn:<partition>:<service>:<region>:<account>:...``), or None."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" and parts[4] else None


def certificate_account_problem(certificate_arn: str | None, account_id: str) -> str | None:
    """Why a listener in ``account_id`` cannot use this ACM certificate, or None.

    A load balancer accepts only a certificate of its own account (and region); the listener's
    create would fail half-way through the first ``pulumi up``.
    """
    if certificate_arn is None:
        return None
    owner = arn_account(certificate_arn)
    if owner == account_id:
        return None
    return (f"certificate {certificate_arn} belongs to account {owner}, but the stack deploys to account "
            f"{account_id}; a load balancer can only use an ACM certificate of its own account: request or import "
            f"it in {account_id} and set its ARN")


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True)


def _statement(sid: str, actions: Sequence[str], resources: Sequence[str] | str,
               condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(set(actions)),
                                 "Resource": resources if isinstance(resources, str) else list(resources)}
    if condition:
        statement["Condition"] = condition
    return statement


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def _ssm_key_statement(account_id: str, region: str, parameter_path_arn: str) -> dict[str, Any]:
    """Decrypt SecureStrings of our path only, through SSM only (the AWS-managed ``aws/ssm`` key).

    Parameter Store passes the parameter ARN as encryption context, so the grant covers this stack's
    parameters even though the managed key's id is not known in advance.
    """
    return _statement("DecryptOurParameters", ["kms:Decrypt"], [f"arn:aws:kms:{region}:{account_id}:key/*"], {
        "StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"},
        "StringLike": {"kms:EncryptionContext:PARAMETER_ARN": parameter_path_arn},
    })


# ---- ECS task roles ----------------------------------------------------------------------------
def ecs_tasks_trust_policy(account_id: str, region: str) -> dict[str, Any]:
    """The task role's trust: ECS tasks of this account and region (AWS's confused-deputy conditions)."""
    return _document({
        "Effect": "Allow", "Principal": {"Service": ECS_TASKS}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{region}:{account_id}:*"}},
    })


def ecs_execution_trust_policy() -> dict[str, Any]:
    """The execution role's trust, as AWS documents it: ECS tasks, no condition.

    AWS documents ``aws:SourceAccount``/``aws:SourceArn`` for the task role only; whether ECS sends
    them when it assumes the execution role is not documented, and a trust that does not match
    means no task can start. The execution role's permissions are scoped to our image, log groups
    and parameters instead.
    """
    return _document({"Effect": "Allow", "Principal": {"Service": ECS_TASKS}, "Action": "sts:AssumeRole"})


def execution_role_policy(account_id: str, region: str, repository_name: str, log_group_names: Sequence[str],
                          parameter_path: str) -> dict[str, Any]:
    """What ECS needs to start our tasks: pull our image, write our log groups, read our parameters."""
    if not log_group_names:
        raise ValueError("execution_role_policy needs at least one log group")
    path_arn = ssm_parameter_arn(account_id, region, f"{parameter_path.rstrip('/')}/*")
    # CreateLogStream is authorised on the log group, PutLogEvents on its streams.
    groups = [log_group_arn(account_id, region, name) for name in log_group_names]
    streams = [arn for group in groups for arn in (group, f"{group}:log-stream:*")]
    return _document(
        # No resource-level permission exists for GetAuthorizationToken: it must be "*".
        _statement("EcrToken", ["ecr:GetAuthorizationToken"], "*"),
        _statement("PullOurImage", ECR_PULL, [ecr_repository_arn(account_id, region, repository_name)]),
        _statement("WriteOurLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], streams),
        _statement("ReadOurParameters", ["ssm:GetParameters"], [path_arn]),
        _ssm_key_statement(account_id, region, path_arn),
    )


def task_role_policy(account_id: str, region: str, bucket_name: str, parameter_path: str,
                     queue_name: str) -> dict[str, Any]:
    """What the app itself may do: its model bucket, its parameters, and our work queue."""
    path_arn = ssm_parameter_arn(account_id, region, f"{parameter_path.rstrip('/')}/*")
    path_root = ssm_parameter_arn(account_id, region, parameter_path.rstrip("/"))
    return _document(
        _statement("ListModelBucket", ["s3:ListBucket"], [bucket_arn(bucket_name)]),
        _statement("ReadWriteModels", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                   [f"{bucket_arn(bucket_name)}/*"]),
        _statement("ReadOurParameters", ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                   [path_root, path_arn]),
        _ssm_key_statement(account_id, region, path_arn),
        _statement("UseWorkQueue", SQS_CONSUME_AND_SEND, [sqs_queue_arn(account_id, region, queue_name)]),
    )


# ---- VPC flow logs -----------------------------------------------------------------------------
FLOW_LOGS = "vpc-flow-logs.amazonaws.com"
# What AWS lists for flow-log delivery to CloudWatch Logs (the group itself exists already).
FLOW_LOG_WRITE = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")


def flow_logs_trust_policy(account_id: str, region: str) -> dict[str, Any]:
    """Only the flow-logs service, acting for flow logs of this account and region, may assume the role."""
    return _document({
        "Effect": "Allow", "Principal": {"Service": FLOW_LOGS}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{region}:{account_id}:vpc-flow-log/*"}},
    })


def flow_logs_policy(log_group_arn: str) -> dict[str, Any]:
    """Write the one flow-log group and its streams; ``logs:DescribeLogGroups``, which AWS lists as
    required, has no resource-level permission."""
    return _document(
        _statement("DescribeLogGroups", ["logs:DescribeLogGroups"], "*"),
        _statement("WriteFlowLogs", FLOW_LOG_WRITE, [log_group_arn, f"{log_group_arn}:*"]),
    )


# ---- GitHub Actions deploy role ----------------------------------------------------------------
def github_subject(repository: str, branch: str) -> str:
    if awsrules.github_repository_problem(repository) or "*" in branch:
        raise ValueError(f"repository {repository!r} and branch {branch!r} must be exact (owner/name, no wildcards)")
    return f"repo:{repository}:ref:refs/heads/{branch}"


def github_trust_policy(account_id: str, repository: str, branch: str) -> dict[str, Any]:
    """Only workflows of one repository, on one branch, with the STS audience, may assume the role."""
    return _document({
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn(account_id)},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": github_subject(repository, branch)}},
    })


def deploy_role_policy(account_id: str, region: str, repository_name: str, cluster_name: str,
                       service_names: Sequence[str], pass_role_names: Sequence[str]) -> dict[str, Any]:
    """Push our image, register a task definition, roll our services, and pass only our task roles."""
    if not service_names or not pass_role_names:
        raise ValueError("deploy_role_policy needs the services it may update and the roles it may pass")
    return _document(
        _statement("EcrToken", ["ecr:GetAuthorizationToken"], "*"),  # no resource-level permission
        _statement("PushOurImage", ECR_PUSH, [ecr_repository_arn(account_id, region, repository_name)]),
        # RegisterTaskDefinition and DescribeTaskDefinition support no resource-level permission.
        _statement("TaskDefinitions", ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition"], "*"),
        _statement("RollOurServices", ["ecs:UpdateService", "ecs:DescribeServices"],
                   [ecs_service_arn(account_id, region, cluster_name, s) for s in service_names]),
        _statement("PassOurTaskRoles", ["iam:PassRole"], [role_arn(account_id, r) for r in pass_role_names],
                   {"StringEquals": {"iam:PassedToService": ECS_TASKS}}),
    )


# ---- the ECS infrastructure role for load balancers (progressive deployments) -------------
def traffic_role_trust_policy() -> dict[str, Any]:
    """ECS assumes the role, as AWS documents it (``ecs.amazonaws.com``, no condition: whether ECS
    sends ``aws:SourceAccount`` here is not documented, and a trust that does not match stops every
    deployment)."""
    return _document({
        "Sid": "EcsShiftsTraffic", "Effect": "Allow", "Principal": {"Service": ECS_SERVICE},
        "Action": "sts:AssumeRole"})


def traffic_role_policy(account_id: str, region: str, load_balancer_name: str) -> dict[str, Any]:
    """The actions of AWS's ``AmazonECSInfrastructureRolePolicyForLoadBalancers`` that an ALB
    deployment uses, scoped to our load balancer's listeners and rules.

    The managed policy allows ModifyListener/ModifyRule on every load balancer of every account the
    role can reach; here they name our ALB. Register/DeregisterTargets stay on this account's and
    region's target groups: the groups are auto-named (a replacement creates before it deletes), so
    their ARNs are not known at preview. The Describe actions have no resource-level permission.
    """
    base = f"arn:aws:elasticloadbalancing:{region}:{account_id}"
    return _document(
        _statement("DescribeLoadBalancing", ["elasticloadbalancing:DescribeListeners",
                                             "elasticloadbalancing:DescribeRules",
                                             "elasticloadbalancing:DescribeTargetGroups",
                                             "elasticloadbalancing:DescribeTargetHealth"], "*"),
        _statement("RegisterTasks", ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                   [f"{base}:targetgroup/*/*"]),
        _statement("ShiftOurListener", ["elasticloadbalancing:ModifyListener"],
                   [f"{base}:listener/app/{load_balancer_name}/*/*"]),
        _statement("ShiftOurRules", ["elasticloadbalancing:ModifyRule"],
                   [f"{base}:listener-rule/app/{load_balancer_name}/*/*/*"]),
    )


# ---- Buckets -----------------------------------------------------------------------------------
def _deny_insecure_transport(bucket: str) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket_arn(bucket), f"{bucket_arn(bucket)}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def tls_only_bucket_policy(bucket: str) -> dict[str, Any]:
    return _document(_deny_insecure_transport(bucket))


def alb_log_bucket_policy(bucket: str, account_id: str, region: str, prefix: str = "alb") -> dict[str, Any]:
    """ELB may write access logs under ``<prefix>/AWSLogs/<account>/``; nothing else is granted."""
    objects = f"{bucket_arn(bucket)}/{prefix}/AWSLogs/{account_id}/*"
    statements = [{"Sid": "LogDeliveryService", "Effect": "Allow", "Principal": {"Service": ELB_LOG_DELIVERY},
                   "Action": "s3:PutObject", "Resource": objects}]
    if region in ELB_LOG_ACCOUNTS:
        statements.append({"Sid": "LogDeliveryAccount", "Effect": "Allow",
                           "Principal": {"AWS": f"arn:aws:iam::{ELB_LOG_ACCOUNTS[region]}:root"},
                           "Action": "s3:PutObject", "Resource": objects})
    return _document(*statements, _deny_insecure_transport(bucket))


def kms_alarm_topic_key_policy(account_id: str) -> dict[str, Any]:
    """Key policy for the alarm topic's key: the account administers it; CloudWatch may publish.

    The AWS-managed ``alias/aws/sns`` key cannot be used here: its policy is fixed and does not let
    CloudWatch alarms use it, so notifications to a topic encrypted with it are silently dropped.
    """
    return _document(
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchPublishes", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": account_id}}},
    )
