"""One Fargate service: its log group, task definition, ECS service and autoscaling.

Used twice: the API (behind the load balancer's target group, scaled on CPU) and the worker (no
inbound traffic, scaled on queue depth, optionally on Fargate Spot). Tasks run in private subnets
without public IPs; containers are hardened by ``accunode.specs.containers`` and their definitions
are built from plain values, so the whole task definition is known at preview.

Deployments roll back on their own: the circuit breaker catches tasks that never become healthy,
and the service's rollback alarms (ALB 5xx rate, unhealthy targets, p95 latency) catch a release
that starts but misbehaves. The worker rolls; the API can release blue/green, canary or linear
(``accunode.specs.deployment``): ECS starts the new revision in the alternate target group, shifts
the listener rules' weights with the traffic role and keeps the old revision through the bake,
when an alarm sends traffic back at once. Autoscaling owns the running count, so ``desiredCount``
is ignored after creation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from accunode import catalog
from accunode.awsrules import LOG_RETENTION_DAYS
from accunode.specs.containers import TMP_VOLUME, ContainerSpec, container_definitions, image_uri
from accunode.specs.context import StackContext
from accunode.specs.deployment import DeploymentSpec, deployment_configuration
from accunode.specs.scaling import SCALABLE_DIMENSION, CpuScaling, QueueScaling, resource_id
from components.network import SubnetSet

ARCHITECTURES = {"x86_64": "X86_64", "arm64": "ARM64"}


def log_group_name(service_name: str) -> str:
    return f"/ecs/{service_name}"


@dataclass(frozen=True)
class TrafficShift:
    """What ECS shifts a progressive deployment between (``load_balancers[].advanced_configuration``)."""

    alternate_target_group_arn: Input[str]
    production_listener_rule_arn: Input[str]
    test_listener_rule_arn: Input[str]
    role_arn: Input[str]
    """The ECS infrastructure role for load balancers (components/identity.py)."""


@dataclass(frozen=True)
class FargateServiceArgs:
    context: StackContext
    service_name: str
    """Physical name of the service, task family and log group suffix, e.g. ``accunode-prod-api``."""
    container_name: str
    cluster_name: Input[str]
    repository_name: str
    image_tag: str
    subnets: SubnetSet
    security_group_ids: Sequence[Input[str]]
    execution_role_arn: Input[str]
    task_role_arn: Input[str]
    cpu: int
    memory: int
    desired_count: int
    scaling: CpuScaling | QueueScaling | None = None
    cpu_architecture: Literal["x86_64", "arm64"] = "x86_64"
    container_port: int | None = None
    target_group_arn: Input[str] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Environment variable -> SSM parameter ARN, injected by ECS at start."""
    command: Sequence[str] | None = None
    spot: bool = False
    rollback_alarm_names: Sequence[str] = ()
    deployment: DeploymentSpec = field(default_factory=DeploymentSpec)
    """Rolling (the default) or a progressive strategy, which needs ``traffic``."""
    traffic: TrafficShift | None = None
    log_retention_days: int = 30
    health_check_grace_seconds: int = 60
    starts_after: Sequence[pulumi.Resource] = ()
    """What must exist before the ECS service starts tasks: the image (or its registry), the SSM
    parameters in ``secrets`` and what they point at (database, cache), the listener, the rollback
    alarms. The task definition names them by plain strings, which create no dependency."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9-]{0,254}", self.service_name):
            raise ValueError(f"service_name {self.service_name!r} must be lower-case letters, digits and '-'")
        if self.subnets.tier != "private":
            raise ValueError(f"tasks run in private subnets, got {self.subnets.tier} subnets")
        if not self.security_group_ids:
            raise ValueError("security_group_ids must name the service's group")
        if not catalog.fargate_size_is_valid(self.cpu, self.memory):
            raise ValueError(f"cpu {self.cpu} / memory {self.memory} is not a Fargate task size; allowed: "
                             f"{catalog.describe_fargate_sizes()}")
        if self.cpu_architecture not in ARCHITECTURES:
            raise ValueError(f"cpu_architecture {self.cpu_architecture!r} must be x86_64 or arm64")
        if self.spot and self.cpu_architecture == "arm64":
            raise ValueError("Fargate Spot does not run ARM64 tasks; use x86_64 or turn spot off")
        if (self.target_group_arn is None) != (self.container_port is None):
            raise ValueError("target_group_arn and container_port go together (a service behind the load balancer)")
        if self.deployment.progressive and (self.traffic is None or self.target_group_arn is None):
            raise ValueError(f"strategy {self.deployment.strategy} shifts load balancer traffic: it needs "
                             "target_group_arn and traffic (alternate target group, listener rules, role)")
        if self.traffic is not None and not self.deployment.progressive:
            raise ValueError("traffic is only used by a blue-green, canary or linear deployment")
        if self.deployment.progressive and not self.rollback_alarm_names:
            raise ValueError(f"strategy {self.deployment.strategy} needs rollback_alarm_names: without an alarm the "
                             "bake cannot catch a bad release")
        if self.scaling and not self.scaling.min_capacity <= self.desired_count <= self.scaling.max_capacity:
            raise ValueError(f"desired_count {self.desired_count} is outside the scaling range "
                             f"{self.scaling.min_capacity}-{self.scaling.max_capacity}")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days {self.log_retention_days} is not a CloudWatch retention period")
        # Validate the container now, before any resource exists.
        self.container()

    @property
    def log_group_name(self) -> str:
        return log_group_name(self.service_name)

    def container(self) -> ContainerSpec:
        context = self.context
        return ContainerSpec(
            name=self.container_name, image=image_uri(context.account_id, context.region, self.repository_name,
                                                      self.image_tag),
            log_group=self.log_group_name, region=context.region, port=self.container_port,
            environment=self.environment, secrets=self.secrets, command=self.command)


class FargateService(pulumi.ComponentResource):
    service_name: str
    log_group_name: str
    task_definition_arn: Output[str]

    def __init__(self, name: str, args: FargateServiceArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:compute:FargateService", name, None, opts)
        child = ResourceOptions(parent=self)
        tags = args.context.tagged(args.service_name)

        logs = aws.cloudwatch.LogGroup(f"{name}-logs", name=args.log_group_name,
                                       retention_in_days=args.log_retention_days, tags=tags, opts=child)
        task = aws.ecs.TaskDefinition(
            f"{name}-task", family=args.service_name, network_mode="awsvpc", requires_compatibilities=["FARGATE"],
            cpu=str(args.cpu), memory=str(args.memory),
            runtime_platform={"operating_system_family": "LINUX",
                              "cpu_architecture": ARCHITECTURES[args.cpu_architecture]},
            execution_role_arn=args.execution_role_arn, task_role_arn=args.task_role_arn,
            container_definitions=container_definitions(args.container()),
            volumes=[{"name": TMP_VOLUME}], tags=tags, opts=child)

        placement = ({"capacity_provider_strategies": [{"capacity_provider": "FARGATE_SPOT", "weight": 1}]}
                     if args.spot else {"launch_type": "FARGATE"})
        balanced = args.target_group_arn is not None
        service = aws.ecs.Service(
            f"{name}-service", name=args.service_name, cluster=args.cluster_name, task_definition=task.arn,
            desired_count=args.desired_count, **placement, platform_version="LATEST",
            network_configuration={"subnets": list(args.subnets.ids), "security_groups": list(args.security_group_ids),
                                   "assign_public_ip": False},
            load_balancers=[self._load_balancer(args)] if balanced else None,
            deployment_configuration=deployment_configuration(args.deployment),
            health_check_grace_period_seconds=args.health_check_grace_seconds if balanced else None,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            alarms={"alarm_names": list(args.rollback_alarm_names), "enable": True, "rollback": True}
            if args.rollback_alarm_names else None,
            deployment_minimum_healthy_percent=100, deployment_maximum_percent=200,
            enable_ecs_managed_tags=True, propagate_tags="SERVICE", enable_execute_command=False, tags=tags,
            opts=ResourceOptions(parent=self, depends_on=[logs, *args.starts_after],
                                 ignore_changes=self._ignored(args) or None))
        if args.scaling:
            self._scale(name, args, args.scaling, service)

        self.service_name = args.service_name
        self.log_group_name = args.log_group_name
        self.task_definition_arn = task.arn
        self.register_outputs({"serviceName": service.name, "logGroupName": logs.name,
                               "taskDefinitionArn": task.arn})

    @staticmethod
    def _ignored(args: FargateServiceArgs) -> list[str]:
        ignored = ["desiredCount"] if args.scaling else []
        if args.traffic is not None:
            # ECS swaps the primary and alternate target groups after each progressive release; sending the
            # declared pair back on the next update would undo that (terraform-provider-aws#45678, open).
            ignored.append("loadBalancers")
        return ignored

    @staticmethod
    def _load_balancer(args: FargateServiceArgs) -> dict[str, Any]:
        block: dict[str, Any] = {"target_group_arn": args.target_group_arn, "container_name": args.container_name,
                                 "container_port": args.container_port}
        if args.traffic is not None:
            block["advanced_configuration"] = {
                "alternate_target_group_arn": args.traffic.alternate_target_group_arn,
                "production_listener_rule": args.traffic.production_listener_rule_arn,
                "test_listener_rule": args.traffic.test_listener_rule_arn, "role_arn": args.traffic.role_arn}
        return block

    def _scale(self, name: str, args: FargateServiceArgs, scaling: CpuScaling | QueueScaling,
               service: aws.ecs.Service) -> None:
        target = aws.appautoscaling.Target(
            f"{name}-scaling-target", service_namespace="ecs", scalable_dimension=SCALABLE_DIMENSION,
            resource_id=Output.from_input(args.cluster_name).apply(lambda c: resource_id(c, args.service_name)),
            min_capacity=scaling.min_capacity, max_capacity=scaling.max_capacity, tags=dict(args.context.tags),
            opts=ResourceOptions(parent=self, depends_on=[service]))
        common = {"service_namespace": target.service_namespace, "scalable_dimension": target.scalable_dimension,
                  "resource_id": target.resource_id}
        if isinstance(scaling, CpuScaling):
            aws.appautoscaling.Policy(f"{name}-cpu-scaling", name=f"{args.service_name}-cpu",
                                      policy_type="TargetTrackingScaling",
                                      target_tracking_scaling_policy_configuration=scaling.policy(),
                                      **common, opts=ResourceOptions(parent=self))
            return
        for step in scaling.steps():
            policy = aws.appautoscaling.Policy(
                f"{name}-queue-scale-{step.direction}", name=f"{args.service_name}-queue-scale-{step.direction}",
                policy_type="StepScaling", step_scaling_policy_configuration=scaling.policy(step), **common,
                opts=ResourceOptions(parent=self))
            aws.cloudwatch.MetricAlarm(
                f"{name}-queue-scale-{step.direction}-alarm", name=f"{args.service_name}-queue-scale-{step.direction}",
                alarm_actions=[policy.arn], tags=dict(args.context.tags), **scaling.alarm(step),
                opts=ResourceOptions(parent=self))
