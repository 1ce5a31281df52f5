"""A private, encrypted S3 bucket: the app's model store, and the load balancer's access-log bucket.

Every bucket blocks public access, enforces bucket-owner object ownership (no ACLs), declares its
encryption and denies requests that do not use TLS. Encryption is SSE-S3 (AES256) unless a KMS key
is given; the ALB log bucket must stay on SSE-S3 because ELB log delivery does not support SSE-KMS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from accunode.specs.context import StackContext
from accunode.specs.iam import alb_log_bucket_policy, bucket_arn, tls_only_bucket_policy, to_json


@dataclass(frozen=True)
class AlbLogDelivery:
    """Let Elastic Load Balancing write access logs under ``<prefix>/`` for the context's account and region."""

    prefix: str = "alb"


@dataclass(frozen=True)
class BucketArgs:
    context: StackContext
    bucket_name: str
    versioned: bool = False
    expire_after_days: int | None = None
    """Delete objects (and old versions) this many days after creation; None keeps them."""
    kms_key_arn: str | None = None
    alb_log_delivery: AlbLogDelivery | None = None
    force_destroy: bool = False
    """Delete the bucket even if it holds objects. Never in prod."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9](?!.*\.\.)[a-z0-9.-]{1,61}[a-z0-9]", self.bucket_name):
            raise ValueError(f"bucket_name {self.bucket_name!r} is not a valid S3 bucket name (3-63 lower-case "
                             "letters, digits, '.' and '-')")
        if self.expire_after_days is not None and self.expire_after_days < 1:
            raise ValueError(f"expire_after_days must be at least 1, got {self.expire_after_days}")
        if self.alb_log_delivery and self.kms_key_arn:
            raise ValueError("ALB access logs support only SSE-S3; drop kms_key_arn for a log bucket")


class Bucket(pulumi.ComponentResource):
    bucket_name: str
    arn: str

    def __init__(self, name: str, args: BucketArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:storage:Bucket", name, None, opts)
        child = ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(f"{name}-bucket", bucket=args.bucket_name, force_destroy=args.force_destroy,
                               tags=args.context.tagged(args.bucket_name), opts=child)
        block = aws.s3.BucketPublicAccessBlock(f"{name}-public-access", bucket=bucket.id, block_public_acls=True,
                                               block_public_policy=True, ignore_public_acls=True,
                                               restrict_public_buckets=True, opts=child)
        aws.s3.BucketOwnershipControls(f"{name}-ownership", bucket=bucket.id,
                                       rule={"object_ownership": "BucketOwnerEnforced"}, opts=child)
        default = ({"sse_algorithm": "aws:kms", "kms_master_key_id": args.kms_key_arn} if args.kms_key_arn
                   else {"sse_algorithm": "AES256"})
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": default, "bucket_key_enabled": bool(args.kms_key_arn)}],
            opts=child)
        if args.versioned:
            aws.s3.BucketVersioning(f"{name}-versioning", bucket=bucket.id,
                                    versioning_configuration={"status": "Enabled"}, opts=child)
        if args.expire_after_days:
            days = args.expire_after_days
            aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", bucket=bucket.id, rules=[{
                "id": f"expire-after-{days}-days", "status": "Enabled", "filter": {},
                "expiration": {"days": days},
                "noncurrent_version_expiration": {"noncurrent_days": days},
                "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
            }], opts=child)
        delivery = args.alb_log_delivery
        policy = (alb_log_bucket_policy(args.bucket_name, args.context.account_id, args.context.region, delivery.prefix)
                  if delivery else tls_only_bucket_policy(args.bucket_name))
        # The policy waits for the public access block, or S3 may judge it against the old settings.
        aws.s3.BucketPolicy(f"{name}-policy", bucket=bucket.id, policy=to_json(policy),
                            opts=ResourceOptions(parent=self, depends_on=[block]))

        self.bucket_name = args.bucket_name
        self.arn = bucket_arn(args.bucket_name)
        self.register_outputs({"bucketName": bucket.bucket, "arn": bucket.arn})
