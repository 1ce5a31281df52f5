"""Edge: the load balancer speaks modern TLS, redirects HTTP, logs, drops bad headers, and is protected."""

from __future__ import annotations

from collections.abc import Iterator

from . import _types as t
from ._frame import HIGH, LOW, MEDIUM, UNKNOWN, Context, Graph, Res, Rule, as_bool, dicts, get, known_strings

AREA = "edge"
# Elastic Load Balancing policies that accept only TLS 1.2 and newer
# (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html).
TLS12_POLICIES = frozenset({
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
})
RECOMMENDED_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
ENCRYPTED_PROTOCOLS = {"HTTPS", "TLS"}


def _is_application(res: Res) -> bool:
    kind = res.get("loadBalancerType")
    return kind in (None, "", "application") or kind is UNKNOWN


def _protocol(listener: Res) -> str | None:
    value = listener.get("protocol")
    return value.upper() if isinstance(value, str) else None


def _redirects_to_https(listener: Res) -> bool | object:
    actions = listener.get("defaultActions")
    if actions is UNKNOWN:
        return UNKNOWN
    for action in dicts(actions):
        protocol = get(action, "redirect", "protocol")
        if protocol is UNKNOWN:
            return UNKNOWN
        if action.get("type") == "redirect" and isinstance(protocol, str) and protocol.upper() == "HTTPS":
            return True
    return False


def check_http_redirect(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    listeners = graph.of_type(*t.LISTENERS)
    for lb in graph.of_type(*t.LOAD_BALANCERS):
        own = [listener for listener in listeners if lb in graph.linked(listener, "loadBalancerArn", *t.LOAD_BALANCERS)]
        if any(listener.get("protocol") is UNKNOWN for listener in own):
            ctx.unknown(f"{lb.name} listener protocols")
        if not any(_protocol(listener) in ENCRYPTED_PROTOCOLS for listener in own):
            continue
        for listener in own:
            if _protocol(listener) != "HTTP":
                continue
            redirects = _redirects_to_https(listener)
            if redirects is UNKNOWN:
                ctx.unknown(f"{listener.name}.defaultActions")
            elif redirects is not True:
                yield listener, (f"HTTP listener {listener.name} of {lb.name} serves plain HTTP although the load "
                                 "balancer has an HTTPS listener; make its default action a redirect to HTTPS "
                                 "(port 443, HTTP_301).")


def check_tls_policy(res: Res, ctx: Context) -> Iterator[str]:
    protocol = res.get("protocol")
    if protocol is UNKNOWN:
        ctx.unknown("protocol")
        return
    if not (isinstance(protocol, str) and protocol.upper() in ENCRYPTED_PROTOCOLS):
        return
    allowed = set(known_strings(ctx.config.get("allowedPolicies"))) or TLS12_POLICIES
    policy = res.get("sslPolicy")
    if policy is UNKNOWN:
        ctx.unknown("sslPolicy")
    elif policy not in allowed:
        shown = policy if isinstance(policy, str) and policy else "not set (AWS then uses ELBSecurityPolicy-2016-08)"
        yield f"ssl_policy is {shown}; use a TLS 1.2+ policy such as {RECOMMENDED_POLICY}."


def check_drop_invalid_headers(res: Res, ctx: Context) -> Iterator[str]:
    if not _is_application(res):
        return
    value = as_bool(res.get("dropInvalidHeaderFields"))
    if value is UNKNOWN:
        ctx.unknown("dropInvalidHeaderFields")
    elif value is not True:
        yield "drop_invalid_header_fields is not true; set drop_invalid_header_fields=True."


def check_access_logs(res: Res, ctx: Context) -> Iterator[str]:
    if res.get("loadBalancerType") == "gateway":
        return
    enabled = as_bool(res.get("accessLogs", "enabled"))
    if enabled is UNKNOWN:
        ctx.unknown("accessLogs.enabled")
    elif enabled is not True:
        yield "access logs are off; set access_logs with enabled=True and an encrypted S3 bucket."


def check_deletion_protection(res: Res, ctx: Context) -> Iterator[str]:
    value = as_bool(res.get("enableDeletionProtection"))
    if value is UNKNOWN:
        ctx.unknown("enableDeletionProtection")
    elif value is not True:
        yield "enable_deletion_protection is not true; set enable_deletion_protection=True in prod."


def check_waf(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    if not ctx.flag("requireWaf", stack_key="waf"):
        ctx.skip("this stack does not require WAF (requireWaf / accunode:waf)")
        return
    associations = graph.of_type(t.WAF_ASSOCIATION)
    for lb in graph.of_type(*t.LOAD_BALANCERS):
        if not _is_application(lb) or as_bool(lb.get("internal")) is True:
            continue
        if not any(lb in graph.linked(a, "resourceArn", *t.LOAD_BALANCERS) for a in associations):
            yield lb, (f"load balancer {lb.name} has no web ACL although this stack requires WAF; add "
                       "aws.wafv2.WebAclAssociation(resource_arn=<the load balancer's ARN>, web_acl_arn=...).")


LB_TYPES = t.LOAD_BALANCERS
RULES = [
    Rule("alb-http-redirects-to-https", AREA,
         "HTTP listeners must redirect to HTTPS when the load balancer has an HTTPS listener.",
         HIGH, check_http_redirect, stack=True),
    Rule("alb-tls-policy", AREA, "HTTPS listeners must use a TLS 1.2+ security policy.",
         HIGH, check_tls_policy, types=t.LISTENERS,
         settings={"allowedPolicies": {"type": "array", "items": {"type": "string"},
                                       "description": "Replaces the built-in list of TLS 1.2+ policies."}}),
    Rule("alb-drop-invalid-headers", AREA, "Application load balancers must drop invalid HTTP header fields.",
         MEDIUM, check_drop_invalid_headers, types=LB_TYPES),
    Rule("alb-access-logs", AREA, "Load balancers must write access logs.",
         MEDIUM, check_access_logs, types=LB_TYPES),
    Rule("alb-deletion-protection", AREA, "Load balancers in prod must have deletion protection.",
         LOW, check_deletion_protection, types=LB_TYPES, prod_only=True),
    Rule("alb-waf-attached", AREA,
         "Internet-facing application load balancers must have a WAF web ACL when the stack requires WAF.",
         HIGH, check_waf, stack=True,
         settings={"requireWaf": {
             "type": "boolean", "description": "Require a web ACL (default: stack config accunode:waf, else false).",
         }}),
]
