"""The public edge: an application load balancer in the public subnets in front of the API tasks.

HTTPS terminates here with a TLS 1.2+ policy when the stack has a certificate, and plain HTTP then
only redirects; a stack without a certificate (dev) forwards HTTP. The load balancer drops invalid
header fields, writes access logs to its own SSE-S3 bucket (ELB log delivery does not support
SSE-KMS) that forgets them after 7 days, is protected from deletion in prod, and optionally sits
behind a WAF web ACL with AWS managed rule groups and a per-IP rate limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from accunode import awsrules
from accunode.specs import deployment
from accunode.specs.context import StackContext
from components.network import SubnetSet
from components.storage import AlbLogDelivery, Bucket, BucketArgs

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesAmazonIpReputationList")
LOG_PREFIX = "alb"


@dataclass(frozen=True)
class LoadBalancerArgs:
    context: StackContext
    vpc_id: Input[str]
    subnets: SubnetSet
    security_group_ids: Sequence[Input[str]]
    log_bucket_name: str
    app_port: int = 8000
    health_check_path: str = "/health"
    deregistration_delay: int = 60
    certificate_arn: str | None = None
    deletion_protection: bool = False
    waf: bool = False
    waf_rate_limit: int = 2000
    """Requests per IP in any 5-minute window before the rate rule blocks it."""
    log_retention_days: int = 7
    progressive: bool = False
    """The API releases blue/green, canary or linear (accunode/specs/deployment.py): a second target
    group, and the production and test listener rules whose weights ECS shifts, on the listener that
    serves (HTTPS with a certificate; the HTTP listener then stays a redirect)."""

    def __post_init__(self) -> None:
        if self.subnets.tier != "public":
            raise ValueError(f"an internet-facing load balancer needs public subnets, got {self.subnets.tier}")
        if len(self.subnets.ids) < 2:
            raise ValueError("a load balancer needs subnets in at least two availability zones")
        if not self.security_group_ids:
            raise ValueError("security_group_ids must name the load balancer's group")
        if len(f"{self.context.name_prefix}-alb") > awsrules.LOAD_BALANCER_NAME_MAX:
            raise ValueError(f"{self.context.name_prefix}-alb is longer than the {awsrules.LOAD_BALANCER_NAME_MAX} "
                             "characters AWS allows for load balancer names; use a shorter stack name")
        if not self.health_check_path.startswith("/"):
            raise ValueError(f"health_check_path {self.health_check_path!r} must start with '/'")
        if not 0 <= self.deregistration_delay <= 3600:
            raise ValueError(f"deregistration_delay {self.deregistration_delay} must be 0-3600 seconds")
        if not 10 <= self.waf_rate_limit <= 2_000_000_000:
            raise ValueError(f"waf_rate_limit {self.waf_rate_limit} must be at least 10 requests per 5 minutes")
        if self.certificate_arn is not None and not awsrules.ACM_CERTIFICATE_ARN.fullmatch(self.certificate_arn):
            raise ValueError(f"certificate_arn {self.certificate_arn!r} is not an ACM certificate ARN")


def _visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def waf_rules(metric_prefix: str, rate_limit: int) -> list[dict[str, Any]]:
    """The web ACL's rules: AWS managed groups in order, then a per-IP rate limit."""
    rules: list[dict[str, Any]] = [{
        "name": group, "priority": 10 * (index + 1), "override_action": {"none": {}},
        "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
        "visibility_config": _visibility(f"{metric_prefix}-{group}"),
    } for index, group in enumerate(MANAGED_RULE_GROUPS)]
    rules.append({
        "name": "rate-limit-per-ip", "priority": 10 * (len(rules) + 1), "action": {"block": {}},
        "statement": {"rate_based_statement": {"limit": rate_limit, "aggregate_key_type": "IP"}},
        "visibility_config": _visibility(f"{metric_prefix}-rate-limit"),
    })
    return rules


class LoadBalancer(pulumi.ComponentResource):
    arn: Output[str]
    arn_suffix: Output[str]
    dns_name: Output[str]
    target_group_arn: Output[str]
    target_group_arn_suffix: Output[str]
    alternate_target_group_arn: Output[str] | None
    alternate_target_group_arn_suffix: Output[str] | None
    production_rule_arn: Output[str] | None
    test_rule_arn: Output[str] | None
    name: str
    """The load balancer's name (``<prefix>-alb``), known at preview."""
    log_bucket_name: str
    web_acl_arn: Output[str] | None

    def __init__(self, name: str, args: LoadBalancerArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:edge:LoadBalancer", name, None, opts)
        prefix = args.context.name_prefix
        child = ResourceOptions(parent=self)

        tags = args.context.tagged

        logs = Bucket(f"{name}-logs", BucketArgs(
            args.context, bucket_name=args.log_bucket_name, expire_after_days=args.log_retention_days,
            alb_log_delivery=AlbLogDelivery(LOG_PREFIX),
            force_destroy=not args.deletion_protection), opts=child)
        lb_name = f"{prefix}-alb"
        # ELB checks that it can write to the bucket when access logs are enabled: wait for the policy.
        lb = aws.lb.LoadBalancer(
            f"{name}-alb", name=lb_name, load_balancer_type="application", internal=False,
            subnets=list(args.subnets.ids), security_groups=list(args.security_group_ids),
            drop_invalid_header_fields=True, enable_deletion_protection=args.deletion_protection,
            access_logs={"bucket": args.log_bucket_name, "prefix": LOG_PREFIX, "enabled": True},
            tags=tags(lb_name), opts=ResourceOptions(parent=self, depends_on=[logs]))
        tg_name = f"{prefix}-api"

        # No explicit names: Pulumi auto-names them, so a replacing change creates the new group, moves the
        # listener and the service to it, then deletes the old one. An explicit name would make the
        # replacement delete-before-create of a group still in use by the listener (ResourceInUse).
        def api_group(logical: str, label: str) -> aws.lb.TargetGroup:
            return aws.lb.TargetGroup(
                logical, port=args.app_port, protocol="HTTP", target_type="ip",
                vpc_id=args.vpc_id, deregistration_delay=args.deregistration_delay,
                health_check={"enabled": True, "path": args.health_check_path, "protocol": "HTTP",
                              "port": "traffic-port", "matcher": "200", "interval": 30, "timeout": 5,
                              "healthy_threshold": 3, "unhealthy_threshold": 2},
                tags=tags(label), opts=child)

        target_group = api_group(f"{name}-api", tg_name)
        # Auto-names are the logical name and 8 characters; target group names have at most 32.
        alternate = api_group(f"{name}-api-alt", f"{tg_name}-alt") if args.progressive else None
        forward: list[dict[str, Any]] = [{"type": "forward", "target_group_arn": target_group.arn}]
        # With a progressive release the listener rules route every request; the default answers 404.
        serve = ([{"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "status_code": "404",
                                                                "message_body": "not found"}}]
                 if args.progressive else forward)
        if args.certificate_arn:
            serving = aws.lb.Listener(
                f"{name}-https", load_balancer_arn=lb.arn, port=443, protocol="HTTPS", ssl_policy=TLS_POLICY,
                certificate_arn=args.certificate_arn, default_actions=serve, tags=tags(f"{lb_name}-https"),
                opts=child)
            http_actions: list[dict[str, Any]] = [{"type": "redirect", "redirect": {
                "protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}]
        else:
            http_actions = serve  # no certificate (dev): serve HTTP rather than redirect to nothing
        http = aws.lb.Listener(f"{name}-http", load_balancer_arn=lb.arn, port=80, protocol="HTTP",
                               default_actions=http_actions, tags=tags(f"{lb_name}-http"), opts=child)
        if not args.certificate_arn:
            serving = http

        self.alternate_target_group_arn = self.alternate_target_group_arn_suffix = None
        self.production_rule_arn = self.test_rule_arn = None
        if alternate is not None:
            # ECS moves the weights of these rules during a deployment; Pulumi must not move them back.
            shifted = ResourceOptions(parent=self, ignore_changes=["actions"])
            rules = {}
            for rule, priority in (("test", deployment.TEST_RULE_PRIORITY),
                                   ("production", deployment.PRODUCTION_RULE_PRIORITY)):
                rules[rule] = aws.lb.ListenerRule(
                    f"{name}-{rule}-rule", listener_arn=serving.arn, priority=priority,
                    conditions=deployment.rule_conditions(rule),  # type: ignore[arg-type]
                    actions=deployment.forward_weighted(target_group.arn, alternate.arn),
                    tags=tags(f"{lb_name}-{rule}"), opts=shifted)
            self.alternate_target_group_arn = alternate.arn
            self.alternate_target_group_arn_suffix = alternate.arn_suffix
            self.production_rule_arn, self.test_rule_arn = rules["production"].arn, rules["test"].arn

        self.web_acl_arn = None
        if args.waf:
            acl = aws.wafv2.WebAcl(
                f"{name}-waf", name=f"{prefix}-waf", scope="REGIONAL", default_action={"allow": {}},
                rules=waf_rules(prefix, args.waf_rate_limit), visibility_config=_visibility(f"{prefix}-waf"),
                description="AWS managed rule groups and a per-IP rate limit in front of the AccuNode API",
                tags=tags(f"{prefix}-waf"), opts=child)
            aws.wafv2.WebAclAssociation(f"{name}-waf-association", resource_arn=lb.arn, web_acl_arn=acl.arn,
                                        opts=child)
            self.web_acl_arn = acl.arn

        self.arn, self.arn_suffix, self.dns_name = lb.arn, lb.arn_suffix, lb.dns_name
        self.target_group_arn, self.target_group_arn_suffix = target_group.arn, target_group.arn_suffix
        self.name, self.log_bucket_name = lb_name, args.log_bucket_name
        self.register_outputs({"arn": lb.arn, "dnsName": lb.dns_name, "targetGroupArn": target_group.arn,
                               "alternateTargetGroupArn": self.alternate_target_group_arn,
                               "productionRuleArn": self.production_rule_arn, "testRuleArn": self.test_rule_arn,
                               "logBucketName": args.log_bucket_name})
