"""Every security rule through the SDK's Analyzer servicer: the secure stack passes, each weakening fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import accunode_security as security
import pytest

from tests.policies._requests import PackHarness, Result
from tests.policies._stack import (
    UNSET,
    StackBuilder,
    container_definitions,
    github_trust,
    policy_document,
    secure_stack,
    set_prop,
)

RULE_IDS = [rule.id for rule in security.RULES]
LEVELS = {rule.id: rule.enforcement.value for rule in security.RULES}
PROD = {"accunode:environment": "prod"}
WAF_REQUIRED = {"alb-waf-attached": {"requireWaf": True}}

Weakening = Callable[[StackBuilder], Any]


def harness(policy_config: dict[str, Any] | None = None, stack_config: dict[str, str] | None = None) -> PackHarness:
    config = {**WAF_REQUIRED, **(policy_config or {})}
    return PackHarness(security.PACK_NAME, security.ALL_POLICIES, security.PACK_ENFORCEMENT, config,
                       PROD if stack_config is None else stack_config)


def preview(stack: StackBuilder, **kwargs: Any) -> Result:
    return harness(**kwargs).preview(stack.resources.values())


# -- weakenings -----------------------------------------------------------------------------------

def setp(name: str, path: str, value: Any) -> Weakening:
    """Set a property; ``value`` may be a function of the stack (to use ids and ARNs)."""
    return lambda s: set_prop(s.resources[name], path, value(s) if callable(value) else value)


def remove(name: str) -> Weakening:
    return lambda s: s.resources.pop(name)


def link(name: str, key: str, targets: list[str], value: Any) -> Weakening:
    """Point input ``key`` of ``name`` at other resources (value and property dependency)."""
    def apply(s: StackBuilder) -> None:
        set_prop(s.resources[name], key, value(s) if callable(value) else value)
        s.resources[name].property_dependencies[key] = [s.resources[t].urn for t in targets]
    return apply


def unlink(name: str, key: str) -> Weakening:
    def apply(s: StackBuilder) -> None:
        set_prop(s.resources[name], key, UNSET)
        s.resources[name].property_dependencies.pop(key, None)
    return apply


def both(*steps: Weakening) -> Weakening:
    def apply(s: StackBuilder) -> None:
        for step in steps:
            step(s)
    return apply


def without_dependencies(step: Weakening) -> Weakening:
    """As on a later `pulumi up` read from state: links only through known ids, names and ARNs."""
    def apply(s: StackBuilder) -> None:
        step(s)
        for resource in s.resources.values():
            resource.property_dependencies = {}
    return apply


def add(type_: str, name: str, inputs: Callable[[StackBuilder], dict[str, Any]], **deps: str) -> Weakening:
    return lambda s: s.add(type_, name, inputs(s), **deps)


INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOCUMENT = policy_document({"Effect": "Allow", "Action": "*", "Resource": "*"})


def _containers(**overrides: Any) -> Weakening:
    return setp("api-task", "containerDefinitions", container_definitions(**overrides))


def _environment(name: str, value: str) -> Weakening:
    return _containers(environment=[{"name": name, "value": value}])


WEAKENINGS: dict[str, list[tuple[str, Weakening]]] = {
    "data-tier-private-subnets": [
        ("db subnet group holds the public subnet",
         link("db-subnets", "subnetIds", ["public-a"], lambda s: [s.id("public-a")])),
        ("cache subnet group holds the public subnet",
         link("cache-subnets", "subnetIds", ["public-a"], lambda s: [s.id("public-a")])),
        ("private subnet maps public IPs", setp("private-a", "mapPublicIpOnLaunch", True)),
        ("private route table gets an inline internet-gateway route",
         link("private-rt", "routes", ["nat", "igw"],
              lambda s: [{"cidrBlock": "0.0.0.0/0", "gatewayId": s.id("igw")}])),
        ("private subnet associated with the public route table",
         link("private-a-rta", "routeTableId", ["public-rt"], lambda s: s.id("public-rt"))),
        ("RDS instance without a subnet group", unlink("db", "dbSubnetGroupName")),
        ("ids known, no property dependencies (later pulumi up)",
         without_dependencies(setp("db-subnets", "subnetIds", lambda s: [s.id("public-a")]))),
    ],
    "ecs-service-private-subnets": [
        ("service in the public subnet", link("api-service", "networkConfiguration", ["public-a", "api-sg"],
                                              lambda s: {"subnets": [s.id("public-a")],
                                                         "securityGroups": [s.id("api-sg")],
                                                         "assignPublicIp": False})),
    ],
    "ecs-service-no-public-ip": [("assignPublicIp true", setp("api-service", "networkConfiguration.assignPublicIp",
                                                              True))],
    "subnet-no-auto-public-ip": [("public subnet maps public IPs", setp("public-a", "mapPublicIpOnLaunch", True))],
    "security-group-public-ingress": [
        ("api group open to the internet", both(setp("api-from-alb", "cidrIpv4", "0.0.0.0/0"),
                                                unlink("api-from-alb", "referencedSecurityGroupId"))),
        ("load balancer group opens SSH", setp("alb-http", "fromPort", 22)),
        ("load balancer group opens a port range", setp("alb-https-v6", "toPort", 8443)),
        ("inline ::/0 ingress on the data group", setp("data-sg", "ingress", [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "ipv6CidrBlocks": ["::/0"]}])),
        ("ec2 SecurityGroupRule from anywhere on the api group",
         add(SG_RULE, "api-any", lambda s: {"type": "ingress", "securityGroupId": s.id("api-sg"), "protocol": "tcp",
                                            "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
             securityGroupId="api-sg")),
    ],
    "security-group-no-all-ports-ingress": [
        ("api ingress from the ALB on all protocols", setp("api-from-alb", "ipProtocol", "-1")),
        ("tcp 0-65535 from the api group", both(setp("data-5432-from-api", "fromPort", 0),
                                               setp("data-5432-from-api", "toPort", 65535))),
    ],
    "security-group-no-all-ports-egress": [("api egress on all protocols", setp("api-https-out", "ipProtocol", "-1"))],
    "security-group-data-tier-ingress": [
        ("database port from the VPC CIDR", both(setp("data-5432-from-api", "cidrIpv4", "10.0.0.0/16"),
                                                unlink("data-5432-from-api", "referencedSecurityGroupId"))),
        ("redis port from a CIDR on another group",
         add(SG_RULE, "redis-cidr", lambda s: {"type": "ingress", "securityGroupId": s.id("api-sg"),
                                               "protocol": "tcp", "fromPort": 6379, "toPort": 6379,
                                               "cidrBlocks": ["10.0.0.0/8"]}, securityGroupId="api-sg")),
    ],
    "default-security-group-closed": [
        ("default group keeps a rule", setp("default-sg", "ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0,
                                                                       "self": True}])),
        ("default group not managed", remove("default-sg")),
    ],
    "vpc-flow-logs": [("no flow log", remove("flow-log"))],
    "rds-storage-encrypted": [("unencrypted", setp("db", "storageEncrypted", False)),
                              ("encryption unset", setp("db", "storageEncrypted", UNSET))],
    "rds-not-publicly-accessible": [("public", setp("db", "publiclyAccessible", True))],
    "rds-backup-retention": [("1 day", setp("db", "backupRetentionPeriod", 1)),
                             ("unset", setp("db", "backupRetentionPeriod", UNSET))],
    "rds-deletion-protection": [("off", setp("db", "deletionProtection", False))],
    "rds-final-snapshot": [("skipped", setp("db", "skipFinalSnapshot", True))],
    "rds-force-ssl": [("force_ssl 0", setp("db-params", "parameters.0.value", "0")),
                      ("default parameter group", unlink("db", "parameterGroupName"))],
    "redis-encryption-at-rest": [("off", setp("cache", "atRestEncryptionEnabled", False))],
    "redis-encryption-in-transit": [("off", setp("cache", "transitEncryptionEnabled", UNSET))],
    "redis-auth": [("no token", setp("cache", "authToken", UNSET))],
    "ecs-container-non-root": [("root", _containers(user="root")), ("0:0", _containers(user="0:0")),
                               ("unset", _containers(user=None))],
    "ecs-container-read-only-root": [("writable", _containers(readonlyRootFilesystem=False))],
    "ecs-container-not-privileged": [("privileged", _containers(privileged=True))],
    "ecs-container-no-plaintext-secrets": [
        ("password name", _environment("DB_PASSWORD", "x")),
        ("database url name", _environment("DATABASE_URL", "postgresql://db/accunode")),
        ("AWS key value", _environment("UPSTREAM", "AKIAIOSFODNN7EXAMPLE")),
        ("URL with credentials", _environment("UPSTREAM", "https://user:pass@example.com/")),
    ],
    "ecs-container-logging": [("no log driver", _containers(logConfiguration=None))],
    "ecr-scan-on-push": [("off", setp("repo", "imageScanningConfiguration.scanOnPush", False))],
    "ecr-immutable-tags": [("mutable", setp("repo", "imageTagMutability", "MUTABLE"))],
    "ecr-lifecycle-policy": [("none", remove("repo-lifecycle")),
                             ("no rules", setp("repo-lifecycle", "policy", json.dumps({"rules": []})))],
    "alb-http-redirects-to-https": [("http forwards", setp("http", "defaultActions", [
        {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/api"}]))],
    "alb-tls-policy": [("TLS 1.0 policy", setp("https", "sslPolicy", "ELBSecurityPolicy-2016-08")),
                       ("unset", setp("https", "sslPolicy", UNSET))],
    "alb-drop-invalid-headers": [("kept", setp("alb", "dropInvalidHeaderFields", False))],
    "alb-access-logs": [("off", setp("alb", "accessLogs.enabled", False))],
    "alb-deletion-protection": [("off", setp("alb", "enableDeletionProtection", False))],
    "alb-waf-attached": [("no association", remove("waf-alb"))],
    "iam-no-admin-statements": [
        ("policy * on *", setp("app-policy", "policy", ADMIN_DOCUMENT)),
        ("role inline * on *", setp("task-role", "inlinePolicies", [{"name": "all", "policy": ADMIN_DOCUMENT}])),
    ],
    "iam-no-administrator-access": [("attachment", setp("app-policy-attach", "policyArn", ADMIN)),
                                    ("managedPolicyArns", setp("task-role", "managedPolicyArns", [ADMIN]))],
    "iam-passrole-scoped": [
        ("any role", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))),
        ("role wildcard via iam:*", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": ["iam:*"], "Resource": "arn:aws:iam::123456789012:role/*"}))),
    ],
    "iam-github-oidc-trust-pinned": [
        ("sub *", setp("deploy-role", "assumeRolePolicy", github_trust(sub="*"))),
        ("sub repo:org/*", setp("deploy-role", "assumeRolePolicy", github_trust(sub="repo:accunode/*"))),
        ("sub repo:*", setp("deploy-role", "assumeRolePolicy", github_trust(sub="repo:*"))),
        ("no sub", setp("deploy-role", "assumeRolePolicy", github_trust(sub=None))),
        ("no aud", setp("deploy-role", "assumeRolePolicy", github_trust(aud=None))),
        ("wrong aud", setp("deploy-role", "assumeRolePolicy", github_trust(aud="sts.example.com"))),
    ],
    "ecs-task-roles-distinct": [("same role", link("api-task", "taskRoleArn", ["execution-role"],
                                                   lambda s: s.arn("execution-role")))],
    "log-group-retention": [("forever", setp("api-logs", "retentionInDays", UNSET)),
                            ("zero", setp("flow-logs", "retentionInDays", 0))],
    "ssm-secret-parameters-secure": [
        ("database url as String", setp("database-url", "type", "String")),
        ("token-named parameter as String",
         add("aws:ssm/parameter:Parameter", "api-token",
             lambda s: {"name": "/accunode/test/api-token", "type": "String", "value": "x"})),
    ],
    "s3-public-access-blocked": [("no block", remove("alb-logs-pab")),
                                 ("one flag off", setp("alb-logs-pab", "restrictPublicBuckets", False))],
    "s3-bucket-encryption": [("no configuration", remove("alb-logs-sse"))],
    "security-exemptions": [],  # reports exemptions; see test_exemption_is_reported_as_advisory
}

CASES = [pytest.param(rule, weaken, id=f"{rule}: {label}")
         for rule, items in WEAKENINGS.items() for label, weaken in items]


def test_every_rule_has_weakenings() -> None:
    assert set(WEAKENINGS) == set(RULE_IDS)
    assert all(WEAKENINGS[rule] for rule in RULE_IDS if rule != "security-exemptions")


def test_secure_stack_passes_every_rule() -> None:
    result = preview(secure_stack())
    assert result.diagnostics == []
    assert result.not_applicable == []


@pytest.mark.parametrize("rule", RULE_IDS)
def test_rule_runs_and_passes_on_secure_stack(rule: str) -> None:
    result = preview(secure_stack())
    assert result.of(rule) == [] and result.skipped(rule) == []


@pytest.mark.parametrize(("rule", "weaken"), CASES)
def test_weakening_is_caught(rule: str, weaken: Weakening) -> None:
    stack = secure_stack()
    weaken(stack)
    found = preview(stack).of(rule)
    assert found, f"{rule} missed the weakening"
    assert {d.level for d in found} == {LEVELS[rule]}
    rule_obj = next(r for r in security.RULES if r.id == rule)
    assert all(d.message.startswith(rule_obj.description) for d in found)
