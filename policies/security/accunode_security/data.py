"""Data tier: every data store (RDS instances and read replicas, Aurora clusters and their instances,
ElastiCache replication groups and clusters) is encrypted, private, authenticated, and backed up and
protected where AWS allows it.

A read replica inherits encryption and (in the same region) subnet group and parameter group from its
source, and AWS takes no final snapshot of it: rules that do not apply to replicas say so with ``when``.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import _types as t
from ._frame import (
    CRITICAL,
    HIGH,
    MEDIUM,
    UNKNOWN,
    Context,
    Expect,
    Forbid,
    Graph,
    Res,
    Rule,
    as_number,
    dicts,
    text,
)

AREA = "data"
MIN_BACKUP_DAYS = 7
REDIS_ENGINES = ("redis", "valkey")
# Parameter that makes the engine refuse unencrypted connections, and its "on" values.
TLS_PARAMETERS = {"postgres": ("rds.force_ssl", {"1", "true"}), "mysql": ("require_secure_transport", {"1", "on"})}


def is_replica(res: Res) -> bool:
    source = res.get("replicateSourceDb")
    return source is UNKNOWN or bool(text(source))


def primary(res: Res) -> bool:
    return not is_replica(res)


def check_rds_backups(res: Res, ctx: Context) -> Iterator[str]:
    if is_replica(res):
        return  # a PostgreSQL replica keeps no automated backups of its own; the source does
    minimum = as_number(ctx.config.get("minimumDays"))
    minimum = minimum if isinstance(minimum, float) and minimum >= 1 else MIN_BACKUP_DAYS
    days = as_number(res.get("backupRetentionPeriod"))
    if days is UNKNOWN:
        ctx.unknown("backupRetentionPeriod")
    elif days is None or days < minimum:
        shown = "not set (AWS default 1 day)" if days is None else f"{days:g} days"
        yield f"backup_retention_period is {shown}; set it to at least {minimum:g} days."


def _family(engine: str | None) -> str:
    return "mysql" if engine and ("mysql" in engine or "mariadb" in engine) else "postgres"


def _forces_tls(group: Res, ctx: Context, family: str) -> bool:
    parameters = group.get("parameters")
    if parameters is UNKNOWN:
        ctx.unknown(f"{group.name}.parameters")
        return True
    name, on = TLS_PARAMETERS[family]
    for parameter in dicts(parameters):
        if str(parameter.get("name")).strip().lower() == name:
            value = parameter.get("value")
            if value is UNKNOWN:
                ctx.unknown(f"{group.name}.parameters[{name}]")
                return True
            return str(value).strip().lower().removesuffix(".0") in on
    return False


def _parameter_groups(graph: Graph, db: Res, ctx: Context, depth: int = 0) -> tuple[list[Res], str | None]:
    """(the parameter groups deciding TLS for ``db``, the problem when there are none)."""
    key, group_type = ("dbClusterParameterGroupName", t.RDS_CLUSTER_PARAMETER_GROUP) if db.type == t.RDS_CLUSTER \
        else ("parameterGroupName", t.RDS_PARAMETER_GROUP)
    groups = graph.linked(db, key, group_type)
    if groups:
        return groups, None
    name = db.get(key)
    if name is UNKNOWN:
        ctx.unknown(f"{db.name}.{key}")
    elif isinstance(name, str) and name and not name.startswith("default."):
        ctx.unknown(f"{db.name}.{key} ({name!r} is not managed by this stack)")
    elif is_replica(db):  # a same-region replica uses its source's parameter group
        sources = graph.linked(db, "replicateSourceDb", t.RDS_INSTANCE)
        if sources and depth < 3:  # a replica of a replica at most; links may loop in a broken graph
            return _parameter_groups(graph, sources[0], ctx, depth + 1)
        ctx.unknown(f"{db.name}.replicateSourceDb (source not managed by this stack)")
    else:
        return [], f"uses a default parameter group; give it an aws.rds.{group_type.rsplit(':', 1)[-1]} with " \
                   f"{TLS_PARAMETERS[_family(text(db.get('engine')))][0]} = 1"
    return [], None


def check_rds_force_ssl(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for db in graph.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER):
        family = _family(text(db.get("engine")))
        groups, problem = _parameter_groups(graph, db, ctx)
        if problem:
            yield db, f"{db.name} {problem}."
        for group in groups:
            if not _forces_tls(group, ctx, family):
                name = TLS_PARAMETERS[family][0]
                yield db, (f"parameter group {group.name} of {db.name} does not set {name} = 1; add the parameter "
                           "so the database refuses unencrypted connections.")


def _redis(res: Res) -> bool:
    engine = text(res.get("engine"))
    return engine is None or engine.lower() in REDIS_ENGINES


def check_redis_auth(res: Res, ctx: Context) -> Iterator[str]:
    token, user_groups = res.get("authToken"), res.get("userGroupIds")
    if token is UNKNOWN or (isinstance(token, str) and token):  # an unknown token is still a token
        return
    if user_groups is UNKNOWN or (isinstance(user_groups, list) and user_groups):
        return
    yield "no AUTH: set auth_token from a secret (with transit encryption) or user_group_ids for RBAC."


def check_cache_cluster(res: Res, ctx: Context) -> Iterator[str]:
    group, engine = res.get("replicationGroupId"), res.get("engine")
    if group is UNKNOWN or (isinstance(group, str) and group):
        return  # a member of a replication group, which carries encryption and AUTH
    if engine is UNKNOWN:
        ctx.unknown("engine")
    elif isinstance(engine, str) and engine.lower() in REDIS_ENGINES:
        yield (f"a standalone {engine} aws.elasticache.Cluster cannot encrypt at rest or require AUTH; create an "
               "aws.elasticache.ReplicationGroup (num_cache_clusters=1 for a single node) with at-rest and "
               "in-transit encryption and an auth token.")
    else:
        yield from Expect("transitEncryptionEnabled", True, fix="set transit_encryption_enabled=True")(res, ctx)


def check_redis_snapshots(res: Res, ctx: Context) -> Iterator[str]:
    days = as_number(res.get("snapshotRetentionLimit"))
    if days is UNKNOWN:
        ctx.unknown("snapshotRetentionLimit")
    elif not days:
        yield "snapshot_retention_limit is 0 (no automatic backups); set it to at least 1 day (e.g. 7)."


RDS_STORES = (t.RDS_INSTANCE, t.RDS_CLUSTER)
REDIS = (t.REDIS,)
RULES = [
    Rule("rds-storage-encrypted", AREA, "RDS instances and Aurora clusters must encrypt storage at rest.", HIGH,
         Expect("storageEncrypted", True, fix="set storage_encrypted=True (optionally with kms_key_id)",
                when=primary), types=RDS_STORES),
    Rule("rds-not-publicly-accessible", AREA,
         "RDS instances, read replicas and Aurora cluster instances must not be publicly accessible.", CRITICAL,
         Forbid("publiclyAccessible", True, fix="set publicly_accessible=False and reach the database from the VPC"),
         types=(*RDS_STORES, t.RDS_CLUSTER_INSTANCE)),
    Rule("rds-backup-retention", AREA,
         "RDS instances and Aurora clusters must keep automated backups for at least 7 days.",
         MEDIUM, check_rds_backups, types=RDS_STORES,
         settings={"minimumDays": {"type": "integer", "minimum": 1, "maximum": 35,
                                   "description": "Minimum backup retention in days (default 7)."}}),
    Rule("rds-deletion-protection", AREA, "RDS instances and Aurora clusters in prod must have deletion protection.",
         HIGH, Expect("deletionProtection", True, fix="set deletion_protection=True in prod"), types=RDS_STORES,
         prod_only=True),
    Rule("rds-final-snapshot", AREA,
         "RDS instances and Aurora clusters in prod must take a final snapshot when deleted (not replicas).", HIGH,
         Forbid("skipFinalSnapshot", True, fix="set skip_final_snapshot=False and a final_snapshot_identifier so "
                "deleting the database keeps a snapshot", when=primary), types=RDS_STORES, prod_only=True),
    Rule("rds-force-ssl", AREA,
         "RDS instances and Aurora clusters must force TLS through their parameter group (rds.force_ssl = 1).",
         HIGH, check_rds_force_ssl, stack=True),
    Rule("redis-encryption-at-rest", AREA, "ElastiCache Redis must encrypt data at rest.", HIGH,
         Expect("atRestEncryptionEnabled", True, fix="set at_rest_encryption_enabled=True", when=_redis),
         types=REDIS),
    Rule("redis-encryption-in-transit", AREA, "ElastiCache Redis must encrypt data in transit (TLS).", HIGH,
         Expect("transitEncryptionEnabled", True, fix="set transit_encryption_enabled=True", when=_redis),
         types=REDIS),
    Rule("redis-auth", AREA, "ElastiCache Redis must require authentication (AUTH token or RBAC user groups).",
         HIGH, check_redis_auth, types=REDIS),
    Rule("elasticache-cluster-encrypted", AREA,
         "ElastiCache clusters must encrypt: Redis/Valkey only inside a replication group (a standalone cluster "
         "cannot encrypt or authenticate), Memcached with in-transit encryption.",
         HIGH, check_cache_cluster, types=(t.CACHE_CLUSTER,)),
    Rule("redis-snapshot-retention", AREA, "ElastiCache Redis in prod must keep automatic snapshots.", MEDIUM,
         check_redis_snapshots, types=REDIS, prod_only=True),
]
