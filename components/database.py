"""PostgreSQL on RDS in the isolated subnets: encrypted, TLS-only, backed up, hard to delete in prod.

The master password is generated (a Pulumi secret in state, never in config). Log exports go to
log groups created first, so they carry a retention instead of RDS's "never expire" default.

Lifecycle: the final snapshot's name carries a random suffix that is renewed whenever the instance
is replaced (its keepers are the inputs that force a replacement) or the stack is destroyed and
created again, so no deletion meets an existing snapshot name (``DBSnapshotAlreadyExists``). The
parameter group has a name prefix, not a name: a new major version creates the new family's group
before the old one is deleted, and ``allow_major_version_upgrade`` lets RDS move to it. In prod
the instance is protected, and it and everything it stands on (subnet group, parameter group, log
groups) are kept on delete; the program retains the data security group and the VPC's isolated
subnets the same way, so a destroy never fails on something the kept instance still uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random
from pulumi import Input, Output, ResourceOptions

from accunode import awsrules, catalog
from accunode.awsrules import LOG_RETENTION_DAYS
from accunode.specs.context import StackContext
from components.network import SubnetSet

LOG_EXPORTS = ("postgresql", "upgrade")
# Performance Insights is not offered on the smallest burstable classes.
_NO_PERFORMANCE_INSIGHTS = re.compile(r"db\.t[34]g?\.(micro|small)")
BACKUP_WINDOW = "03:00-04:00"  # UTC, before the maintenance window
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"


def performance_insights_supported(instance_class: str) -> bool:
    return not _NO_PERFORMANCE_INSIGHTS.fullmatch(instance_class)


def parameter_group_family(engine_version: str) -> str:
    return f"postgres{engine_version.split('.')[0]}"


def replacement_keepers(args: DatabaseArgs) -> dict[str, str]:
    """The instance inputs whose change replaces it (AWS cannot modify them in place): a new value
    renews the final snapshot's suffix together with the replacement."""
    return {"identifier": args.identifier, "engine": "postgres", "db_name": args.db_name, "username": args.username,
            "kms_key": args.kms_key_arn or "aws/rds"}


@dataclass(frozen=True)
class DatabaseArgs:
    context: StackContext
    identifier: str
    """Explicit DB instance identifier (known at preview), e.g. ``accunode-prod-db``."""
    subnets: SubnetSet
    """Isolated subnets only: the data tier must have no route to the internet."""
    security_group_ids: Sequence[Input[str]]
    instance_class: str
    allocated_storage: int
    max_allocated_storage: int
    multi_az: bool
    backup_retention_days: int
    protect: bool
    """Production: deletion protection and Pulumi protect on the instance; retain-on-delete on the
    instance and what it stands on."""
    engine_version: str = "16"
    db_name: str = "accunode"
    username: str = "accunode"
    kms_key_arn: str | None = None
    """A customer-managed key for storage and Performance Insights; None uses the AWS-managed key."""
    log_retention_days: int = 7

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]", self.identifier):
            raise ValueError(f"identifier {self.identifier!r} must be 2-63 lowercase letters, digits and single "
                             "hyphens, start with a letter and not end with a hyphen")
        if self.subnets.tier != "isolated":
            raise ValueError(f"the database must be in isolated subnets, got {self.subnets.tier} subnets")
        if len(self.subnets.ids) < 2:
            raise ValueError("a DB subnet group needs subnets in at least two AZs")
        if not self.security_group_ids:
            raise ValueError("security_group_ids must name the data tier's group")
        if self.instance_class not in catalog.RDS_CLASSES:
            raise ValueError(f"{self.instance_class!r} is not a known RDS class")
        if not 20 <= self.allocated_storage <= self.max_allocated_storage <= 65536:
            raise ValueError(f"storage must satisfy 20 <= allocated ({self.allocated_storage}) <= "
                             f"max_allocated ({self.max_allocated_storage}) <= 65536 GiB")
        if not 1 <= self.backup_retention_days <= 35:
            raise ValueError(f"backup_retention_days {self.backup_retention_days} must be 1-35 (0 disables backups)")
        if problem := awsrules.postgres_version_problem(self.engine_version):
            raise ValueError(f"engine_version: {problem}")
        for key in ("db_name", "username"):
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", getattr(self, key)):
                raise ValueError(f"{key} {getattr(self, key)!r} must be a lowercase identifier")
        if self.log_retention_days not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days {self.log_retention_days} is not a CloudWatch retention period")


class Database(pulumi.ComponentResource):
    identifier: str
    address: Output[str]
    port: Output[int]
    db_name: str
    username: str
    password: Output[str]
    """Secret."""

    def __init__(self, name: str, args: DatabaseArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:data:Database", name, None, opts)
        identifier = args.identifier

        tags = args.context.tagged

        # What the instance stands on is kept with it in prod (deleting it would fail while the instance lives).
        kept = ResourceOptions(parent=self, retain_on_delete=args.protect)
        password = random.RandomPassword(f"{name}-master-password", length=32, special=False, min_lower=1,
                                         min_upper=1, min_numeric=1, opts=ResourceOptions(parent=self))
        snapshot_suffix = random.RandomId(f"{name}-final-snapshot-suffix", byte_length=4,
                                          keepers=replacement_keepers(args), opts=ResourceOptions(parent=self))
        subnet_group = aws.rds.SubnetGroup(f"{name}-subnets", name=f"{identifier}-subnets",
                                           description=f"Isolated subnets of {identifier}",
                                           subnet_ids=list(args.subnets.ids), tags=tags(f"{identifier}-subnets"),
                                           opts=kept)
        family = parameter_group_family(args.engine_version)
        parameters = {
            "rds.force_ssl": "1",  # refuse unencrypted connections
            "log_connections": "1",
            "log_disconnections": "1",
            "log_min_duration_statement": "1000",  # ms: log slow statements
            "log_lock_waits": "1",
            "log_statement": "ddl",
        }
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-parameters", name_prefix=f"{identifier}-{family}-", family=family,
            description=f"TLS-only PostgreSQL with connection and slow-query logging for {identifier}",
            parameters=[aws.rds.ParameterGroupParameterArgs(name=key, value=value, apply_method="pending-reboot")
                        for key, value in parameters.items()],
            tags=tags(f"{identifier}-{family}"), opts=kept)
        log_groups = [
            aws.cloudwatch.LogGroup(f"{name}-{export}-logs", name=f"/aws/rds/instance/{identifier}/{export}",
                                    retention_in_days=args.log_retention_days, tags=tags(f"{identifier}-{export}"),
                                    opts=kept)
            for export in LOG_EXPORTS
        ]
        insights = performance_insights_supported(args.instance_class)
        instance = aws.rds.Instance(
            f"{name}-instance",
            identifier=identifier,
            engine="postgres",
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage,
            max_allocated_storage=args.max_allocated_storage,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_name=args.db_name,
            username=args.username,
            password=password.result,
            db_subnet_group_name=subnet_group.name,
            parameter_group_name=parameter_group.id,  # the id is the generated name
            vpc_security_group_ids=list(args.security_group_ids),
            publicly_accessible=False,
            multi_az=args.multi_az,
            backup_retention_period=args.backup_retention_days,
            backup_window=BACKUP_WINDOW,
            maintenance_window=MAINTENANCE_WINDOW,
            auto_minor_version_upgrade=True,
            allow_major_version_upgrade=True,  # engineVersion 16 -> 17 is a setting change, not a failed update
            deletion_protection=args.protect,
            skip_final_snapshot=False,
            final_snapshot_identifier=snapshot_suffix.hex.apply(lambda suffix: f"{identifier}-final-{suffix}"),
            copy_tags_to_snapshot=True,
            delete_automated_backups=not args.protect,
            enabled_cloudwatch_logs_exports=list(LOG_EXPORTS),
            performance_insights_enabled=insights,
            performance_insights_retention_period=7 if insights else None,
            performance_insights_kms_key_id=args.kms_key_arn if insights else None,
            tags=tags(identifier),
            opts=ResourceOptions(parent=self, depends_on=log_groups, protect=args.protect,
                                 retain_on_delete=args.protect),
        )

        self.identifier = identifier
        self.address = instance.address
        self.port = instance.port
        self.db_name = args.db_name
        self.username = args.username
        self.password = Output.secret(password.result)
        self.register_outputs({"identifier": instance.identifier, "address": instance.address,
                               "port": instance.port})
