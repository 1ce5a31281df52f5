"""The app's connection strings as SSM SecureString parameters under ``/accunode/<stack>/``.

Values are built from the database and cache outputs and the generated passwords, so they stay
Pulumi secrets end to end; tasks receive them through the task definition's ``secrets`` (by ARN),
never as plain environment variables. Both URLs require TLS: ``sslmode=require`` for PostgreSQL
(the parameter group also forces it) and the ``rediss://`` scheme for Redis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from accunode.specs.context import StackContext

DATABASE_URL = "database-url"
REDIS_URL = "redis-url"


def postgres_url(username: str, password: str, host: str, port: int, db_name: str) -> str:
    return f"postgresql://{quote(username, safe='')}:{quote(password, safe='')}@{host}:{port}/{db_name}?sslmode=require"


def redis_url(auth_token: str, host: str, port: int) -> str:
    return f"rediss://:{quote(auth_token, safe='')}@{host}:{port}/0"


@dataclass(frozen=True)
class AppSecretsArgs:
    context: StackContext
    path: str
    """Parameter path of the stack, e.g. ``/accunode/prod``."""
    db_host: Input[str]
    db_port: Input[int]
    db_name: str
    db_username: str
    db_password: Input[str]
    redis_host: Input[str]
    redis_port: Input[int]
    redis_auth_token: Input[str]
    kms_key_arn: str | None = None
    """A customer-managed key; None uses the AWS-managed ``alias/aws/ssm``."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"(/[A-Za-z0-9_.-]+)+", self.path):
            raise ValueError(f"path {self.path!r} must look like /accunode/<stack> (no trailing slash)")

    def arn(self, key: str) -> str:
        return f"arn:aws:ssm:{self.context.region}:{self.context.account_id}:parameter{self.path}/{key}"


class AppSecrets(pulumi.ComponentResource):
    path: str
    database_url_arn: str
    redis_url_arn: str
    path_arn: str
    """Every parameter of the stack (``.../parameter/accunode/<stack>/*``), for IAM policies."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:secrets:AppSecrets", name, None, opts)
        values = {
            DATABASE_URL: ("PostgreSQL connection URL (TLS required)",
                           Output.all(args.db_password, args.db_host, args.db_port).apply(
                               lambda v: postgres_url(args.db_username, v[0], v[1], int(v[2]), args.db_name))),
            REDIS_URL: ("Redis connection URL with AUTH token (TLS)",
                        Output.all(args.redis_auth_token, args.redis_host, args.redis_port).apply(
                            lambda v: redis_url(v[0], v[1], int(v[2])))),
        }
        for key, (description, value) in values.items():
            aws.ssm.Parameter(f"{name}-{key}", name=f"{args.path}/{key}", type="SecureString",
                              value=Output.secret(value), key_id=args.kms_key_arn, description=description,
                              tags=args.context.tagged(f"{args.path}/{key}"), opts=ResourceOptions(parent=self))

        self.path = args.path
        self.database_url_arn = args.arn(DATABASE_URL)
        self.redis_url_arn = args.arn(REDIS_URL)
        self.path_arn = args.arn("*")
        self.register_outputs({"path": self.path, "databaseUrlArn": self.database_url_arn,
                               "redisUrlArn": self.redis_url_arn})
