"""What exists once per AWS account (the ``bootstrap/`` project): names, and the CI role's documents.

The CI role is what ``.github/workflows/deploy.yml`` assumes to run ``pulumi preview``/``up``. It
can be assumed only by a job of one repository running in one GitHub environment (the OIDC subject
``repo:<owner>/<repo>:environment:<name>``, not a branch ref: a job in an environment gets the
environment subject). Its permissions are bounded to what the application stacks manage: the
services they use, in the stacks' region, IAM only on ``<prefix>-*`` roles, S3 only on
``<prefix>-*`` buckets, the state bucket and the secrets key; and it may never change the
bootstrap's own resources (the provider, itself, the state bucket's policy, the key's deletion).
"""

from __future__ import annotations

import re
from typing import Any

from accunode import awsrules
from accunode.specs.iam import (
    GITHUB_AUDIENCE,
    GITHUB_OIDC_HOST,
    VERSION,
    bucket_arn,
    oidc_provider_arn,
    role_arn,
)

PREFIX = "accunode"
CI_ROLE_NAME = f"{PREFIX}-ci"
SECRETS_KEY_ALIAS = f"alias/{PREFIX}-pulumi"
STATE_NONCURRENT_DAYS = 90
"""Old versions of state files are kept this long (the history a bad update can be rolled back to)."""
# Regional services the application stacks create resources in (components/ uses no other).
STACK_SERVICES = ("ec2", "elasticloadbalancing", "ecs", "ecr", "rds", "elasticache", "sqs", "sns", "logs",
                  "cloudwatch", "kms", "wafv2", "application-autoscaling")
# Service-linked roles AWS creates on first use of these services in an account.
SERVICE_LINKED = ("ecs.amazonaws.com", "elasticache.amazonaws.com", "rds.amazonaws.com",
                  "elasticloadbalancing.amazonaws.com", "ecs.application-autoscaling.amazonaws.com")
ROLE_MANAGEMENT = ("iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:TagRole",
                   "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy",
                   "iam:DeleteRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
                   "iam:ListInstanceProfilesForRole", "iam:ListRoleTags")
_ENVIRONMENT = re.compile(r"[A-Za-z0-9._-]{1,255}")


def state_bucket_name(account_id: str) -> str:
    return f"{PREFIX}-pulumi-state-{account_id}"


def backend_url(bucket: str) -> str:
    """What ``pulumi login`` takes (and ``PULUMI_BACKEND_URL`` holds) for the self-managed backend."""
    return f"s3://{bucket}"


def secrets_provider(region: str, alias: str = SECRETS_KEY_ALIAS) -> str:
    """What ``pulumi stack init --secrets-provider`` takes."""
    return f"awskms://{alias}?region={region}"


def environment_problem(environment: str) -> str | None:
    """Why ``environment`` cannot be the GitHub environment an OIDC subject names, or None."""
    if _ENVIRONMENT.fullmatch(environment):
        return None
    return f"{environment!r} is not a GitHub environment name (1-255 letters, digits, '.', '_', '-'; no wildcards)"


def github_environment_subject(repository: str, environment: str) -> str:
    if awsrules.github_repository_problem(repository) or environment_problem(environment):
        raise ValueError(f"repository {repository!r} and environment {environment!r} must be exact "
                         "(owner/name and an environment name, no wildcards)")
    return f"repo:{repository}:environment:{environment}"


def ci_trust_policy(account_id: str, repository: str, environment: str) -> dict[str, Any]:
    """Only jobs of one repository, running in one GitHub environment, with the STS audience."""
    return {"Version": VERSION, "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn(account_id)},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": GITHUB_AUDIENCE,
                                       f"{GITHUB_OIDC_HOST}:sub": github_environment_subject(repository, environment)}},
    }]}


def ci_state_policy(bucket: str, key_arn: str) -> dict[str, Any]:
    """Read and write the state objects; encrypt and decrypt stack secrets with the one key."""
    return {"Version": VERSION, "Statement": [
        {"Sid": "ListState", "Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
         "Resource": bucket_arn(bucket)},
        {"Sid": "ReadWriteState", "Effect": "Allow", "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
         "Resource": f"{bucket_arn(bucket)}/*"},
        {"Sid": "StackSecrets", "Effect": "Allow",
         "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"], "Resource": key_arn},
    ]}


def ci_stack_policy(account_id: str, region: str, state_bucket: str, prefix: str = PREFIX) -> dict[str, Any]:
    """What ``pulumi up`` of the application stacks needs, and no more than the stacks manage."""
    roles = role_arn(account_id, f"{prefix}-*")
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    return {"Version": VERSION, "Statement": [
        {"Sid": "StackServicesInRegion", "Effect": "Allow", "Action": [f"{s}:*" for s in STACK_SERVICES],
         "Resource": "*", "Condition": in_region},
        {"Sid": "StackParameters", "Effect": "Allow", "Action": "ssm:*",
         "Resource": f"arn:aws:ssm:{region}:{account_id}:parameter/{prefix}/*"},
        {"Sid": "DescribeParameters", "Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*",
         "Condition": in_region},
        {"Sid": "StackBuckets", "Effect": "Allow", "Action": "s3:*",
         "Resource": [bucket_arn(f"{prefix}-*"), f"{bucket_arn(f'{prefix}-*')}/*"]},
        {"Sid": "StackBudgets", "Effect": "Allow", "Action": ["budgets:ModifyBudget", "budgets:ViewBudget",
                                                               "budgets:ListTagsForResource",
                                                               "budgets:TagResource", "budgets:UntagResource"],
         "Resource": f"arn:aws:budgets::{account_id}:budget/{prefix}-*"},
        {"Sid": "StackRoles", "Effect": "Allow", "Action": list(ROLE_MANAGEMENT), "Resource": roles},
        {"Sid": "PassStackRoles", "Effect": "Allow", "Action": "iam:PassRole", "Resource": roles,
         # ecs.amazonaws.com: a progressive API names its traffic role in the service's load balancer block.
         "Condition": {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com",
                                                                "vpc-flow-logs.amazonaws.com"]}}},
        {"Sid": "ServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}}},
        {"Sid": "ReadGitHubProvider", "Effect": "Allow", "Action": "iam:GetOpenIDConnectProvider",
         "Resource": oidc_provider_arn(account_id)},
        # The bootstrap's own resources are out of the stacks' reach, even where a pattern above matches.
        {"Sid": "NotTheBootstrap", "Effect": "Deny",
         "Action": [*ROLE_MANAGEMENT, "iam:PassRole"], "Resource": role_arn(account_id, CI_ROLE_NAME)},
        {"Sid": "NotTheStateBucket", "Effect": "Deny",
         "Action": ["s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy", "s3:PutBucketVersioning",
                    "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration"],
         "Resource": bucket_arn(state_bucket)},
        {"Sid": "NotTheSecretsKey", "Effect": "Deny",
         "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "kms:DeleteAlias"],
         "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"kms:ResourceAliases": SECRETS_KEY_ALIAS}}},
    ]}
