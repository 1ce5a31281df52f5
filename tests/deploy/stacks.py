"""What the deploy tests read of a captured stack: its resources by type and their dependency closure."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from accunode.engine.capture import capture_stack
from accunode.engine.graph import Resource, ResourceGraph

BOOTSTRAP = Path(__file__).resolve().parents[2] / "bootstrap"

STACKS = ("prod", "staging", "dev")
ECS_SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
ECR_REPOSITORY = "aws:ecr/repository:Repository"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
RDS_INSTANCE = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"


@cache
def _bootstrap() -> ResourceGraph:
    return capture_stack("main", BOOTSTRAP)


def bootstrap_graph() -> ResourceGraph:
    """A private copy of the captured bootstrap stack (``bootstrap/Pulumi.main.yaml``)."""
    return copy.deepcopy(_bootstrap())


def direct_dependencies(resource: Resource) -> set[str]:
    """Every URN the engine orders this resource after: ``dependsOn`` and property dependencies."""
    return {*resource.dependencies, *(urn for urns in resource.property_dependencies.values() for urn in urns)}


def closure(graph: ResourceGraph, resource: Resource) -> list[Resource]:
    """Everything the resource waits for, transitively (as the engine orders creates)."""
    seen: set[str] = set()
    pending = list(direct_dependencies(resource))
    while pending:
        urn = pending.pop()
        if urn in seen:
            continue
        seen.add(urn)
        if (found := graph.get(urn)) is not None:
            pending += direct_dependencies(found)
    return [r for r in graph.resources if r.urn in seen]


def task_definition_of(graph: ResourceGraph, service: Resource) -> Resource:
    (urn,) = service.property_dependencies["taskDefinition"]
    task = graph.get(urn)
    assert task is not None and task.type == TASK_DEFINITION
    return task


def containers(task: Resource) -> list[dict[str, Any]]:
    return json.loads(task.props["containerDefinitions"])


def policy_documents(graph: ResourceGraph) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, document) of every IAM document the stack sends: trust, identity, bucket and key policies."""
    keys = {"aws:iam/role:Role": "assumeRolePolicy", "aws:iam/rolePolicy:RolePolicy": "policy",
            "aws:iam/policy:Policy": "policy", "aws:s3/bucketPolicy:BucketPolicy": "policy",
            "aws:kms/key:Key": "policy", "aws:sqs/queuePolicy:QueuePolicy": "policy",
            "aws:sns/topicPolicy:TopicPolicy": "policy", "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy"}
    for resource in graph.custom_resources:
        if resource.type in keys and isinstance(resource.props.get(keys[resource.type]), str):
            yield f"{graph.stack}:{resource.name}", json.loads(resource.props[keys[resource.type]])
