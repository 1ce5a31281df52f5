"""Cost hygiene: cost-allocation tags, bounded log retention, ECR lifecycle policies, gp3 volumes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._frame import ALL_TYPES, LOW, MEDIUM, Context, Res, Rule, Stack, is_unknown, number, text

# AWS types that take a ``tags`` input in pulumi-aws 7 (tests/policies/test_cost_rules.py checks this list
# against the SDK for every type the program creates). A type not listed counts as taggable when its
# inputs carry ``tags`` or its state ``tagsAll``.
TAGGABLE: frozenset[str] = frozenset({
    "aws:acm/certificate:Certificate", "aws:appautoscaling/target:Target", "aws:budgets/budget:Budget",
    "aws:cloudfront/distribution:Distribution", "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    "aws:cloudwatch/logGroup:LogGroup", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:dynamodb/table:Table",
    "aws:ebs/volume:Volume", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws:ec2/eip:Eip",
    "aws:ec2/flowLog:FlowLog", "aws:ec2/instance:Instance", "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/natGateway:NatGateway", "aws:ec2/routeTable:RouteTable",
    "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/subnet:Subnet", "aws:ec2/vpc:Vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ecr/repository:Repository", "aws:ecs/cluster:Cluster",
    "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition", "aws:efs/fileSystem:FileSystem",
    "aws:elasticache/cluster:Cluster", "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/subnetGroup:SubnetGroup", "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/policy:Policy", "aws:iam/role:Role", "aws:kms/key:Key", "aws:lambda/function:Function",
    "aws:lb/listener:Listener", "aws:lb/listenerRule:ListenerRule", "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup", "aws:rds/instance:Instance", "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/subnetGroup:SubnetGroup", "aws:route53/zone:Zone", "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2",
    "aws:secretsmanager/secret:Secret", "aws:sns/topic:Topic", "aws:sqs/queue:Queue", "aws:ssm/parameter:Parameter",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws:wafv2/webAcl:WebAcl",
})
REQUIRED_TAGS = ("project", "environment")
ANY_OF_TAGS = (("owner", "cost-center"),)
DEFAULT_MAX_RETENTION_DAYS = 365
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPOSITORY, LIFECYCLE = "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy"
RDS, VOLUME = "aws:rds/instance:Instance", "aws:ebs/volume:Volume"


def is_taggable(res: Res) -> bool:
    return res.type.startswith("aws:") and (res.type in TAGGABLE or "tags" in res.props or "tagsAll" in res.props)


def _strings(value: Any, default: tuple[Any, ...]) -> list[Any]:
    return value if isinstance(value, list) else list(default)


def cost_tags(res: Res, ctx: Context) -> Iterator[str]:
    if not is_taggable(res):
        return
    tags = res.props.get("tags")
    if is_unknown(tags):
        ctx.unknown("tags")
        return
    tags = tags if isinstance(tags, Mapping) else {}
    present = {key for key, value in tags.items() if is_unknown(value) or (isinstance(value, str) and value.strip())}
    required = [key for key in _strings(ctx.config.get("required"), REQUIRED_TAGS) if isinstance(key, str)]
    missing = [key for key in required if key not in present]
    for group in _strings(ctx.config.get("anyOf"), ANY_OF_TAGS):
        names = [key for key in (group if isinstance(group, list | tuple) else [group]) if isinstance(key, str)]
        if names and not present & set(names):
            missing.append(" or ".join(names))
    if missing:
        have = f" (it has {', '.join(sorted(present))})" if present else " (it has none)"
        yield (f"Missing cost-allocation tags: {', '.join(missing)}{have}. Pass the stack's cost tags "
               "(settings.cost_tags; accunode:owner or accunode:tags.cost-center) to this resource's `tags`.")


def log_retention(res: Res, ctx: Context) -> Iterator[str]:
    raw = res.get("retentionInDays")
    if is_unknown(raw):
        ctx.unknown("retentionInDays")
        return
    days = number(raw)
    maximum = number(ctx.config.get("maxDays")) or DEFAULT_MAX_RETENTION_DAYS
    if not days:
        yield (f"Log group {text(res.get('name')) or res.name} never expires, so its storage grows every month; "
               f"set retentionInDays (accunode:logRetentionDays), at most {maximum:g} days.")
    elif days > maximum:
        yield (f"Log group {text(res.get('name')) or res.name} keeps logs {days:g} days, longer than the "
               f"{maximum:g} allowed; lower retentionInDays (accunode:logRetentionDays) or archive to S3.")


def ecr_lifecycle(stack: Stack, ctx: Context) -> Iterator[tuple[Res, str]]:
    covered = {repo.urn for policy in stack.of_type(LIFECYCLE)
               if text(policy.props.get("policy")) or isinstance(policy.props.get("policy"), Mapping)
               for repo in stack.linked(policy, "repository", REPOSITORY)}
    for repo in stack.of_type(REPOSITORY):
        if repo.urn not in covered:
            yield repo, (f"Repository {text(repo.props.get('name')) or repo.name} has no lifecycle policy, so every "
                         "pushed image is stored (and billed) forever; add an aws.ecr.LifecyclePolicy that keeps the "
                         "last accunode:ecrKeepImages images and expires untagged ones.")


def gp3_storage(res: Res, ctx: Context) -> Iterator[str]:
    key = "storageType" if res.type == RDS else "type"
    value = res.get(key)
    if is_unknown(value):
        ctx.unknown(key)
        return
    volume = text(value)
    if res.type == RDS and volume is None:
        yield ("storageType is not set, so RDS creates gp2; set storageType to gp3 (same $/GB in RDS, 3 000 IOPS "
               "baseline without paying for size, IOPS scaled independently).")
    elif volume == "gp2":
        yield (f"{key} is gp2; use gp3 (baseline 3 000 IOPS and 125 MB/s whatever the size, and 20 % cheaper per GB "
               "for EBS).")


RULES = [
    Rule("cost-allocation-tags", "tagging",
         "Every taggable AWS resource carries the cost-allocation tags project, environment and owner or cost-center.",
         MEDIUM, cost_tags, types=ALL_TYPES,
         settings={"required": {"type": "array", "items": {"type": "string"}, "default": list(REQUIRED_TAGS),
                                "description": "Tags every taggable resource must carry."},
                   "anyOf": {"type": "array", "items": {"type": "array", "items": {"type": "string"}},
                             "default": [list(group) for group in ANY_OF_TAGS],
                             "description": "Groups of tags of which each resource carries at least one."}}),
    Rule("log-retention-bounded", "logging",
         "Every CloudWatch log group has a retention period, no longer than the configured maximum.",
         MEDIUM, log_retention, types=(LOG_GROUP,),
         settings={"maxDays": {"type": "number", "minimum": 1, "default": DEFAULT_MAX_RETENTION_DAYS,
                               "description": "Longest retention allowed, in days."}}),
    Rule("ecr-lifecycle-policy", "registry",
         "Every ECR repository has a lifecycle policy that expires old images.", LOW, ecr_lifecycle, stack=True),
    Rule("storage-gp3", "storage", "Database and EBS volumes use gp3, not gp2.", LOW, gp3_storage,
         types=(RDS, VOLUME)),
]
