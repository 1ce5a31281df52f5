"""The fake cloud of an offline run: invoke answers and the ids, ARNs and computed outputs AWS
would give new resources, deterministic per (type, name).

The invoke answers (account id, region, zones) are :class:`OfflineValues`, configurable per run
(``accunode:offline`` is not a key; the preview takes them from flags) and named in the preview's
output as offline values so nobody mistakes them for the account's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACCOUNT_ID = "123456789012"
AVAILABILITY_ZONES = ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d")


@dataclass(frozen=True)
class OfflineValues:
    """What the offline engine answers for the account-dependent invokes."""

    account_id: str = ACCOUNT_ID
    zones: tuple[str, ...] = ()  # empty: the region's a-d zones
    region: str = ""  # empty: the stack's aws:region

    def zones_for(self, region: str) -> list[str]:
        return list(self.zones) or [z.replace("us-east-1", region) for z in AVAILABILITY_ZONES]

    def describe(self, region: str) -> str:
        return (f"account {self.account_id}, region {self.region or region}, "
                f"zones {', '.join(self.zones_for(self.region or region))}")


# --------------------------------------------------------------------------------------------
# Fake cloud: ids, ARNs and computed outputs that look like AWS's
# --------------------------------------------------------------------------------------------
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat", "aws:ec2/eip:Eip": "eipalloc", "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc", "aws:ec2/route:Route": "r-rtb",
    "aws:ec2/securityGroup:SecurityGroup": "sg", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/flowLog:FlowLog": "fl", "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:wafv2/webAcl:WebAcl": "", "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "",
}
# Resources whose id is their (explicit) name, and the input that holds it.
_NAME_AS_ID = {
    "aws:rds/instance:Instance": "identifier", "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:rds/parameterGroup:ParameterGroup": "name",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:elasticache/subnetGroup:SubnetGroup": "name", "aws:elasticache/parameterGroup:ParameterGroup": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name", "aws:cloudwatch/metricAlarm:MetricAlarm": "name",
    "aws:cloudwatch/dashboard:Dashboard": "dashboardName", "aws:ecr/repository:Repository": "name",
    "aws:ssm/parameter:Parameter": "name", "aws:iam/role:Role": "name", "aws:iam/policy:Policy": "name",
    "aws:ecs/cluster:Cluster": "name", "aws:s3/bucket:Bucket": "bucket", "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:sns/topic:Topic": "name", "aws:budgets/budget:Budget": "name", "aws:lb/loadBalancer:LoadBalancer": "name",
    "aws:lb/targetGroup:TargetGroup": "name", "aws:sqs/queue:Queue": "name",
}
_ARN_SERVICE = {
    "ec2": "ec2", "rds": "rds", "elasticache": "elasticache", "cloudwatch": "logs", "ecr": "ecr", "ssm": "ssm",
    "iam": "iam", "ecs": "ecs", "s3": "s3", "sns": "sns", "sqs": "sqs", "lb": "elasticloadbalancing",
    "wafv2": "wafv2", "budgets": "budgets", "kms": "kms", "appautoscaling": "application-autoscaling",
    "vpc": "ec2", "secretsmanager": "secretsmanager",
}


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def fake_id(type_: str, name: str, inputs: Mapping[str, Any], account: str = ACCOUNT_ID) -> str:
    if type_ in _NAME_AS_ID and isinstance(inputs.get(_NAME_AS_ID[type_]), str):
        return inputs[_NAME_AS_ID[type_]]
    if type_ == "aws:ecs/service:Service" and isinstance(inputs.get("name"), str):
        return f"arn:aws:ecs:{{region}}:{account}:service/{inputs.get('cluster', 'cluster')}/{inputs['name']}"
    prefix = _ID_PREFIX.get(type_)
    if prefix:
        return f"{prefix}-{_hex(type_, name)}"
    return f"{name}-{_hex(type_, name, length=8)}"


def fake_outputs(type_: str, name: str, id_: str, inputs: Mapping[str, Any], region: str,
                 account: str = ACCOUNT_ID) -> dict[str, Any]:
    """Computed outputs AWS would return, deterministic per (type, name)."""
    module = type_.split(":")[1].split("/")[0] if type_.count(":") == 2 else ""
    service = _ARN_SERVICE.get(module, module)
    resource_name = str(inputs.get("name") or id_)
    out: dict[str, Any] = {"id": id_}
    if not type_.startswith("aws:"):
        pass
    elif id_.startswith("arn:"):
        out["arn"] = id_
    elif service == "iam":
        kind = type_.rsplit(":", 1)[1].lower()
        out["arn"] = f"arn:aws:iam::{account}:{'oidc-provider/' + str(inputs.get('url', '')).removeprefix('https://') if 'openid' in kind else kind + '/' + resource_name}"  # noqa: E501
    elif service == "s3":
        out["arn"] = f"arn:aws:s3:::{id_}"
    elif service:
        out["arn"] = f"arn:aws:{service}:{region}:{account}:{_arn_resource(type_, id_, resource_name)}"
    extra: dict[str, Any] = {
        "aws:rds/instance:Instance": {"address": f"{id_}.c{_hex(id_, length=11)}.{region}.rds.amazonaws.com",
                                      "endpoint": f"{id_}.c{_hex(id_, length=11)}.{region}.rds.amazonaws.com:5432",
                                      "port": 5432, "resourceId": f"db-{_hex(id_, length=26).upper()}"},
        "aws:elasticache/replicationGroup:ReplicationGroup": {
            "primaryEndpointAddress": f"master.{id_}.{_hex(id_, length=6)}.use1.cache.amazonaws.com",
            "readerEndpointAddress": f"replica.{id_}.{_hex(id_, length=6)}.use1.cache.amazonaws.com",
            "port": 6379},
        "aws:lb/loadBalancer:LoadBalancer": {
            "dnsName": f"{resource_name}-{int(_hex(id_, length=8), 16) % 10**9}.{region}.elb.amazonaws.com",
            "arnSuffix": f"app/{resource_name}/{_hex(id_, length=16)}", "zoneId": "Z35SXDOTRQ7X7K"},
        "aws:lb/targetGroup:TargetGroup": {"arnSuffix": f"targetgroup/{resource_name}/{_hex(id_, length=16)}"},
        "aws:ecr/repository:Repository": {
            "repositoryUrl": f"{account}.dkr.ecr.{region}.amazonaws.com/{id_}", "registryId": account},
        "aws:sqs/queue:Queue": {"url": f"https://sqs.{region}.amazonaws.com/{account}/{resource_name}"},
        "aws:ecs/taskDefinition:TaskDefinition": {"revision": 1},
        "random:index/randomPassword:RandomPassword": {
            "result": "Mock" + _hex(name, length=28), "bcryptHash": "$2a$10$" + _hex(name, length=53)},
        "aws:ec2/eip:Eip": {"publicIp": f"203.0.113.{int(_hex(name, length=2), 16) % 250 + 1}",
                            "allocationId": id_},
        "aws:ec2/vpc:Vpc": {"defaultSecurityGroupId": f"sg-{_hex(name, 'default')}",
                            "mainRouteTableId": f"rtb-{_hex(name, 'main')}"},
        "aws:kms/key:Key": {"keyId": _hex(name, length=32)},
    }.get(type_, {})
    return {**out, **extra}


def _arn_resource(type_: str, id_: str, name: str) -> str:
    kind = type_.rsplit(":", 1)[1]
    return {
        "LogGroup": f"log-group:{id_}", "Instance": f"db:{id_}", "ReplicationGroup": f"replicationgroup:{id_}",
        "Parameter": f"parameter{id_}" if id_.startswith("/") else f"parameter/{id_}",
        "Repository": f"repository/{id_}", "Cluster": f"cluster/{id_}", "Queue": name, "Topic": name,
        "LoadBalancer": f"loadbalancer/app/{name}/{_hex(id_, length=16)}",
        "TargetGroup": f"targetgroup/{name}/{_hex(id_, length=16)}",
        "TaskDefinition": f"task-definition/{name}:1", "MetricAlarm": f"alarm:{id_}",
    }.get(kind, f"{kind[0].lower() + kind[1:]}/{id_}")



class FakeCloud:
    """Answers invokes and gives new resources ids and computed outputs.

    ``first_preview``: a new stack's first preview, where no resource exists yet: custom resources get
    no id and only their inputs as outputs (the SDK turns the rest into unknowns).
    """

    def __init__(self, first_preview: bool, region: str, values: OfflineValues | None = None):
        self.values = values or OfflineValues()
        self.first_preview = first_preview
        self.region = self.values.region or region

    def call(self, args: Any) -> dict[str, Any]:
        region, account = self.region, self.values.account_id
        zones = self.values.zones_for(region)
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": account, "arn": f"arn:aws:iam::{account}:user/preview", "userId": "AIDAPREVIEW",
                "id": account},
            "aws:index/getRegion:getRegion": {"region": region, "name": region, "id": region,
                                              "endpoint": f"ec2.{region}.amazonaws.com"},
            "aws:index/getAvailabilityZones:getAvailabilityZones": {
                "names": zones, "zoneIds": [f"use1-az{i + 1}" for i in range(len(zones))], "id": region},
            "aws:index/getPartition:getPartition": {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
        }
        if args.token not in answers:
            from accunode.engine.capture import CaptureError

            raise CaptureError(f"the offline engine does not know the invoke {args.token}; "
                               "add it to accunode/engine/fakecloud.py")
        return answers[args.token]

    def new_resource(self, args: Any) -> tuple[str | None, dict[str, Any]]:
        if args.resource_id:  # a read (.get()) of an existing resource
            return args.resource_id, dict(args.inputs)
        if self.first_preview or not args.custom:
            return (None if self.first_preview and args.custom else f"{args.name}-component"), dict(args.inputs)
        account = self.values.account_id
        id_ = fake_id(args.typ, args.name, args.inputs, account).replace("{region}", self.region)
        return id_, {**args.inputs, **fake_outputs(args.typ, args.name, id_, args.inputs, self.region, account)}

    def computed_outputs(self, type_: str, name: str, inputs: Mapping[str, Any]) -> list[str]:
        """The output names the provider computes for a new resource (unknown on a first preview)."""
        id_ = fake_id(type_, name, inputs, self.values.account_id).replace("{region}", self.region)
        return [k for k in fake_outputs(type_, name, id_, inputs, self.region, self.values.account_id)
                if k not in inputs]
