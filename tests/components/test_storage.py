"""Buckets: private, encrypted, TLS-only; the model bucket versioned, the log bucket expiring and ELB-writable."""

from __future__ import annotations

import json

import pytest

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph
from components.storage import AlbLogDelivery, Bucket, BucketArgs
from tests.components.stack import stack_context

SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
KEY = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


def _build(**overrides) -> ResourceGraph:
    args = BucketArgs(**{"context": stack_context(), "bucket_name": "accunode-test-models", "versioned": True,
                         **overrides})
    return run_program(lambda: Bucket("models", args))


@pytest.fixture(scope="module")
def models() -> ResourceGraph:
    return _build()


def test_bucket_blocks_all_public_access_and_acls(models):
    block = models.find(BLOCK)
    assert all(block.props[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                "restrictPublicBuckets"))
    assert block.property_dependencies["bucket"] == [models.find("aws:s3/bucket:Bucket").urn]
    ownership = models.find("aws:s3/bucketOwnershipControls:BucketOwnershipControls").props
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_bucket_is_encrypted_with_sse_s3_by_default_and_kms_when_given(models):
    assert models.find(SSE).props["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    with_key = _build(kms_key_arn=KEY).find(SSE).props["rules"][0]
    assert with_key["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}
    assert with_key["bucketKeyEnabled"] is True


def test_model_bucket_is_versioned_and_kept(models):
    versioning = models.find("aws:s3/bucketVersioning:BucketVersioning").props
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    assert not models.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert models.find("aws:s3/bucket:Bucket").props["forceDestroy"] is False


def test_every_bucket_denies_plain_http_after_its_public_access_block(models):
    policy = models.find(POLICY)
    (statement,) = json.loads(policy.props["policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert models.find(BLOCK).urn in policy.dependencies


def test_log_bucket_expires_objects_and_lets_elb_deliver():
    graph = _build(bucket_name="accunode-test-alb-logs", versioned=False, expire_after_days=7,
                   alb_log_delivery=AlbLogDelivery())
    (rule,) = graph.find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").props["rules"]
    assert rule["expiration"] == {"days": 7} and rule["status"] == "Enabled"
    statements = json.loads(graph.find(POLICY).props["policy"])["Statement"]
    assert {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"} in [s["Principal"] for s in statements]


@pytest.mark.parametrize("overrides, message", [
    ({"bucket_name": "Accunode"}, "bucket_name"),
    ({"bucket_name": "a..b"}, "bucket_name"),
    ({"expire_after_days": 0}, "expire_after_days"),
    ({"kms_key_arn": KEY, "alb_log_delivery": AlbLogDelivery()}, "SSE-S3"),
])
def test_bucket_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        BucketArgs(**{"context": stack_context(), "bucket_name": "accunode-test-models", **overrides})
