"""Logging and secrets: log retention, SecureString for secret parameters, private and encrypted buckets.

S3 encryption: since January 2023 S3 encrypts every new object with SSE-S3 and that cannot be turned
off, so a bucket is never unencrypted at rest. The rule still asks for an explicit server-side
encryption configuration (SSE-S3 or SSE-KMS): the choice is then visible in code review and in the
stack, and survives imports of older buckets. A stack that accepts the implicit default can set
``acceptDefaultEncryption: true`` in the policy config.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import _types as t
from ._frame import HIGH, MEDIUM, UNKNOWN, Context, Graph, Res, Rule, as_bool, as_number, as_str, dicts, get
from .containers import secret_looking_name, secret_looking_value

AREA = "logging"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
SSE_ALGORITHMS = {"AES256", "aws:kms", "aws:kms:dsse"}
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"


def check_log_retention(res: Res, ctx: Context) -> Iterator[str]:
    days = as_number(res.get("retentionInDays"))
    if days is UNKNOWN:
        ctx.unknown("retentionInDays")
    elif days is None or days <= 0:
        yield "retention_in_days is not set, so logs are kept forever; set retention_in_days (e.g. 30)."


def secret_looking_parameter(name: str) -> bool:
    """Judged on the last path segment: ``/app/prod/database-url`` yes, ``/app/prod/kms-key-arn`` no."""
    return secret_looking_name(name.rstrip("/").rsplit("/", 1)[-1])


def check_ssm_secure_string(res: Res, ctx: Context) -> Iterator[str]:
    name = as_str(res.get("name"))
    names = [n for n in (name, res.name) if isinstance(n, str)]
    value = res.get("value")
    secret = any(map(secret_looking_parameter, names)) or (isinstance(value, str) and secret_looking_value(value))
    if not secret:
        if name is UNKNOWN:
            ctx.unknown("name")
        return
    kind = res.get("type")
    if kind is UNKNOWN:
        ctx.unknown("type")
    elif kind != "SecureString":
        shown = kind if isinstance(kind, str) else "not set"
        yield (f"parameter {names[0] if names else res.name} looks like a secret but its type is {shown}; "
               "set type=\"SecureString\" (with a KMS key).")


def _account_blocks_public_access(graph: Graph) -> bool:
    return any(all(as_bool(b.get(flag)) is True for flag in PUBLIC_ACCESS_FLAGS)
               for b in graph.of_type(ACCOUNT_PUBLIC_ACCESS_BLOCK))


def check_s3_public_access(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    if _account_blocks_public_access(graph):
        return
    blocks = graph.of_type(t.BUCKET_PUBLIC_ACCESS_BLOCK)
    for bucket in graph.of_type(*t.BUCKETS):
        own = [b for b in blocks if bucket in graph.linked(b, "bucket", *t.BUCKETS)]
        if not own:
            yield bucket, (f"bucket {bucket.name} has no public access block; add aws.s3.BucketPublicAccessBlock "
                           "with all four settings true.")
            continue
        for block in own:
            values = {flag: as_bool(block.get(flag)) for flag in PUBLIC_ACCESS_FLAGS}
            for flag, value in values.items():
                if value is UNKNOWN:
                    ctx.unknown(f"{block.name}.{flag}")
            off = [flag for flag, value in values.items() if value is not True and value is not UNKNOWN]
            if off:
                yield bucket, (f"public access block {block.name} of bucket {bucket.name} leaves {', '.join(off)} "
                               "off; set all four to true.")


def _sse_rules(value: Any) -> list[dict[str, Any]]:
    """The encryption rules of an SSE configuration (standalone ``rules`` or inline ``rules``)."""
    return list(dicts(value))


def _sse_problem(rules: Any, ctx: Context, label: str) -> str | None:
    if rules is UNKNOWN:
        ctx.unknown(f"{label}.rules")
        return None
    algorithms = [get(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") for rule in _sse_rules(rules)]
    if UNKNOWN in algorithms:
        ctx.unknown(f"{label} sseAlgorithm")
        return None
    if not any(a in SSE_ALGORITHMS for a in algorithms):
        return f"{label} sets no default encryption algorithm (AES256 or aws:kms)"
    return None


def check_s3_encryption(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    accept_default = ctx.config.get("acceptDefaultEncryption") is True
    configurations = graph.of_type(*t.BUCKET_SSE)
    for bucket in graph.of_type(*t.BUCKETS):
        own = [c for c in configurations if bucket in graph.linked(c, "bucket", *t.BUCKETS)]
        inline = bucket.get("serverSideEncryptionConfiguration")
        if not own and inline in (None, {}, []):
            if not accept_default:
                yield bucket, (f"bucket {bucket.name} declares no server-side encryption; add "
                               "aws.s3.BucketServerSideEncryptionConfiguration (AES256, or aws:kms with a key).")
            continue
        problems = [_sse_problem(c.get("rules"), ctx, c.name) for c in own]
        if inline not in (None, {}, []):
            problems.append(_sse_problem(get(inline, "rule") if isinstance(inline, dict) and "rule" in inline
                                         else get(inline, "rules"), ctx, f"{bucket.name} inline configuration"))
        for problem in filter(None, problems):
            yield bucket, f"bucket {bucket.name}: {problem}; set sse_algorithm to AES256 or aws:kms."


RULES = [
    Rule("log-group-retention", AREA, "Every CloudWatch log group must have a retention period.",
         MEDIUM, check_log_retention, types=(t.LOG_GROUP,)),
    Rule("ssm-secret-parameters-secure", AREA,
         "SSM parameters whose names or values look secret must be SecureString.",
         HIGH, check_ssm_secure_string, types=(t.SSM_PARAMETER,)),
    Rule("s3-public-access-blocked", AREA, "S3 buckets must block all public access.",
         HIGH, check_s3_public_access, stack=True),
    Rule("s3-bucket-encryption", AREA, "S3 buckets must declare server-side encryption (SSE-S3 or SSE-KMS).",
         MEDIUM, check_s3_encryption, stack=True,
         settings={"acceptDefaultEncryption": {
             "type": "boolean",
             "description": "Accept S3's implicit SSE-S3 default when a bucket declares no encryption (default false).",
         }}),
]
