"""ECS container definitions, built from plain values so the JSON is fully known at preview.

A task definition whose ``containerDefinitions`` depends on an unknown output (a log group's name,
a repository URL, a parameter's ARN) is a single unknown string on a first ``pulumi preview``, and
no policy can check its user, filesystem or secrets. Every field here is a name or an ARN built
from account, region and an explicit name instead.

The containers are hardened by construction: a non-root user, a read-only root filesystem with a
writable ``/tmp`` volume, never privileged, secrets only through ``secrets`` (``valueFrom`` an SSM
parameter ARN) and logs to a named CloudWatch log group.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accunode import awsrules

NON_ROOT_USER = "1000:1000"
TMP_VOLUME = "tmp"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def image_uri(account_id: str, region: str, repository_name: str, tag: str) -> str:
    return f"{account_id}.dkr.ecr.{region}.amazonaws.com/{repository_name}:{tag}"


@dataclass(frozen=True)
class ContainerSpec:
    name: str
    image: str
    log_group: str
    region: str
    port: int | None = None
    """The port the load balancer targets; None for a container that takes no traffic."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain settings only. A secret belongs in ``secrets``."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Environment variable name -> SSM parameter ARN."""
    command: Sequence[str] | None = None
    health_check_command: Sequence[str] | None = None
    user: str = NON_ROOT_USER

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}", self.name):
            raise ValueError(f"container name {self.name!r} must be letters, digits, '-' and '_'")
        if self.user.split(":")[0] in ("", "0", "root"):
            raise ValueError(f"user {self.user!r} is root; containers run as a non-root uid:gid such as 1000:1000")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a TCP port")
        for name in (*self.environment, *self.secrets):
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"environment variable name {name!r} is not valid")
        if overlap := sorted(set(self.environment) & set(self.secrets)):
            raise ValueError(f"{', '.join(overlap)} set both as plain environment and as secret")
        for name, arn in self.secrets.items():
            if not awsrules.SSM_PARAMETER_ARN.fullmatch(arn):
                raise ValueError(f"secret {name} must come from an SSM parameter ARN, got {arn!r}")


def container_definition(spec: ContainerSpec) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": spec.name,
        "image": spec.image,
        "essential": True,
        "user": spec.user,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "mountPoints": [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}],  # noqa: S108  # nosec B108
        "environment": [{"name": k, "value": v} for k, v in sorted(spec.environment.items())],
        "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(spec.secrets.items())],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": spec.log_group, "awslogs-region": spec.region, "awslogs-stream-prefix": spec.name}},
        "portMappings": [] if spec.port is None else [
            {"containerPort": spec.port, "hostPort": spec.port, "protocol": "tcp"}],
    }
    if spec.command:
        definition["command"] = list(spec.command)
    if spec.health_check_command:
        definition["healthCheck"] = {"command": list(spec.health_check_command), "interval": 30, "timeout": 5,
                                     "retries": 3, "startPeriod": 60}
    return definition


def container_definitions(*specs: ContainerSpec) -> str:
    """The task definition's ``containerDefinitions`` JSON string."""
    if not specs:
        raise ValueError("a task needs at least one container")
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"container names must be unique, got {names}")
    return json.dumps([container_definition(spec) for spec in specs], sort_keys=True)
