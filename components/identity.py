"""Who may do what: the ECS execution role, the app's task role and the GitHub Actions deploy role.

The execution role is what ECS uses to start a task (pull our image, write our log groups, read
our SSM parameters); the task role is what the app's code may do (its model bucket, its parameters,
the work queue). They are separate roles. The deploy role is assumed by GitHub Actions through OIDC,
only from one repository and branch, and may only push our image, register task definitions, roll
our two services and pass our two task roles to ECS. With a progressive API release, the traffic
role is what ECS uses to move the listener rules' weights (``AmazonECSInfrastructureRolePolicyForLoadBalancers``'s
ALB actions, scoped to our load balancer). The documents come from ``accunode.specs.iam``.

Role names are explicit, and the ARNs handed to task definitions are derived from the role's name
output: known at preview, and still a dependency on the role.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import Output, ResourceOptions

from accunode import awsrules
from accunode.specs import iam
from accunode.specs.context import StackContext
from accunode.specs.iam import to_json


@dataclass(frozen=True)
class GitHubDeploy:
    repository: str
    """``owner/name``, exactly."""
    branch: str


@dataclass(frozen=True)
class IdentityArgs:
    context: StackContext
    repository_name: str
    log_group_names: Sequence[str]
    parameter_path: str
    bucket_name: str
    queue_name: str
    cluster_name: str
    service_names: Sequence[str]
    github: GitHubDeploy | None = None
    traffic_load_balancer: str | None = None
    """The ALB's name when the API releases progressively: ECS's role for shifting its listener rules."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"(/[A-Za-z0-9_.-]+)+", self.parameter_path):
            raise ValueError(f"parameter_path {self.parameter_path!r} must look like /accunode/<stack>")
        if len(f"{(prefix := self.context.name_prefix)}-task-execution") > awsrules.IAM_ROLE_NAME_MAX:
            raise ValueError(f"name_prefix {prefix!r} makes role names longer than IAM's 64 characters")
        if not self.log_group_names or not self.service_names:
            raise ValueError("log_group_names and service_names must not be empty")
        if self.github:
            iam.github_subject(self.github.repository, self.github.branch)  # raises on wildcards


class Identity(pulumi.ComponentResource):
    execution_role_name: str
    task_role_name: str
    execution_role_arn: Output[str]
    task_role_arn: Output[str]
    deploy_role_arn: Output[str] | None
    traffic_role_arn: Output[str] | None

    def __init__(self, name: str, args: IdentityArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:identity:Identity", name, None, opts)
        account, region, prefix = args.context.account_id, args.context.region, args.context.name_prefix
        child = ResourceOptions(parent=self)

        def role(role: str, trust: dict, policy: dict, description: str) -> aws.iam.Role:
            role_name = f"{prefix}-{role}"
            created = aws.iam.Role(f"{name}-{role}", name=role_name, description=description,
                                   assume_role_policy=to_json(trust), max_session_duration=3600,
                                   tags=args.context.tagged(role_name),
                                   opts=child)
            aws.iam.RolePolicy(f"{name}-{role}-policy", name=role_name, role=created.name, policy=to_json(policy),
                               opts=child)
            return created

        def arn_of(created: aws.iam.Role) -> Output[str]:
            return created.name.apply(lambda role_name: iam.role_arn(account, role_name))

        execution = role("task-execution", iam.ecs_execution_trust_policy(), iam.execution_role_policy(
            account, region, args.repository_name, args.log_group_names, args.parameter_path),
            "ECS starts AccuNode tasks: pull the image, write logs, read the stack's parameters")
        task = role("task", iam.ecs_tasks_trust_policy(account, region), iam.task_role_policy(
            account, region, args.bucket_name, args.parameter_path, args.queue_name),
            "The AccuNode app: its model bucket, its parameters and the work queue")
        self.execution_role_name, self.task_role_name = f"{prefix}-task-execution", f"{prefix}-task"
        self.execution_role_arn, self.task_role_arn = arn_of(execution), arn_of(task)

        self.traffic_role_arn = None
        if args.traffic_load_balancer:
            self.traffic_role_arn = arn_of(role(
                "ecs-traffic", iam.traffic_role_trust_policy(),
                iam.traffic_role_policy(account, region, args.traffic_load_balancer),
                f"ECS shifts AccuNode API traffic between target groups of {args.traffic_load_balancer}"))

        self.deploy_role_arn = None
        if args.github:
            # One provider per URL and account: read it (its ARN is derived from the URL), never create
            # it here. On an account that was not bootstrapped, the read fails the first preview.
            aws.iam.OpenIdConnectProvider.get(f"{name}-github-oidc", iam.oidc_provider_arn(account), opts=child)
            deploy = role("deploy", iam.github_trust_policy(account, args.github.repository, args.github.branch),
                          iam.deploy_role_policy(account, region, args.repository_name, args.cluster_name,
                                                 args.service_names,
                                                 [self.execution_role_name, self.task_role_name]),
                          f"GitHub Actions deploys from {args.github.repository}@{args.github.branch}")
            self.deploy_role_arn = arn_of(deploy)

        self.register_outputs({"executionRoleArn": self.execution_role_arn, "taskRoleArn": self.task_role_arn,
                               "deployRoleArn": self.deploy_role_arn, "trafficRoleArn": self.traffic_role_arn})
