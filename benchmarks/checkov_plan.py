"""Translate a captured stack into a Terraform plan JSON that checkov can scan.

pulumi-aws is bridged from the Terraform AWS provider, so a resource's inputs are the Terraform
resource's arguments in camelCase: ``aws:rds/instance:Instance`` with ``storageEncrypted`` becomes
``aws_db_instance`` with ``storage_encrypted``. Nested objects become one-element lists (Terraform
blocks), JSON strings stay strings. Types the program does not use are skipped.

    venv/bin/python benchmarks/checkov_plan.py prod > /tmp/plan.json
    checkov -f /tmp/plan.json --framework terraform_plan --compact --quiet -o json > /tmp/checkov.json
    venv/bin/python benchmarks/checkov_plan.py --failed /tmp/checkov.json     # one line per failing check

Property dependencies become Terraform references, so checkov's graph checks (flow log of a VPC,
public access block of a bucket) see the same links the security pack follows.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from accunode.engine.capture import capture_stack

ROOT = Path(__file__).resolve().parents[1]
# Pulumi token -> Terraform type, where the name does not follow from the token.
TERRAFORM_TYPES = {
    "aws:rds/instance:Instance": "aws_db_instance", "aws:rds/subnetGroup:SubnetGroup": "aws_db_subnet_group",
    "aws:rds/parameterGroup:ParameterGroup": "aws_db_parameter_group",
    "aws:elasticache/replicationGroup:ReplicationGroup": "aws_elasticache_replication_group",
    "aws:elasticache/subnetGroup:SubnetGroup": "aws_elasticache_subnet_group",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb", "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group", "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    "aws:cloudwatch/dashboard:Dashboard": "aws_cloudwatch_dashboard", "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/eip:Eip": "aws_eip", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        "aws_vpc_security_group_ingress_rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:appautoscaling/policy:Policy": "aws_appautoscaling_policy",
    "aws:appautoscaling/target:Target": "aws_appautoscaling_target", "aws:budgets/budget:Budget": "aws_budgets_budget",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "aws_iam_openid_connect_provider",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
}
# Pulumi pluralises repeated Terraform blocks (``defaultActions`` is ``default_action``).
BLOCKS = {"default_actions": "default_action", "actions": "action", "conditions": "condition",
          "parameters": "parameter", "rules": "rule", "encryption_configurations": "encryption_configuration",
          "log_delivery_configurations": "log_delivery_configuration", "settings": "setting",
          "load_balancers": "load_balancer", "capacity_provider_strategies": "capacity_provider_strategy",
          "default_capacity_provider_strategies": "default_capacity_provider_strategy",
          "step_scaling_policy_configurations": "step_scaling_policy_configuration", "metric_queries": "metric_query",
          "transitions": "transition", "expirations": "expiration", "filters": "filter", "volumes": "volume",
          "subscribers": "subscriber", "notifications": "notification"}
JSON_KEYS = {"policy", "assume_role_policy", "container_definitions", "dashboard_body", "redrive_policy",
             "redrive_allow_policy"}


def terraform_type(token: str) -> str | None:
    if not token.startswith("aws:"):
        return None
    if token in TERRAFORM_TYPES:
        return TERRAFORM_TYPES[token]
    module, name = token.split(":")[1].split("/")[0], token.rsplit(":", 1)[1]
    return f"aws_{snake(name)}" if module == "ec2" else f"aws_{module}_{snake(name)}"  # aws_subnet, aws_route


def snake(name: str) -> str:
    key = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    return BLOCKS.get(key, key)


def terraform_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"4dabf18193072939515e22adb298388d", "value"}:
            return terraform_value(key, value["value"])  # a secret: its plain value
        if key in ("tags", "tags_all", "variables", "options"):
            return value
        return [{snake(k): terraform_value(snake(k), v) for k, v in value.items()}]
    if isinstance(value, list):
        return [terraform_value(key, v)[0] if isinstance(v, dict) and key not in JSON_KEYS else v for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def plan(stack: str) -> dict[str, Any]:
    graph = capture_stack(stack, ROOT, preview=False)
    addresses = {}
    for resource in graph.resources:
        kind = terraform_type(resource.type)
        if kind is not None and resource.custom:
            addresses[resource.urn] = (kind, re.sub(r"[^A-Za-z0-9_]", "_", resource.name))
    resources, configuration = [], []
    for resource in graph.resources:
        if resource.urn not in addresses:
            continue
        kind, name = addresses[resource.urn]
        values = {snake(k): terraform_value(snake(k), v) for k, v in resource.inputs.items()}
        resources.append({"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name,
                          "provider_name": "registry.terraform.io/hashicorp/aws", "values": values})
        # property dependencies become Terraform references, so checkov's graph checks see the links
        expressions = {snake(key): {"references": [ref for urn in urns if urn in addresses
                                                   for ref in (f"{'.'.join(addresses[urn])}.id",
                                                               ".".join(addresses[urn]))]}
                       for key, urns in resource.property_dependencies.items()}
        configuration.append({"address": f"{kind}.{name}", "mode": "managed", "type": kind, "name": name,
                              "expressions": expressions})
    return {"format_version": "1.2", "terraform_version": "1.9.0",
            "planned_values": {"root_module": {"resources": resources}},
            "configuration": {"root_module": {"resources": configuration}}}


def failed(report: Path) -> list[str]:
    """``check id | name | resources`` for every failing check of a ``checkov -o json`` report."""
    data = json.loads(report.read_text())
    checks: dict[tuple[str, str], set[str]] = {}
    for run in data if isinstance(data, list) else [data]:
        for check in run["results"]["failed_checks"]:
            checks.setdefault((check["check_id"], check["check_name"]), set()).add(check["resource"])
    return [f"{cid} | {name} | {', '.join(sorted(resources))}" for (cid, name), resources in sorted(checks.items())]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--failed"]:
        print("\n".join(failed(Path(sys.argv[2]))))
    else:
        json.dump(plan(sys.argv[1] if len(sys.argv) > 1 else "prod"), sys.stdout, indent=1)
