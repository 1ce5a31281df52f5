"""Hardening: advisory by default, mandatory by config (``"<id>": "mandatory"`` in --policy-pack-config).

KMS key rotation, encrypted SNS topics and SQS queues, EC2 instances and launch templates with IMDSv2
and no public IP, Lambda function URLs with auth, flow logs that record all traffic, RDS log exports.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import _types as t
from ._frame import ADVISORY, LOW, MEDIUM, UNKNOWN, Context, Expect, Forbid, Res, Rule, as_bool, dicts, get, text

AREA = "hardening"
ASYMMETRIC_PREFIXES = ("RSA_", "ECC_", "HMAC_", "SM2")


def _symmetric(res: Res) -> bool:
    spec = text(res.get("customerMasterKeySpec")) or text(res.get("keySpec")) or "SYMMETRIC_DEFAULT"
    return not spec.upper().startswith(ASYMMETRIC_PREFIXES)


def check_sns_encrypted(res: Res, ctx: Context) -> Iterator[str]:
    key = res.get("kmsMasterKeyId")
    if key is not UNKNOWN and not (isinstance(key, str) and key.strip()):  # an unknown key is a key of this stack
        yield "kms_master_key_id is not set, so messages are stored unencrypted; set it to a KMS key."


def check_sqs_encrypted(res: Res, ctx: Context) -> Iterator[str]:
    managed, key = as_bool(res.get("sqsManagedSseEnabled")), res.get("kmsMasterKeyId")
    if key is UNKNOWN:  # a key of this stack, not known yet: encrypted
        return
    if managed is UNKNOWN:
        ctx.unknown("sqsManagedSseEnabled")
    elif managed is False and not (isinstance(key, str) and key.strip()):
        yield ("sqs_managed_sse_enabled is false and no kms_master_key_id is set, so messages are stored "
               "unencrypted; set sqs_managed_sse_enabled=True or a KMS key.")


def check_no_public_ip(res: Res, ctx: Context) -> Iterator[str]:
    if res.type == t.EC2_INSTANCE:
        interfaces = [{"associatePublicIpAddress": res.get("associatePublicIpAddress")}]
    else:
        interfaces = list(dicts(res.get("networkInterfaces")))
        if res.get("networkInterfaces") is UNKNOWN:
            ctx.unknown("networkInterfaces")
    for interface in interfaces:
        value = as_bool(get(interface, "associatePublicIpAddress"))
        if value is UNKNOWN:
            ctx.unknown("associatePublicIpAddress")
        elif value is True:
            yield ("associate_public_ip_address is true; set it to false and reach the internet through the NAT "
                   "gateway.")


def check_rds_log_exports(res: Res, ctx: Context) -> Iterator[str]:
    exports = res.get("enabledCloudwatchLogsExports")
    if exports is UNKNOWN:
        ctx.unknown("enabledCloudwatchLogsExports")
        return
    listed = {e.lower() for e in exports if isinstance(e, str)} if isinstance(exports, list) else set()
    engine = (text(res.get("engine")) or "postgres").lower()
    wanted = "postgresql" if "postgres" in engine else "error" if engine.startswith(("mysql", "mariadb", "aurora")) \
        else None
    if wanted and wanted not in listed:
        yield (f"enabled_cloudwatch_logs_exports does not include {wanted!r}, so the database's logs stay on the "
               f"instance; add {wanted!r} (and 'upgrade') and give the log group a retention.")


HARDENING = {"enforcement": ADVISORY}
RULES = [
    Rule("kms-key-rotation", AREA, "Symmetric KMS keys rotate their key material yearly.", MEDIUM,
         Expect("enableKeyRotation", True, fix="set enable_key_rotation=True", when=_symmetric),
         types=(t.KMS_KEY,), **HARDENING),
    Rule("sns-topic-encrypted", AREA, "SNS topics encrypt messages at rest with KMS.", MEDIUM, check_sns_encrypted,
         types=(t.SNS_TOPIC,), **HARDENING),
    Rule("sqs-queue-encrypted", AREA, "SQS queues keep server-side encryption on (SSE-SQS or KMS).", MEDIUM,
         check_sqs_encrypted, types=(t.SQS_QUEUE,), **HARDENING),
    Rule("ec2-imdsv2-required", AREA, "EC2 instances and launch templates require IMDSv2 (http_tokens = required).",
         MEDIUM, Expect("metadataOptions.httpTokens", "required",
                        fix="set metadata_options.http_tokens=\"required\""),
         types=(t.EC2_INSTANCE, t.LAUNCH_TEMPLATE), **HARDENING),
    Rule("ec2-no-public-ip", AREA, "EC2 instances and launch templates do not associate public IP addresses.",
         MEDIUM, check_no_public_ip, types=(t.EC2_INSTANCE, t.LAUNCH_TEMPLATE), **HARDENING),
    Rule("lambda-function-url-auth", AREA, "Lambda function URLs require IAM auth (authorization_type AWS_IAM).",
         MEDIUM, Forbid("authorizationType", "NONE", fix="set authorization_type=\"AWS_IAM\" and sign requests"),
         types=(t.LAMBDA_FUNCTION_URL,), **HARDENING),
    Rule("flow-log-all-traffic", AREA, "Flow logs record all traffic, not only accepted or rejected packets.", LOW,
         Expect("trafficType", "ALL", fix="set traffic_type=\"ALL\" so investigations see accepted traffic too"),
         types=(t.FLOW_LOG,), **HARDENING),
    Rule("rds-log-exports", AREA, "RDS instances and clusters export their database logs to CloudWatch.", LOW,
         check_rds_log_exports, types=(t.RDS_INSTANCE, t.RDS_CLUSTER), **HARDENING),
]
