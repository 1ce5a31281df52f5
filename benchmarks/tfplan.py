"""A minimal translation of a captured stack into a Terraform plan JSON (``terraform show -json``), so
checkov's ``terraform_plan`` framework can scan the same resources: the yardstick of
benchmarks/bench_versus_checkov.py.

pulumi-aws is generated from the Terraform AWS provider, so a Pulumi type maps onto a Terraform type
(``aws:rds/instance:Instance`` -> ``aws_db_instance``) and camelCase properties onto snake_case
attributes; nested objects become one-element block lists as in a plan. The translation is a
yardstick for time, not a second policy engine: types outside the table fall back to
``aws_<module>_<name>`` (still parsed and scanned by checkov, perhaps by fewer checks).
"""

from __future__ import annotations

import json
import re
from typing import Any

from accunode.engine.graph import ResourceGraph, is_unknown, plain

# Pulumi type -> Terraform type where the generic rule (aws_<snake name>) is wrong.
TYPES = {
    "aws:rds/instance:Instance": "aws_db_instance", "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:elasticache/subnetGroup:SubnetGroup": "aws_elasticache_subnet_group",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb", "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group", "aws:ec2/eip:Eip": "aws_eip",
    "aws:ecs/cluster:Cluster": "aws_ecs_cluster", "aws:ecs/service:Service": "aws_ecs_service",
    "aws:ecs/taskDefinition:TaskDefinition": "aws_ecs_task_definition",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "aws_ecs_cluster_capacity_providers",
    "aws:ecr/repository:Repository": "aws_ecr_repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy":
        "aws_ecr_lifecycle_policy",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/dashboard:Dashboard": "aws_cloudwatch_dashboard",
    "aws:iam/role:Role": "aws_iam_role", "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:kms/key:Key": "aws_kms_key", "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:sns/topic:Topic": "aws_sns_topic", "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:sqs/queue:Queue": "aws_sqs_queue", "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    "aws:budgets/budget:Budget": "aws_budgets_budget",
    "aws:appautoscaling/policy:Policy": "aws_appautoscaling_policy",
    "aws:appautoscaling/target:Target": "aws_appautoscaling_target",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "random:index/randomId:RandomId": "random_id", "random:index/randomPassword:RandomPassword": "random_password",
}
# Attributes that are maps in Terraform (not blocks).
MAPS = {"tags", "tags_all", "variables", "environment", "dimensions", "parameters", "cost_filters"}


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def tf_type(pulumi_type: str) -> str:
    if pulumi_type in TYPES:
        return TYPES[pulumi_type]
    package, _, rest = pulumi_type.partition(":")
    name = rest.rsplit(":", 1)[-1]
    return f"{package}_{snake(name)}"


def tf_value(value: Any, key: str = "") -> Any:
    if is_unknown(value):
        return None
    if isinstance(value, dict):
        converted = {(k if key in MAPS else snake(k)): tf_value(v, snake(k)) for k, v in value.items()}
        return converted if key in MAPS or not key else [converted]
    if isinstance(value, list):
        return [tf_value(v, key) for v in value]
    return value


def plan(graph: ResourceGraph) -> dict[str, Any]:
    """A plan that creates every cloud resource of the graph."""
    resources, changes = [], []
    for resource in graph.custom_resources:
        type_ = tf_type(resource.type)
        name = re.sub(r"[^A-Za-z0-9_]", "_", resource.name)
        values = {snake(k): tf_value(v, snake(k)) for k, v in plain(resource.inputs).items()}
        address = f"{type_}.{name}"
        resources.append({"address": address, "mode": "managed", "type": type_, "name": name,
                          "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                          "values": values, "sensitive_values": {}})
        changes.append({"address": address, "mode": "managed", "type": type_, "name": name,
                        "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "before": None, "after": values, "after_unknown": {}}})
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": resources}}, "resource_changes": changes,
            "configuration": {"root_module": {"resources": []}}}


def write_plan(graph: ResourceGraph, path: Any) -> int:
    data = plan(graph)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return len(data["resource_changes"])
