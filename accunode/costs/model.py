"""Price a stack's resources, line by line, from the price book and a usage profile.

Pure Python (no Pulumi import). The input is any sequence of :class:`Item` — built from the
captured graph by ``items_from_graph`` or from a stack policy's resources by the cost pack — so
``accunode cost`` and the ``monthly-budget`` policy compute the same figure from the same data.

Every AWS resource type the program creates either maps to cost lines (fixed, or usage-based
with the usage named) or to an explicit zero with its reason (``FREE``). Anything else is listed
as unpriced, never silently counted as $0. Autoscaled services give a min–expected–max range, the
expected count derived from the usage profile's load (``_Pricer._expected_tasks``). A region without
a price book prices nothing and says so (``Estimate.problem``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from accunode.costs import insights
from accunode.costs.pricebook import PriceBook
from accunode.costs.usage import UsageProfile
from accunode.engine.graph import Resource, is_unknown
from accunode.specs.scaling import QueueScaling

SECONDS_PER_DAY = 86_400
DEFAULT_TARGET_PERCENT = 70.0
KMS_AVERAGE_YEARS = 3  # the key-version charge is shown as its average over a key's first three years

# Types that cost nothing by themselves, and why.
FREE: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "VPCs are free",
    "aws:ec2/subnet:Subnet": "subnets are free",
    "aws:ec2/routeTable:RouteTable": "route tables are free",
    "aws:ec2/route:Route": "routes are free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "route table associations are free",
    "aws:ec2/internetGateway:InternetGateway": "internet gateways are free (transfer is priced separately)",
    "aws:ec2/securityGroup:SecurityGroup": "security groups are free",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security groups are free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security group rules are free",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security group rules are free",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "security group rules are free",
    "aws:ec2/flowLog:FlowLog": "flow logs are priced as ingestion into their log group",
    "aws:iam/role:Role": "IAM is free", "aws:iam/rolePolicy:RolePolicy": "IAM is free",
    "aws:iam/policy:Policy": "IAM is free", "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "IAM is free",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "capacity provider settings are free",
    "aws:ecs/taskDefinition:TaskDefinition": "priced on the service that runs it",
    "aws:appautoscaling/target:Target": "Application Auto Scaling is free; the extra tasks are priced on the service",
    "aws:lb/listener:Listener": "listeners are part of the load balancer's price",
    "aws:lb/listenerRule:ListenerRule": "listener rules are part of the load balancer's price (LCUs count "
                                        "rule evaluations past the first 10)",
    "aws:lb/targetGroup:TargetGroup": "target groups are part of the load balancer's price",
    "aws:rds/subnetGroup:SubnetGroup": "DB subnet groups are free",
    "aws:rds/parameterGroup:ParameterGroup": "DB parameter groups are free",
    "aws:elasticache/subnetGroup:SubnetGroup": "cache subnet groups are free",
    "aws:elasticache/parameterGroup:ParameterGroup": "cache parameter groups are free",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "lifecycle policies are free (they lower storage)",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket settings are free",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket settings are free",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket settings are free",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "SSE-S3 encryption is free",
    "aws:s3/bucketVersioning:BucketVersioning": "versioning is free (old versions are storage)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "lifecycle rules are free",
    "aws:sns/topic:Topic": "the first million publishes and 1 000 e-mails a month are free",
    "aws:sns/topicSubscription:TopicSubscription": "subscriptions are free",
    "aws:kms/alias:Alias": "aliases are free",
    "aws:budgets/budget:Budget": "the first two budgets of an account are free",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "associations are free",
    "random:index/randomPassword:RandomPassword": "not an AWS resource",
    "random:index/randomId:RandomId": "not an AWS resource",
}
# Lines whose charges carry no cost-allocation tag, so a tag-filtered AWS Budget (``stack=<stack>``) never
# sees them: Container Insights bills custom metrics and an ECS-created log group, Application Auto Scaling
# creates its target-tracking alarms itself. (resource type, SKU prefix)
UNTAGGED: tuple[tuple[str, str], ...] = (
    ("aws:ecs/cluster:Cluster", "cloudwatch.custom_metric_month"), ("aws:ecs/cluster:Cluster", "logs."),
    ("aws:appautoscaling/policy:Policy", "cloudwatch.alarm_metric"))
CATEGORIES = ("compute", "database", "cache", "load balancer", "network", "registry", "logs and monitoring",
              "data transfer", "waf", "storage", "queue", "other")


@dataclass(frozen=True)
class Item:
    """What the model needs to know of a resource."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    parent: str = ""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CostLine:
    component: str
    resource: str
    resource_type: str
    item: str
    category: str
    unit: str
    unit_price: float
    quantity: float
    """Monthly quantity at the expected (desired) count."""
    quantity_min: float
    quantity_max: float
    usage_based: bool
    sku: str
    note: str = ""

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price

    @property
    def monthly_min(self) -> float:
        return self.quantity_min * self.unit_price

    @property
    def monthly_max(self) -> float:
        return self.quantity_max * self.unit_price


@dataclass(frozen=True)
class FreeResource:
    component: str
    resource: str
    resource_type: str
    reason: str


@dataclass
class Estimate:
    stack: str
    tier: str
    region: str
    price_book_version: str
    lines: list[CostLine] = field(default_factory=list)
    free: list[FreeResource] = field(default_factory=list)
    unpriced: list[tuple[str, str]] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    usage_profile: Mapping[str, float] = field(default_factory=dict)
    """The usage profile the estimate assumed (snake_case field names)."""
    problem: str = ""
    """Why nothing could be priced (e.g. no price book for the region), else ''."""

    @property
    def total(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    @property
    def total_min(self) -> float:
        return round(sum(line.monthly_min for line in self.lines), 2)

    @property
    def total_max(self) -> float:
        return round(sum(line.monthly_max for line in self.lines), 2)

    @property
    def fixed(self) -> float:
        return round(sum(line.monthly for line in self.lines if not line.usage_based), 2)

    @property
    def usage(self) -> float:
        return round(sum(line.monthly for line in self.lines if line.usage_based), 2)

    @property
    def untagged_lines(self) -> list[CostLine]:
        return [line for line in self.lines
                if any(line.resource_type == type_ and line.sku.startswith(sku) for type_, sku in UNTAGGED)]

    @property
    def untagged(self) -> float:
        """What a budget filtered on the stack's tag cannot see of this estimate."""
        return round(sum(line.monthly for line in self.untagged_lines), 2)

    def by(self, key: str) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[getattr(line, key)] += line.monthly
        return {k: round(v, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}

    def largest(self, count: int = 5) -> list[CostLine]:
        return sorted(self.lines, key=lambda line: -line.monthly)[:count]

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack, "tier": self.tier, "region": self.region, "currency": "USD",
            "priceBookVersion": self.price_book_version,
            "totalMonthlyCost": self.total, "minMonthlyCost": self.total_min, "maxMonthlyCost": self.total_max,
            "fixedMonthlyCost": self.fixed, "usageMonthlyCost": self.usage,
            "untaggedMonthlyCost": self.untagged,
            "byComponent": self.by("component"), "byCategory": self.by("category"),
            "lines": [{"component": x.component, "resource": x.resource, "resourceType": x.resource_type,
                       "item": x.item, "category": x.category, "unit": x.unit, "unitPrice": x.unit_price,
                       "monthlyQuantity": round(x.quantity, 4), "minMonthlyQuantity": round(x.quantity_min, 4),
                       "maxMonthlyQuantity": round(x.quantity_max, 4), "monthlyCost": round(x.monthly, 2),
                       "minMonthlyCost": round(x.monthly_min, 2), "maxMonthlyCost": round(x.monthly_max, 2),
                       "usageBased": x.usage_based, "sku": x.sku, "note": x.note} for x in self.lines],
            "free": [{"component": f.component, "resource": f.resource, "resourceType": f.resource_type,
                      "reason": f.reason} for f in self.free],
            "unpriced": [{"resource": name, "resourceType": type_} for type_, name in self.unpriced],
            "assumptions": self.assumptions,
            **({"problem": self.problem} if self.problem else {}),
        }


# --------------------------------------------------------------------------------------------
# Minutes the new revision's tasks run before ECS has shifted traffic to them (start, pass health checks).
RELEASE_START_MINUTES = 5


def release_overlap_minutes(config: Any) -> float:
    """How long a release runs two full sets of tasks: start, traffic steps and the bake of an ECS
    blue/green, canary or linear deployment (``deploymentConfiguration`` inputs); 0 for a rolling one,
    whose extra tasks (maximumPercent) come and go within the replacement."""
    if not isinstance(config, Mapping):
        return 0.0
    strategy = _text(config.get("strategy")).upper()
    if strategy not in ("BLUE_GREEN", "CANARY", "LINEAR"):
        return 0.0
    minutes = RELEASE_START_MINUTES + _number(config.get("bakeTimeInMinutes"))
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration")
        minutes += _number(canary.get("canaryBakeTimeInMinutes")) if isinstance(canary, Mapping) else 0.0
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration")
        if isinstance(linear, Mapping):
            step = _number(linear.get("stepPercent"), 100.0)
            steps = math.ceil(100.0 / step) if step > 0 else 1
            minutes += (steps - 1) * _number(linear.get("stepBakeTimeInMinutes"))
    return minutes


def items_from_graph(resources: Iterable[Resource]) -> list[Item]:
    return [Item(type=r.type, name=r.name, urn=r.urn, props=r.state, parent=r.parent,
                 property_dependencies=r.property_dependencies) for r in resources]


def _number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or is_unknown(value):
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _text(value: Any) -> str:
    return value if isinstance(value, str) and not is_unknown(value) else ""


def _short_name(item: Item, component: str) -> str:
    """The resource's Pulumi name without its component's prefix (``monitoring-rds-connections-high`` ->
    ``rds-connections-high``): it names the resource and is the same in every stack, so diffs line up."""
    return item.name.removeprefix(f"{component}-") or item.name


class _Pricer:
    def __init__(self, items: Sequence[Item], book: PriceBook, usage: UsageProfile):
        # URN order: the SDK registers resources from a thread pool, so arrival order varies by run.
        self.items = sorted(items, key=lambda item: item.urn)
        self.by_urn = {item.urn: item for item in self.items}
        self.book = book
        self.usage = usage
        self.hours = book.hours_per_month
        self.lines: list[CostLine] = []
        self.free: list[FreeResource] = []
        self.unpriced: list[tuple[str, str]] = []
        self.names: dict[int, str] = {}

    def named_lines(self) -> list[CostLine]:
        """The lines, each repeated item (two log groups, ten alarms) suffixed with its resource's name."""
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for line in self.lines:
            counts[(line.component, line.item)] += 1
        return [replace(line, item=f"{line.item}: {self.names[index]}")
                if counts[(line.component, line.item)] > 1 else line for index, line in enumerate(self.lines)]

    def component(self, item: Item) -> str:
        """The name of the nearest ``accunode:*`` component above the resource."""
        parent = self.by_urn.get(item.parent)
        while parent is not None:
            if parent.type.startswith("accunode:"):
                return parent.name
            parent = self.by_urn.get(parent.parent)
        return "stack"

    def line(self, item: Item, label: str, category: str, sku: str, quantity: float, *, usage_based: bool = False,
             quantity_min: float | None = None, quantity_max: float | None = None, note: str = "",
             unit_price: float | None = None, component: str | None = None) -> None:
        if sku not in self.book:
            if (item.type, item.name) not in self.unpriced:
                self.unpriced.append((item.type, item.name))
            return
        price = self.book[sku]
        self.names[len(self.lines)] = _short_name(item, component or self.component(item))
        self.lines.append(CostLine(
            component=component or self.component(item), resource=item.name, resource_type=item.type, item=label,
            category=category, unit=price.unit, unit_price=price.price if unit_price is None else unit_price,
            quantity=quantity, quantity_min=quantity if quantity_min is None else quantity_min,
            quantity_max=quantity if quantity_max is None else quantity_max, usage_based=usage_based, sku=sku,
            note=note))

    def of_type(self, type_: str) -> list[Item]:
        return [item for item in self.items if item.type == type_]

    # ---- per type ----------------------------------------------------------------------------
    def price(self) -> None:
        handlers = {
            "aws:ecs/service:Service": self.ecs_service,
            "aws:rds/instance:Instance": self.rds_instance,
            "aws:elasticache/replicationGroup:ReplicationGroup": self.redis,
            "aws:lb/loadBalancer:LoadBalancer": self.load_balancer,
            "aws:ec2/natGateway:NatGateway": self.nat_gateway,
            "aws:ec2/eip:Eip": self.eip,
            "aws:cloudwatch/logGroup:LogGroup": self.log_group,
            "aws:cloudwatch/metricAlarm:MetricAlarm": self.alarm,
            "aws:cloudwatch/dashboard:Dashboard": lambda i: self.line(
                i, "Dashboard", "logs and monitoring", "cloudwatch.dashboard", 1),
            "aws:ecr/repository:Repository": lambda i: self.line(
                i, "Image storage", "registry", "ecr.storage_gb_month", self.usage.ecr_gb, usage_based=True,
                note=f"{self.usage.ecr_gb:g} GB of images (usage: ecrGb)"),
            "aws:sqs/queue:Queue": self.queue,
            "aws:ssm/parameter:Parameter": self.parameter,
            "aws:wafv2/webAcl:WebAcl": self.web_acl,
            "aws:s3/bucket:Bucket": self.bucket, "aws:s3/bucketV2:BucketV2": self.bucket,
            "aws:kms/key:Key": self.kms_key,
            "aws:ecs/cluster:Cluster": self.cluster,
            "aws:appautoscaling/policy:Policy": self.scaling_policy,
            "aws:secretsmanager/secret:Secret": lambda i: self.line(
                i, "Secret", "other", "secretsmanager.secret_month", 1),
            "aws:ec2/vpcEndpoint:VpcEndpoint": self.vpc_endpoint,
        }
        for item in self.items:
            if item.type.startswith(("pulumi:", "accunode:")):
                continue
            if item.type in handlers:
                handlers[item.type](item)
            elif item.type in FREE:
                self.free.append(FreeResource(self.component(item), item.name, item.type, FREE[item.type]))
            else:
                self.unpriced.append((item.type, item.name))
        self.data_transfer()

    def ecs_service(self, item: Item) -> None:
        task = self._task_definition(item)
        if task is None:
            self.unpriced.append((item.type, item.name))
            return
        vcpu = _number(task.props.get("cpu")) / 1024
        memory_gb = _number(task.props.get("memory")) / 1024
        platform = task.props.get("runtimePlatform")
        arch = _text(platform.get("cpuArchitecture")) if isinstance(platform, Mapping) else ""
        arch = "arm64" if arch.upper() == "ARM64" else "x86_64"
        low, expected, high, why = self._task_counts(item)
        spot = self._spot_share(item)
        spot_factor = self.book.rate("fargate.spot_factor") if "fargate.spot_factor" in self.book else 1.0
        factor = 1 - spot + spot * spot_factor
        note = f"{low:g}-{high:g} tasks (expected {expected:g}: {why})" if why \
            else f"{expected:g} task{'s' if expected != 1 else ''}"
        if spot:
            note += f", {spot:.0%} on Fargate Spot (x{spot_factor:g} of on-demand)"
        for label, sku, size in (("Fargate vCPU", f"fargate.vcpu_hour.{arch}", vcpu),
                                 ("Fargate memory", f"fargate.gb_hour.{arch}", memory_gb)):
            per_task = size * self.hours
            rate = self.book.rate(sku) if sku in self.book else 0.0
            self.line(item, f"{label} ({size:g} {'vCPU' if 'vcpu' in sku else 'GB'}, {arch})", "compute", sku,
                      per_task * expected, quantity_min=per_task * low, quantity_max=per_task * high, note=note,
                      unit_price=rate * factor)
        overlap = release_overlap_minutes(item.props.get("deploymentConfiguration"))
        if overlap:
            # A progressive release starts the new revision in full beside the old one; both run until the bake ends.
            # The range runs from a month without releases (not always-on: no Savings Plan covers it) to the maximum.
            hours = self.usage.deployments_per_month * overlap / 60
            for label, sku, size in (("Fargate vCPU during releases", f"fargate.vcpu_hour.{arch}", vcpu),
                                     ("Fargate memory during releases", f"fargate.gb_hour.{arch}", memory_gb)):
                rate = self.book.rate(sku) if sku in self.book else 0.0
                self.line(item, f"{label} ({size:g} {'vCPU' if 'vcpu' in sku else 'GB'}, {arch})", "compute", sku,
                          size * hours * expected, quantity_min=0.0, quantity_max=size * hours * high,
                          usage_based=True, unit_price=rate * factor,
                          note=f"a second set of tasks for {overlap:g} min per release (start, traffic shift, bake) "
                               f"x {self.usage.deployments_per_month:g} releases/month (usage deploymentsPerMonth)")

    def _task_counts(self, service: Item) -> tuple[float, float, float, str]:
        """(min, expected, max, how expected was derived); a service without autoscaling runs desiredCount."""
        desired = _number(service.props.get("desiredCount"), 1)
        low, high = self._scaling_range(service, desired)
        if (low, high) == (desired, desired):
            return desired, desired, desired, ""
        task = self._task_definition(service)
        vcpu = _number(task.props.get("cpu")) / 1024 if task is not None else 0.0
        expected, why = self._expected_tasks(service, vcpu, low, high)
        return low, expected, high, why

    def _expected_tasks(self, service: Item, vcpu: float, low: float, high: float) -> tuple[float, str]:
        """The task count autoscaling settles at for the tier's average load, between min and max.

        A service behind the load balancer scales on CPU (target tracking): it needs the average vCPU
        demand (requests/day x vCPU-seconds per request / 86 400) at the policy's target utilisation.
        A queue worker scales on queue depth: by Little's law it keeps jobs/day x seconds per job / 86 400
        tasks busy, and the step policy adds a task for every ``scale_out_above`` waiting messages.
        """
        usage = self.usage
        balancers = service.props.get("loadBalancers")
        if isinstance(balancers, list) and balancers:
            target = self._target_percent(service) / 100
            demand = usage.requests_per_day * usage.cpu_seconds_per_request / SECONDS_PER_DAY
            needed = math.ceil(demand / (vcpu * target) - 1e-9) if vcpu and target else 0
            why = (f"{usage.requests_per_day:g} requests/day x {usage.cpu_seconds_per_request:g} vCPU-s = "
                   f"{demand:.3g} vCPU at a {target:.0%} CPU target")
        else:
            busy = usage.requests_per_day * usage.jobs_per_request * usage.seconds_per_job / SECONDS_PER_DAY
            backlog = usage.queue_depth / QueueScaling.scale_out_above
            needed = max(busy, backlog)
            if low > 0:
                needed = math.ceil(needed - 1e-9)
            why = (f"{usage.requests_per_day * usage.jobs_per_request:g} jobs/day x {usage.seconds_per_job:g} s = "
                   f"{busy:.3g} busy tasks, queue depth {usage.queue_depth:g}")
        return min(max(needed, low), high), why

    def _target_percent(self, service: Item) -> float:
        name = _text(service.props.get("name"))
        for policy in self.of_type("aws:appautoscaling/policy:Policy"):
            config = policy.props.get("targetTrackingScalingPolicyConfiguration")
            if name and _text(policy.props.get("resourceId")).endswith(f"/{name}") and isinstance(config, Mapping):
                value = _number(config.get("targetValue"), DEFAULT_TARGET_PERCENT)
                return value if 0 < value <= 100 else DEFAULT_TARGET_PERCENT
        return DEFAULT_TARGET_PERCENT

    def _task_definition(self, service: Item) -> Item | None:
        for urn in service.property_dependencies.get("taskDefinition", ()):
            if urn in self.by_urn:
                return self.by_urn[urn]
        reference = _text(service.props.get("taskDefinition"))
        for task in self.of_type("aws:ecs/taskDefinition:TaskDefinition"):
            if reference and reference in (_text(task.props.get("arn")), _text(task.props.get("family"))):
                return task
        return None

    def _scaling_range(self, service: Item, desired: float) -> tuple[float, float]:
        name = _text(service.props.get("name"))
        for target in self.of_type("aws:appautoscaling/target:Target"):
            resource_id = _text(target.props.get("resourceId"))
            if name and resource_id.endswith(f"/{name}"):
                return _number(target.props.get("minCapacity"), desired), _number(target.props.get("maxCapacity"),
                                                                                   desired)
        return desired, desired

    @staticmethod
    def _spot_share(service: Item) -> float:
        strategies = service.props.get("capacityProviderStrategies")
        if not isinstance(strategies, list) or not strategies:
            return 0.0
        weights = {"FARGATE": 0.0, "FARGATE_SPOT": 0.0}
        for entry in strategies:
            if isinstance(entry, Mapping) and _text(entry.get("capacityProvider")) in weights:
                weights[entry["capacityProvider"]] += _number(entry.get("weight"), 0)
        total = sum(weights.values())
        return weights["FARGATE_SPOT"] / total if total else 0.0

    def rds_instance(self, item: Item) -> None:
        instance_class = _text(item.props.get("instanceClass"))
        multi_az = item.props.get("multiAz") is True
        deployment = "multi_az" if multi_az else "single_az"
        sku = f"rds.postgres.{instance_class}.{deployment}"
        if sku not in self.book:
            self.unpriced.append((item.type, item.name))
            return
        label = f"Instance {instance_class} ({'Multi-AZ' if multi_az else 'Single-AZ'})"
        self.line(item, label, "database", sku, self.hours)
        storage = _number(item.props.get("allocatedStorage"), 20)
        ceiling = max(storage, _number(item.props.get("maxAllocatedStorage"), storage))
        volume = _text(item.props.get("storageType")) or "gp2"
        volume = volume if volume in ("gp2", "gp3") else "gp3"
        self.line(item, f"Storage ({volume})", "database", f"rds.storage.{volume}.{deployment}", storage,
                  quantity_max=ceiling, note=f"{storage:g} GB, autoscaling up to {ceiling:g} GB"
                  if ceiling > storage else f"{storage:g} GB")

    def redis(self, item: Item) -> None:
        node_type = _text(item.props.get("nodeType"))
        sku = f"elasticache.redis.{node_type}"
        if sku not in self.book:
            self.unpriced.append((item.type, item.name))
            return
        nodes = _number(item.props.get("numCacheClusters"), 0)
        if not nodes:
            groups = _number(item.props.get("numNodeGroups"), 1)
            nodes = groups * (_number(item.props.get("replicasPerNodeGroup"), 0) + 1)
        self.line(item, f"Nodes {node_type} x{nodes:g}", "cache", sku, nodes * self.hours,
                  note="one backup per node is free")

    def load_balancer(self, item: Item) -> None:
        self.line(item, "Application load balancer hours", "load balancer", "elb.alb_hour", self.hours)
        self.line(item, "Load balancer capacity units", "load balancer", "elb.alb_lcu_hour",
                  self.usage.alb_lcu * self.hours, usage_based=True,
                  note=f"{self.usage.alb_lcu:g} average LCU (usage: albLcu)")
        subnets = item.props.get("subnets")
        addresses = len(subnets) if isinstance(subnets, list) and subnets else \
            len(item.property_dependencies.get("subnets", ())) or 2
        self.line(item, f"Public IPv4 addresses x{addresses}", "network", "vpc.public_ipv4_hour",
                  addresses * self.hours, note="one per AZ the load balancer is in")

    def nat_gateway(self, item: Item) -> None:
        gateways = len(self.of_type("aws:ec2/natGateway:NatGateway")) or 1
        share = self.usage.nat_processed_gb / gateways
        self.line(item, "NAT gateway hours", "network", "ec2.nat_gateway_hour", self.hours)
        self.line(item, "NAT data processed", "network", "ec2.nat_gateway_gb", share, usage_based=True,
                  note=f"{share:g} GB (usage: natProcessedGb / {gateways} gateways)")

    def eip(self, item: Item) -> None:
        self.line(item, "Public IPv4 address (Elastic IP)", "network", "vpc.public_ipv4_hour", self.hours,
                  note="charged in use or idle since 2024-02")

    def log_group(self, item: Item) -> None:
        name = _text(item.props.get("name")) or item.name
        if name.startswith("/ecs/"):
            services = [i for i in self.of_type("aws:cloudwatch/logGroup:LogGroup")
                        if (_text(i.props.get("name")) or "").startswith("/ecs/")]
            gb, usage_key = self.usage.app_log_gb / max(len(services), 1), "appLogGb"
        elif "flow" in name:
            gb, usage_key = self.usage.flow_log_gb, "flowLogGb"
        else:
            gb, usage_key = self.usage.other_log_gb, "otherLogGb"
        retention = _number(item.props.get("retentionInDays"), 0)
        stored = gb * (retention / 30 if retention else 12)
        self.line(item, "Log ingestion", "logs and monitoring", "logs.ingest_gb", gb, usage_based=True,
                  note=f"{gb:g} GB/month (usage: {usage_key})")
        self.line(item, "Log storage", "logs and monitoring", "logs.storage_gb_month", stored, usage_based=True,
                  note=f"{stored:.3g} GB kept ({retention:g}-day retention)" if retention
                  else "no retention: a year of logs assumed, and growing")

    def cluster(self, item: Item) -> None:
        """Container Insights: its metrics are custom metrics, its performance events are ingested logs."""
        settings = item.props.get("settings")
        enabled = isinstance(settings, list) and any(
            isinstance(entry, Mapping) and entry.get("name") == "containerInsights"
            and entry.get("value") in ("enabled", "enhanced") for entry in settings)
        if not enabled:
            self.free.append(FreeResource(self.component(item), item.name, item.type,
                                          "a Fargate cluster without Container Insights is free"))
            return
        name = _text(item.props.get("name"))
        services = [s for s in self.of_type("aws:ecs/service:Service")
                    if not name or _text(s.props.get("cluster")) in ("", name)
                    or item.urn in s.property_dependencies.get("cluster", ())]
        families = {_text(t.props.get("family")) or t.name for s in services
                    if (t := self._task_definition(s)) is not None}
        metrics = insights.metric_count(len(services), len(families))
        self.line(item, f"Container Insights metrics x{metrics}", "logs and monitoring",
                  "cloudwatch.custom_metric_month", metrics,
                  note=f"custom metrics: ECS/ContainerInsights for 1 cluster, {len(services)} services, "
                       f"{len(families)} task families (accunode/costs/insights.py)")
        counts = [self._task_counts(service)[:3] for service in services]
        low, expected, high = (sum(c[i] for c in counts) for i in range(3))
        gb = [insights.performance_log_gb(tasks, 1, len(services)) for tasks in (expected, low, high)]
        self.line(item, "Container Insights performance logs", "logs and monitoring", "logs.ingest_gb", gb[0],
                  quantity_min=gb[1], quantity_max=gb[2], usage_based=True,
                  note=f"{gb[0]:.3g} GB/month: one task, container, service and cluster event a minute "
                       f"for {expected:g} tasks (AWS's example event sizes)")
        stored = gb[0] * insights.PERFORMANCE_LOG_RETENTION_DAYS / 30
        self.line(item, "Container Insights performance log storage", "logs and monitoring", "logs.storage_gb_month",
                  stored, usage_based=True, note="kept 1 day (the retention Container Insights sets)")

    def scaling_policy(self, item: Item) -> None:
        if _text(item.props.get("policyType")) != "TargetTrackingScaling":
            self.free.append(FreeResource(self.component(item), item.name, item.type,
                                          "step scaling policies are free (their alarms are in the stack)"))
            return
        self.line(item, "Target-tracking alarms x2 (created by AWS)", "logs and monitoring",
                  "cloudwatch.alarm_metric", 2,
                  note="Application Auto Scaling creates a high and a low alarm for each target-tracking policy")

    def kms_key(self, item: Item) -> None:
        self.line(item, "Customer managed key", "other", "kms.key_month", 1)
        if item.props.get("enableKeyRotation") is not True:
            return
        period = _number(item.props.get("rotationPeriodInDays"), 365) or 365
        horizon = KMS_AVERAGE_YEARS * 365
        average = sum(max(horizon - k * period, 0) for k in (1, 2)) / horizon  # two billed rotations at most
        self.line(item, "Rotated key versions", "other", "kms.key_version_month", average, quantity_min=0,
                  quantity_max=2, note=f"rotation every {period:g} days: $0 until the first rotation, then $1 and "
                  f"from the second $2 a month; {average:.3g} is the average over {KMS_AVERAGE_YEARS} years")

    def alarm(self, item: Item) -> None:
        queries = item.props.get("metricQueries")
        metrics = sum(1 for q in queries if isinstance(q, Mapping) and q.get("metric")) \
            if isinstance(queries, list) and queries else 1
        label = f"Alarm {_short_name(item, self.component(item))} ({metrics} metric{'s' if metrics != 1 else ''})"
        self.line(item, label, "logs and monitoring", "cloudwatch.alarm_metric", metrics)

    def queue(self, item: Item) -> None:
        name = _text(item.props.get("name"))
        dead_letter = "dlq" in name or "dead" in name
        requests = 0.0 if dead_letter else self.usage.sqs_million_requests
        self.line(item, "Requests", "queue", "sqs.million_requests", requests, usage_based=True,
                  note="dead-letter queue: no steady traffic" if dead_letter
                  else f"{requests:g} M requests (usage: sqsMillionRequests)")

    def parameter(self, item: Item) -> None:
        if _text(item.props.get("tier")) in ("Advanced", "Intelligent-Tiering"):
            self.line(item, "Advanced parameter", "other", "ssm.advanced_parameter_month", 1)
        else:
            self.free.append(FreeResource(self.component(item), item.name, item.type, "standard parameters are free"))

    def web_acl(self, item: Item) -> None:
        rules = item.props.get("rules")
        count = len(rules) if isinstance(rules, list) else 0
        requests = self.usage.requests_per_day * 30 / 1e6
        self.line(item, "Web ACL", "waf", "waf.web_acl_month", 1)
        self.line(item, f"Rules x{count}", "waf", "waf.rule_month", count, note="a managed rule group is one rule")
        self.line(item, "Requests inspected", "waf", "waf.million_requests", requests, usage_based=True,
                  note=f"{requests:.3g} M requests (usage: requestsPerDay x 30)")

    def bucket(self, item: Item) -> None:
        name = _text(item.props.get("bucket")) or item.name
        gb, key = (self.usage.log_bucket_gb, "logBucketGb") if "log" in name else \
            (self.usage.model_bucket_gb, "modelBucketGb")
        self.line(item, "S3 Standard storage", "storage", "s3.standard_gb_month", gb, usage_based=True,
                  note=f"{gb:g} GB (usage: {key})")

    def vpc_endpoint(self, item: Item) -> None:
        if _text(item.props.get("vpcEndpointType")) == "Interface":
            subnets = item.props.get("subnetIds")
            azs = len(subnets) if isinstance(subnets, list) else 1
            self.line(item, f"Interface endpoint x{azs} AZ", "network", "vpc.interface_endpoint_hour",
                      azs * self.hours)
        else:
            self.free.append(FreeResource(self.component(item), item.name, item.type,
                                          "gateway endpoints (S3, DynamoDB) are free and spare NAT charges"))

    def data_transfer(self) -> None:
        load_balancers = self.of_type("aws:lb/loadBalancer:LoadBalancer")
        if not load_balancers:
            return
        free_gb = self.book.rate("transfer.free_gb") if "transfer.free_gb" in self.book else 0.0
        billable = max(self.usage.transfer_out_gb - free_gb, 0)
        self.line(load_balancers[0], "Data transfer out to the internet", "data transfer",
                  "transfer.out_gb.first_10tb", billable, usage_based=True,
                  note=f"{self.usage.transfer_out_gb:g} GB less the {free_gb:g} GB free each month (usage: "
                       "transferOutGb; the free allowance is per account)")


def estimate(items: Sequence[Item], book: PriceBook, usage: UsageProfile, *, stack: str = "",
             tier: str = "") -> Estimate:
    pricer = _Pricer(items, book, usage)
    pricer.price()
    return Estimate(
        stack=stack, tier=tier, region=book.region, price_book_version=book.version, lines=pricer.named_lines(),
        free=pricer.free, unpriced=pricer.unpriced, problem=book.missing, usage_profile=usage.model_dump(),
        assumptions=[
            f"on-demand {book.region} prices, {book.hours_per_month:g} hours a month (price book {book.version})",
            "account-wide free tiers (5 GB logs, 10 alarms, 3 dashboards, 1 M SQS requests) are not subtracted; "
            f"the {book.rate('transfer.free_gb'):g} GB transfer-out allowance is" if "transfer.free_gb" in book
            else "the transfer-out allowance is",
            f"usage profile: {json.dumps(usage.model_dump(by_alias=True))}",
        ],
    )
