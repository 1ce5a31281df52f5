"""Edge: the load balancer speaks modern TLS, redirects HTTP, logs, drops bad headers, and is protected."""

from __future__ import annotations

from collections.abc import Iterator

from . import _types as t
from ._frame import CRITICAL, HIGH, LOW, MEDIUM, UNKNOWN, Context, Graph, Res, Rule, as_bool, dicts, known_strings

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


SERVING_ACTIONS = {"forward", "authenticate-oidc", "authenticate-cognito"}  # redirect/fixed-response serve no app


def _serves(actions: object) -> bool | object:
    """Whether actions pass traffic to targets (UNKNOWN when they cannot be read)."""
    if actions is UNKNOWN:
        return UNKNOWN
    kinds = [a.get("type") for a in dicts(actions)]
    if UNKNOWN in kinds:
        return UNKNOWN
    return any(isinstance(k, str) and k.lower() in SERVING_ACTIONS for k in kinds)


def _internet_facing(lb: Res) -> bool | object:
    internal = as_bool(lb.get("internal"))
    return UNKNOWN if internal is UNKNOWN else internal is not True and lb.get("loadBalancerType") != "gateway"


def _plain_serving(graph: Graph, ctx: Context, listener: Res) -> list[str]:
    """Where a plain (non-TLS) listener passes traffic on: its default actions and each listener rule."""
    found = []
    serves = _serves(listener.get("defaultActions"))
    if serves is UNKNOWN:
        ctx.unknown(f"{listener.name}.defaultActions")
    elif serves:
        found.append("its default action forwards")
    for rule in graph.pointing_at(listener, "listenerArn", *t.LISTENER_RULES):
        serves = _serves(rule.get("actions"))
        if serves is UNKNOWN:
            ctx.unknown(f"{rule.name}.actions")
        elif serves:
            found.append(f"listener rule {rule.name} forwards")
    return found


def _listeners(graph: Graph, lb: Res) -> list[Res]:
    return [listener for listener in graph.of_type(*t.LISTENERS)
            if lb in graph.linked(listener, "loadBalancerArn", *t.LOAD_BALANCERS)]


def check_http_redirect(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for lb in graph.of_type(*t.LOAD_BALANCERS):
        own = _listeners(graph, lb)
        if any(listener.get("protocol") is UNKNOWN for listener in own):
            ctx.unknown(f"{lb.name} listener protocols")
        if not any(_protocol(listener) in ENCRYPTED_PROTOCOLS for listener in own):
            continue
        for listener in own:
            if _protocol(listener) in ENCRYPTED_PROTOCOLS or _protocol(listener) is None:
                continue
            for where in _plain_serving(graph, ctx, listener):
                yield listener, (f"{_protocol(listener)} listener {listener.name} of {lb.name} serves traffic in the "
                                 f"clear ({where}) although the load balancer has a TLS listener; make HTTP "
                                 "listeners and their rules only redirect to HTTPS (port 443, HTTP_301), and move "
                                 "TCP services to a TLS listener.")


def check_public_entry_tls(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for lb in graph.of_type(*t.LOAD_BALANCERS):
        facing = _internet_facing(lb)
        if facing is UNKNOWN:
            ctx.unknown(f"{lb.name}.internal")
        if facing is not True:
            continue
        own = _listeners(graph, lb)
        for listener in own:
            protocol = _protocol(listener)
            if listener.get("protocol") is UNKNOWN:
                ctx.unknown(f"{listener.name}.protocol")
            elif protocol not in ENCRYPTED_PROTOCOLS:
                for where in _plain_serving(graph, ctx, listener):
                    yield listener, (f"internet-facing load balancer {lb.name} serves {protocol or 'plain'} traffic "
                                     f"on listener {listener.name} ({where}); in prod every public entry uses TLS: "
                                     "an HTTPS (or TLS) listener with an ACM certificate, HTTP only redirecting.")
        if own and not any(_protocol(listener) in ENCRYPTED_PROTOCOLS for listener in own) and \
                not any(listener.get("protocol") is UNKNOWN for listener in own):
            yield lb, (f"internet-facing load balancer {lb.name} has no TLS listener; add an HTTPS listener with an "
                       "ACM certificate (accunode:certificateArn).")


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
         "When a load balancer has a TLS listener, its plain listeners only redirect (default actions and "
         "listener rules alike).", HIGH, check_http_redirect, stack=True),
    Rule("lb-public-entry-tls", AREA,
         "In prod, every internet-facing load balancer (ALB or NLB) serves traffic only over TLS.",
         CRITICAL, check_public_entry_tls, stack=True, prod_only=True),
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
