"""Resource policies: no public principals on S3, ECR, SQS, SNS, KMS, Secrets Manager and Lambda."""

from __future__ import annotations

from collections.abc import Iterator

from . import _iam as iam
from . import _types as t
from ._frame import CRITICAL, UNKNOWN, Context, Res, Rule, as_str
from .identity import open_statement

AREA = "resource-policies"
LAMBDA_SCOPING_KEYS = ("sourceArn", "sourceAccount", "principalOrgId")


def _lambda_permission(res: Res, ctx: Context) -> Iterator[str]:
    principal = as_str(res.get("principal"))
    if principal is UNKNOWN:
        ctx.unknown("principal")
        return
    if principal != "*":
        return
    if res.get("functionUrlAuthType") == "NONE":
        yield ("grants lambda:InvokeFunctionUrl to principal \"*\" with function_url_auth_type NONE, so anyone on "
               "the internet can invoke the function; use AWS_IAM auth and name the caller.")
        return
    scoping = [res.get(key) for key in LAMBDA_SCOPING_KEYS]
    if UNKNOWN in scoping:
        ctx.unknown("sourceArn/sourceAccount")
    elif not any(isinstance(v, str) and v.strip() for v in scoping):
        yield ("grants invocation to principal \"*\" without source_arn, source_account or principal_org_id; name "
               "the calling service and set source_arn (or source_account).")


def check_resource_policy_public(res: Res, ctx: Context) -> Iterator[str]:
    if res.type == t.LAMBDA_PERMISSION:
        yield from _lambda_permission(res, ctx)
        return
    document = iam.document(res.get("policy"), ctx, "policy")
    for index, statement in enumerate(iam.statements(document)):
        if not iam.allows(statement):
            continue
        _, unknown = iam.principal_values(statement)
        if unknown:
            ctx.unknown(f"policy statement {index} Principal")
        reason = open_statement(statement)
        if reason:
            sid = statement.get("Sid")
            label = f"statement {sid!r}" if isinstance(sid, str) and sid else f"statement {index}"
            yield (f"policy {label} allows {reason}, which makes the resource public; name the account, role or "
                   "service principal, or add a condition on aws:SourceArn / aws:SourceAccount / aws:PrincipalOrgID.")


RULES = [
    Rule("resource-policy-not-public", AREA,
         "Resource policies (S3, ECR, SQS, SNS, KMS, Secrets Manager, Lambda) must not allow a public principal.",
         CRITICAL, check_resource_policy_public, types=(*t.RESOURCE_POLICY_TYPES, t.LAMBDA_PERMISSION)),
]
