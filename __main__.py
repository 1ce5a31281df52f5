"""AccuNode on AWS: stack settings in, components wired, operator outputs exported (never secrets)."""

import pulumi
import pulumi_aws as aws

from accunode.settings import load_settings
from components.cache import Cache, CacheArgs
from components.database import Database, DatabaseArgs
from components.network import Network, NetworkArgs
from components.registry import Registry, RegistryArgs
from components.secrets import AppSecrets, AppSecretsArgs
from components.security_groups import SecurityGroups, SecurityGroupsArgs

settings = load_settings()
account_id = aws.get_caller_identity().account_id  # a plain invoke: ARNs stay known at preview
zones = tuple(aws.get_availability_zones(state="available").names[: settings.az_count])
prefix, region, tags, prod = settings.name_prefix, settings.region, settings.cost_tags, settings.is_prod

# ---- foundation: network, data tier, registry, app secrets -----------------------------------
network = Network("network", NetworkArgs(
    name_prefix=prefix, vpc_cidr=settings.vpc_cidr, availability_zones=zones, nat_strategy=settings.nat_strategy,
    account_id=account_id, region=region, flow_log_retention_days=settings.log_retention_days, tags=tags))
groups = SecurityGroups("security-groups", SecurityGroupsArgs(vpc_id=network.vpc_id, name_prefix=prefix, tags=tags))
db = settings.database
database = Database("database", DatabaseArgs(
    identifier=f"{prefix}-db", subnets=network.isolated, security_group_ids=[groups.data_id],
    instance_class=db.instance_class, engine_version=db.engine_version, allocated_storage=db.allocated_storage,
    max_allocated_storage=db.max_allocated_storage, multi_az=db.multi_az,
    backup_retention_days=db.backup_retention_days, protect=prod, tags=tags))
cache = Cache("cache", CacheArgs(
    replication_group_id=f"{prefix}-redis", subnets=network.isolated, security_group_ids=[groups.data_id],
    node_type=settings.cache.node_type, num_nodes=settings.cache.num_nodes, snapshot_retention_days=7 if prod else 1,
    log_retention_days=settings.log_retention_days, tags=tags))
registry = Registry("registry", RegistryArgs(
    repository_name=prefix, keep_tagged_images=settings.ecr_keep_images, force_delete=not prod, tags=tags))
app_secrets = AppSecrets("app-secrets", AppSecretsArgs(
    path=settings.ssm_path, account_id=account_id, region=region,
    db_host=database.address, db_port=database.port, db_name=database.db_name, db_username=database.username,
    db_password=database.password, redis_host=cache.primary_endpoint, redis_port=cache.port,
    redis_auth_token=cache.auth_token, tags=tags))

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

# ---- compute, edge, identity, monitoring (another helper adds these below) -------------------
# Inputs they need from above: network.private / network.public (SubnetSet), groups.{alb,api,worker}_id,
# registry.repository_url / repository_arn, app_secrets.database_url_arn / redis_url_arn / path_arn,
# database.identifier, cache.replication_group_id / member_cluster_ids, network.flow_log_group_name.
