"""AccuNode on AWS: stack settings in, components wired, operator outputs exported (never secrets)."""

from typing import Any

import pulumi
import pulumi_aws as aws

from accunode.settings import load_settings
from accunode.specs.alarms import AlarmTargets, rollback_alarm_names
from accunode.specs.context import StackContext
from accunode.specs.deployment import DeploymentSpec
from accunode.specs.iam import certificate_account_problem
from accunode.specs.scaling import CpuScaling, QueueScaling
from components.budget import Budget, BudgetArgs
from components.cache import Cache, CacheArgs
from components.cluster import Cluster, ClusterArgs
from components.database import Database, DatabaseArgs
from components.identity import GitHubDeploy, Identity, IdentityArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.monitoring import Monitoring, MonitoringArgs
from components.network import Network, NetworkArgs
from components.queue import WorkQueue, WorkQueueArgs
from components.registry import Registry, RegistryArgs
from components.secrets import AppSecrets, AppSecretsArgs
from components.security_groups import SecurityGroups, SecurityGroupsArgs
from components.service import FargateService, FargateServiceArgs, TrafficShift, log_group_name
from components.storage import Bucket, BucketArgs

settings = load_settings()
account_id = aws.get_caller_identity().account_id  # a plain invoke: ARNs stay known at preview
if problem := certificate_account_problem(settings.certificate_arn, account_id):
    raise pulumi.RunError(f"accunode:certificateArn: {problem}")
# Regular zones only: an account opted into a Local Zone (us-east-1-bos-1a sorts first) must not get subnets there.
regular_zones = [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
zones = tuple(aws.get_availability_zones(state="available", filters=regular_zones).names[: settings.az_count])
prefix, region, prod = settings.name_prefix, settings.region, settings.is_prod
# What every component needs from the stack, validated once: each component's args start with it.
context = StackContext(account_id, region, prefix, settings.cost_tags)
release = settings.api.deployment.spec() if settings.api.deployment else DeploymentSpec()

# ---- foundation: network, data tier, registry, app secrets -----------------------------------
network = Network("network", NetworkArgs(
    context, vpc_cidr=settings.vpc_cidr, availability_zones=zones, nat_strategy=settings.nat_strategy,
    flow_log_retention_days=settings.log_retention_days, retain_data_tier=prod))
groups = SecurityGroups("security-groups", SecurityGroupsArgs(context, vpc_id=network.vpc_id, retain_data_group=prod))
db = settings.database
database = Database("database", DatabaseArgs(
    context, identifier=f"{prefix}-db", subnets=network.isolated, security_group_ids=[groups.data_id],
    instance_class=db.instance_class, engine_version=db.engine_version, allocated_storage=db.allocated_storage,
    max_allocated_storage=db.max_allocated_storage, multi_az=db.multi_az,
    backup_retention_days=db.backup_retention_days, protect=prod))
cache = Cache("cache", CacheArgs(
    context, replication_group_id=f"{prefix}-redis", subnets=network.isolated, security_group_ids=[groups.data_id],
    node_type=settings.cache.node_type, num_nodes=settings.cache.num_nodes, snapshot_retention_days=7 if prod else 1,
    log_retention_days=settings.log_retention_days))
registry = Registry("registry", RegistryArgs(
    context, repository_name=prefix, keep_tagged_images=settings.ecr_keep_images, force_delete=not prod))
app_secrets = AppSecrets("app-secrets", AppSecretsArgs(
    context, path=settings.ssm_path, db_host=database.address, db_port=database.port, db_name=database.db_name,
    db_username=database.username, db_password=database.password, redis_host=cache.primary_endpoint,
    redis_port=cache.port, redis_auth_token=cache.auth_token))

pulumi.export("vpcId", network.vpc_id)
pulumi.export("publicSubnetIds", list(network.public.ids))
pulumi.export("privateSubnetIds", list(network.private.ids))
pulumi.export("isolatedSubnetIds", list(network.isolated.ids))
pulumi.export("dbEndpoint", database.address)
pulumi.export("dbIdentifier", database.identifier)
pulumi.export("redisEndpoint", cache.primary_endpoint)
pulumi.export("redisReplicationGroupId", cache.replication_group_id)
pulumi.export("ecrRepositoryUrl", registry.repository_url)
pulumi.export("ecrRepositoryName", registry.repository_name)
pulumi.export("ssmPath", app_secrets.path)

# ---- edge, compute, identity, monitoring, budget ----------------------------------------------
# Names and ARNs are built from plain values so task definitions and IAM documents are known at preview.
services = {role: f"{prefix}-{role}" for role in ("api", "worker")}
models = Bucket("models", BucketArgs(context, bucket_name=f"{prefix}-models-{account_id}", versioned=True,
                                     force_destroy=not prod))
queue = WorkQueue("queue", WorkQueueArgs(context, queue_name=f"{prefix}-jobs"))
alb = LoadBalancer("load-balancer", LoadBalancerArgs(
    context, vpc_id=network.vpc_id, subnets=network.public, security_group_ids=[groups.alb_id],
    log_bucket_name=f"{prefix}-alb-logs-{account_id}", certificate_arn=settings.certificate_arn,
    deletion_protection=prod, waf=settings.waf, progressive=release.progressive))
cluster = Cluster("cluster", ClusterArgs(context, cluster_name=prefix))
identity = Identity("identity", IdentityArgs(
    context, repository_name=registry.repository_name,
    log_group_names=[log_group_name(s) for s in services.values()], parameter_path=settings.ssm_path,
    bucket_name=models.bucket_name, queue_name=queue.name, cluster_name=prefix, service_names=list(services.values()),
    github=GitHubDeploy(settings.github_repository, settings.deploy_branch) if settings.github_repository else None,
    traffic_load_balancer=alb.name if release.progressive else None))
monitoring = Monitoring("monitoring", MonitoringArgs(
    context, alert_email=settings.alert_email,
    targets=AlarmTargets(
        cluster_name=prefix, service_names=tuple(services.values()), db_identifier=database.identifier,
        db_instance_class=db.instance_class, cache_cluster_ids=cache.member_cluster_ids, queue_name=queue.name,
        dlq_name=queue.dlq_name, load_balancer=alb.arn_suffix, target_group=alb.target_group_arn_suffix,
        alternate_target_group=alb.alternate_target_group_arn_suffix)))
image: list[pulumi.Resource] = []
if settings.build_image:
    # awsx.ecr.Image is a remote (multi-language) component: under the mocks it is opaque, with no
    # children visible to the policy packs or the cost model. That is acceptable only because an
    # image build creates no billable or security-relevant infrastructure of its own.
    import pulumi_awsx as awsx

    image.append(awsx.ecr.Image("image", awsx.ecr.ImageArgs(
        repository_url=registry.repository_url, context=settings.image_context, image_tag=settings.image_tag,
        platform="linux/arm64" if settings.cpu_architecture == "arm64" else "linux/amd64")))


# A service starts tasks only once its image's registry (and the image, when the program builds it), the
# parameters it reads and the database and cache behind them exist. The first image is pushed between
# `pulumi up --target` of the registry and the full `pulumi up` (docs/operations.md, deploy.yml).
needs: list[pulumi.Resource] = [registry, *image, app_secrets, database, cache]


def service_args(role: str, **kwargs: Any) -> FargateServiceArgs:
    size = getattr(settings, role)
    env = {"APP_ROLE": role, "ENVIRONMENT": settings.environment, "AWS_REGION": region,
           "MODEL_BUCKET": models.bucket_name, "QUEUE_URL": queue.url}
    return FargateServiceArgs(
        context, service_name=services[role], container_name=role, cluster_name=cluster.name,
        repository_name=registry.repository_name, image_tag=settings.image_tag,
        subnets=network.private, execution_role_arn=identity.execution_role_arn, task_role_arn=identity.task_role_arn,
        cpu=size.cpu, memory=size.memory, desired_count=size.desired_count, cpu_architecture=settings.cpu_architecture,
        environment=env, secrets={"DATABASE_URL": app_secrets.database_url_arn, "REDIS_URL": app_secrets.redis_url_arn},
        log_retention_days=settings.log_retention_days, **kwargs)


api = FargateService("api", service_args(
    "api", security_group_ids=[groups.api_id], container_port=8000, target_group_arn=alb.target_group_arn,
    scaling=CpuScaling(settings.api.min_count, settings.api.max_count),
    rollback_alarm_names=rollback_alarm_names(prefix), deployment=release,
    traffic=TrafficShift(alb.alternate_target_group_arn, alb.production_rule_arn, alb.test_rule_arn,
                         identity.traffic_role_arn) if release.progressive else None,
    starts_after=[*needs, alb, monitoring]))
worker = FargateService("worker", service_args(
    "worker", security_group_ids=[groups.worker_id], spot=settings.worker.spot,
    scaling=QueueScaling(queue.name, settings.worker.min_count, settings.worker.max_count),
    starts_after=[*needs, queue]))
Budget("budget", BudgetArgs(
    context, budget_name=f"{prefix}-monthly", monthly_limit_usd=settings.monthly_budget,
    cost_tag=("stack", settings.stack), alert_emails=[settings.alert_email] if settings.alert_email else []))

# What `accunode health` and operators look things up by.
pulumi.export("albDnsName", alb.dns_name)
pulumi.export("apiUrl", f"https://{settings.domain_name}" if settings.https
              else alb.dns_name.apply(lambda name: f"http://{name}"))
pulumi.export("targetGroupArn", alb.target_group_arn)
pulumi.export("apiDeployment", {"strategy": release.strategy,
                                "bakeMinutes": release.bake_minutes if release.progressive else 0,
                                "alternateTargetGroupArn": alb.alternate_target_group_arn})
pulumi.export("clusterName", cluster.name)
pulumi.export("serviceNames", {"api": api.service_name, "worker": worker.service_name})
pulumi.export("logGroupNames", {"api": api.log_group_name, "worker": worker.log_group_name})
pulumi.export("queueUrl", queue.url)
pulumi.export("dlqUrl", queue.dlq_url)
pulumi.export("alarmNames", monitoring.alarm_names)
pulumi.export("alarmTopicArn", monitoring.topic_arn)
pulumi.export("dashboardName", monitoring.dashboard_name)
pulumi.export("modelBucketName", models.bucket_name)
pulumi.export("deployRoleArn", identity.deploy_role_arn)
