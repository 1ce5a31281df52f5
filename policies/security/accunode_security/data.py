"""Data tier: RDS PostgreSQL and ElastiCache Redis are encrypted, private, backed up and protected."""

from __future__ import annotations

from collections.abc import Iterator

from . import _types as t
from ._frame import CRITICAL, HIGH, MEDIUM, UNKNOWN, Context, Graph, Res, Rule, as_bool, as_number, dicts

AREA = "data"
MIN_BACKUP_DAYS = 7


def _require_true(res: Res, ctx: Context, key: str, message: str) -> Iterator[str]:
    value = as_bool(res.get(key))
    if value is UNKNOWN:
        ctx.unknown(key)
    elif value is not True:
        yield message


def check_rds_encrypted(res: Res, ctx: Context) -> Iterator[str]:
    yield from _require_true(res, ctx, "storageEncrypted",
                             "storage_encrypted is not true; set storage_encrypted=True (optionally with kms_key_id).")


def check_rds_not_public(res: Res, ctx: Context) -> Iterator[str]:
    public = as_bool(res.get("publiclyAccessible"))
    if public is True:
        yield "publicly_accessible is true; set publicly_accessible=False and reach the database from the VPC."
    elif public is UNKNOWN:
        ctx.unknown("publiclyAccessible")


def check_rds_backups(res: Res, ctx: Context) -> Iterator[str]:
    minimum = as_number(ctx.config.get("minimumDays"))
    minimum = minimum if isinstance(minimum, float) and minimum >= 1 else MIN_BACKUP_DAYS
    days = as_number(res.get("backupRetentionPeriod"))
    if days is UNKNOWN:
        ctx.unknown("backupRetentionPeriod")
    elif days is None or days < minimum:
        shown = "not set (AWS default 1 day)" if days is None else f"{days:g} days"
        yield f"backup_retention_period is {shown}; set it to at least {minimum:g} days."


def check_rds_deletion_protection(res: Res, ctx: Context) -> Iterator[str]:
    yield from _require_true(res, ctx, "deletionProtection",
                             "deletion_protection is not true; set deletion_protection=True in prod.")


def check_rds_final_snapshot(res: Res, ctx: Context) -> Iterator[str]:
    skip = as_bool(res.get("skipFinalSnapshot"))
    if skip is UNKNOWN:
        ctx.unknown("skipFinalSnapshot")
    elif skip is True:
        yield ("skip_final_snapshot is true; set skip_final_snapshot=False and a final_snapshot_identifier "
               "so deleting the database keeps a snapshot.")


def _forces_ssl(group: Res, ctx: Context) -> bool:
    parameters = group.get("parameters")
    if parameters is UNKNOWN:
        ctx.unknown(f"{group.name}.parameters")
        return True
    for parameter in dicts(parameters):
        if parameter.get("name") == "rds.force_ssl":
            value = parameter.get("value")
            if value is UNKNOWN:
                ctx.unknown(f"{group.name}.parameters[rds.force_ssl]")
                return True
            return str(value).strip().removesuffix(".0") == "1"
    return False


def check_rds_force_ssl(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for db in graph.of_type(t.RDS_INSTANCE):
        groups = graph.linked(db, "parameterGroupName", t.RDS_PARAMETER_GROUP)
        if not groups:
            name = db.get("parameterGroupName")
            if name is UNKNOWN:
                ctx.unknown(f"{db.name}.parameterGroupName")
            elif isinstance(name, str) and name and not name.startswith("default."):
                ctx.unknown(f"{db.name}.parameterGroupName ({name!r} is not managed by this stack)")
            else:
                yield db, (f"RDS instance {db.name} uses a default parameter group; give it an "
                           "aws.rds.ParameterGroup with rds.force_ssl = 1.")
            continue
        for group in groups:
            if not _forces_ssl(group, ctx):
                yield db, (f"parameter group {group.name} of RDS instance {db.name} does not set rds.force_ssl = 1; "
                           "add the parameter so the database refuses unencrypted connections.")


def check_redis_at_rest(res: Res, ctx: Context) -> Iterator[str]:
    yield from _require_true(res, ctx, "atRestEncryptionEnabled",
                             "at_rest_encryption_enabled is not true; set at_rest_encryption_enabled=True.")


def check_redis_in_transit(res: Res, ctx: Context) -> Iterator[str]:
    yield from _require_true(res, ctx, "transitEncryptionEnabled",
                             "transit_encryption_enabled is not true; set transit_encryption_enabled=True.")


def check_redis_auth(res: Res, ctx: Context) -> Iterator[str]:
    token, user_groups = res.get("authToken"), res.get("userGroupIds")
    if token is UNKNOWN or (isinstance(token, str) and token):  # an unknown token is still a token
        return
    if user_groups is UNKNOWN or (isinstance(user_groups, list) and user_groups):
        return
    yield ("no AUTH: set auth_token from a secret (with transit encryption) or user_group_ids for RBAC.")


RULES = [
    Rule("rds-storage-encrypted", AREA, "RDS instances must encrypt storage at rest.",
         HIGH, check_rds_encrypted, types=(t.RDS_INSTANCE,)),
    Rule("rds-not-publicly-accessible", AREA, "RDS instances must not be publicly accessible.",
         CRITICAL, check_rds_not_public, types=(t.RDS_INSTANCE,)),
    Rule("rds-backup-retention", AREA, "RDS instances must keep automated backups for at least 7 days.",
         MEDIUM, check_rds_backups, types=(t.RDS_INSTANCE,),
         settings={"minimumDays": {"type": "integer", "minimum": 1, "maximum": 35,
                                   "description": "Minimum backup retention in days (default 7)."}}),
    Rule("rds-deletion-protection", AREA, "RDS instances in prod must have deletion protection.",
         HIGH, check_rds_deletion_protection, types=(t.RDS_INSTANCE,), prod_only=True),
    Rule("rds-final-snapshot", AREA, "RDS instances in prod must take a final snapshot when deleted.",
         HIGH, check_rds_final_snapshot, types=(t.RDS_INSTANCE,), prod_only=True),
    Rule("rds-force-ssl", AREA, "RDS instances must force SSL through their parameter group (rds.force_ssl = 1).",
         HIGH, check_rds_force_ssl, stack=True),
    Rule("redis-encryption-at-rest", AREA, "ElastiCache Redis must encrypt data at rest.",
         HIGH, check_redis_at_rest, types=(t.REDIS,)),
    Rule("redis-encryption-in-transit", AREA, "ElastiCache Redis must encrypt data in transit (TLS).",
         HIGH, check_redis_in_transit, types=(t.REDIS,)),
    Rule("redis-auth", AREA, "ElastiCache Redis must require authentication (AUTH token or RBAC user groups).",
         HIGH, check_redis_auth, types=(t.REDIS,)),
]
