"""Every security rule through the SDK's Analyzer servicer: the secure stack passes, each weakening fails."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import accunode_security as security
import pytest

from tests.policies._requests import PackHarness, Result
from tests.policies._stack import (
    GITHUB_PROVIDER,
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
RDS, LB, LISTENER = "aws:rds/instance:Instance", "aws:lb/loadBalancer:LoadBalancer", "aws:lb/listener:Listener"
LISTENER_RULE, EC2 = "aws:lb/listenerRule:ListenerRule", "aws:ec2/instance:Instance"
SCHEDULE, PIPE = "aws:scheduler/schedule:Schedule", "aws:pipes/pipe:Pipe"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
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
        ("Aurora cluster without a subnet group", unlink("aurora", "dbSubnetGroupName")),
        ("standalone cache cluster in the default VPC", both(unlink("cache-node", "replicationGroupId"),
                                                             setp("cache-node", "engine", "memcached"))),
        ("read replica of a database moved to the public subnet", both(
            add(RDS, "replica", lambda s: {"replicateSourceDb": "db", "instanceClass": "db.t3.small"},
                replicateSourceDb="db"),
            link("db-subnets", "subnetIds", ["public-a"], lambda s: [s.id("public-a")]))),
    ],
    "ecs-service-private-subnets": [
        ("EventBridge task in the public subnet", link("nightly-task", "ecsTarget", ["api-task", "public-a"],
                                                       lambda s: {"taskDefinitionArn": s.arn("api-task"),
                                                                  "networkConfiguration": {
                                                                      "subnets": [s.id("public-a")]}})),
        ("task set in the public subnet", add("aws:ecs/taskSet:TaskSet", "canary", lambda s: {
            "networkConfiguration": {"subnets": [s.id("public-a")]}}, networkConfiguration="public-a")),
        ("service in the public subnet", link("api-service", "networkConfiguration", ["public-a", "api-sg"],
                                              lambda s: {"subnets": [s.id("public-a")],
                                                         "securityGroups": [s.id("api-sg")],
                                                         "assignPublicIp": False})),
    ],
    "ecs-service-no-public-ip": [
        ("assignPublicIp true", setp("api-service", "networkConfiguration.assignPublicIp", True)),
        ("EventBridge task with a public IP", setp("nightly-task", "ecsTarget.networkConfiguration.assignPublicIp",
                                                   "true")),
        ("EventBridge Scheduler task with a public IP", add(SCHEDULE, "weekly", lambda s: {"target": {
            "arn": "arn:aws:ecs:us-east-1:123456789012:cluster/accunode-test", "ecsParameters": {
                "taskDefinitionArn": s.arn("api-task"), "networkConfiguration": {
                    "subnets": [s.id("private-a")], "assignPublicIp": True}}}}, target="private-a")),
        ("pipe task ENABLED", add(PIPE, "pipe", lambda s: {"targetParameters": {"ecsTaskParameters": {
            "networkConfiguration": {"awsVpcConfiguration": {"subnets": [s.id("private-a")],
                                                             "assignPublicIp": "ENABLED"}}}}},
                                  targetParameters="private-a")),
    ],
    "subnet-no-auto-public-ip": [("public subnet maps public IPs", setp("public-a", "mapPublicIpOnLaunch", True))],
    "security-group-public-ingress": [
        ("api group open to the internet", both(setp("api-from-alb", "cidrIpv4", "0.0.0.0/0"),
                                                unlink("api-from-alb", "referencedSecurityGroupId"))),
        ("load balancer group opens SSH", setp("alb-http", "fromPort", 22)),
        ("load balancer group opens a port range", setp("alb-https-v6", "toPort", 8443)),
        ("inline ::/0 ingress on the data group", setp("data-sg", "ingress", [
            {"protocol": "tcp", "fromPort": 443, "toPort": 443, "ipv6CidrBlocks": ["::/0"]}])),
        ("split IPv4 halves on the api group", both(
            setp("api-from-alb", "cidrIpv4", "0.0.0.0/1"), unlink("api-from-alb", "referencedSecurityGroupId"),
            add(INGRESS, "api-upper-half", lambda s: {"securityGroupId": s.id("api-sg"), "ipProtocol": "tcp",
                                                      "fromPort": 8000, "toPort": 8000, "cidrIpv4": "128.0.0.0/1"},
                securityGroupId="api-sg"))),
        ("four IPv6 quarters in one legacy rule", add(SG_RULE, "api-v6", lambda s: {
            "type": "ingress", "securityGroupId": s.id("api-sg"), "protocol": "-1", "fromPort": 0, "toPort": 0,
            "ipv6CidrBlocks": ["::/2", "4000::/2", "8000::/2", "c000::/2"]}, securityGroupId="api-sg")),
        ("managed prefix list holding 0.0.0.0/0", both(
            add("aws:ec2/managedPrefixList:ManagedPrefixList", "everyone", lambda s: {
                "addressFamily": "IPv4", "maxEntries": 1, "entries": [{"cidr": "0.0.0.0/0"}]}),
            add(INGRESS, "api-from-list", lambda s: {"securityGroupId": s.id("api-sg"), "ipProtocol": "tcp",
                                                     "fromPort": 8000, "toPort": 8000,
                                                     "prefixListId": s.id("everyone")},
                securityGroupId="api-sg", prefixListId="everyone"))),
        ("rule on a group the stack does not own", add(INGRESS, "foreign", lambda s: {
            "securityGroupId": "sg-0123456789abcdef0", "ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
            "cidrIpv4": "0.0.0.0/0"})),
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
                              ("encryption unset", setp("db", "storageEncrypted", UNSET)),
                              ("Aurora cluster unencrypted", setp("aurora", "storageEncrypted", "false"))],
    "rds-not-publicly-accessible": [("public", setp("db", "publiclyAccessible", True)),
                                    ("Aurora instance public", setp("aurora-1", "publiclyAccessible", "true")),
                                    ("public read replica", add(RDS, "replica", lambda s: {
                                        "replicateSourceDb": "db", "publiclyAccessible": True},
                                        replicateSourceDb="db"))],
    "rds-backup-retention": [("1 day", setp("db", "backupRetentionPeriod", 1)),
                             ("unset", setp("db", "backupRetentionPeriod", UNSET)),
                             ("Aurora cluster 1 day", setp("aurora", "backupRetentionPeriod", "1"))],
    "rds-deletion-protection": [("off", setp("db", "deletionProtection", False)),
                                ("Aurora cluster off", setp("aurora", "deletionProtection", UNSET))],
    "rds-final-snapshot": [("skipped", setp("db", "skipFinalSnapshot", True)),
                           ("Aurora cluster skipped", setp("aurora", "skipFinalSnapshot", True))],
    "rds-force-ssl": [("force_ssl 0", setp("db-params", "parameters.0.value", "0")),
                      ("default parameter group", unlink("db", "parameterGroupName")),
                      ("Aurora cluster parameter group without force_ssl",
                       setp("aurora-params", "parameters", [{"name": "log_statement", "value": "ddl"}])),
                      ("replica inherits the source's weak group", both(
                          setp("db-params", "parameters.0.value", "0"),
                          add(RDS, "replica", lambda s: {"replicateSourceDb": "db"}, replicateSourceDb="db")))],
    "redis-encryption-at-rest": [("off", setp("cache", "atRestEncryptionEnabled", False))],
    "redis-encryption-in-transit": [("off", setp("cache", "transitEncryptionEnabled", UNSET))],
    "redis-auth": [("no token", setp("cache", "authToken", UNSET)),
                   ("empty user groups", both(setp("cache", "authToken", UNSET), setp("cache", "userGroupIds", [])))],
    "elasticache-cluster-encrypted": [
        ("standalone redis node", both(unlink("cache-node", "replicationGroupId"),
                                       setp("cache-node", "engine", "redis"))),
        ("standalone valkey node", both(unlink("cache-node", "replicationGroupId"),
                                        setp("cache-node", "engine", "valkey"))),
        ("memcached without TLS", both(unlink("cache-node", "replicationGroupId"),
                                       setp("cache-node", "engine", "memcached"))),
    ],
    "redis-snapshot-retention": [("zero", setp("cache", "snapshotRetentionLimit", 0)),
                                 ("unset", setp("cache", "snapshotRetentionLimit", UNSET))],
    "ecs-container-non-root": [("root", _containers(user="root")), ("0:0", _containers(user="0:0")),
                               ("unset", _containers(user=None))],
    "ecs-container-read-only-root": [("writable", _containers(readonlyRootFilesystem=False))],
    "ecs-container-not-privileged": [("privileged", _containers(privileged=True))],
    "ecs-container-no-plaintext-secrets": [
        ("password name", _environment("DB_PASSWORD", "x")),
        ("database url name", _environment("DATABASE_URL", "postgresql://db/accunode")),
        ("AWS key value", _environment("UPSTREAM", "AKIAIOSFODNN7EXAMPLE")),
        ("URL with credentials", _environment("UPSTREAM", "https://user:pass@example.com/")),
        ("*_PASS name", _environment("SMTP_PASS", "x")),
        ("*_AUTH name", _environment("REDIS_AUTH", "x")),
        ("camelCase token name", _environment("githubToken", "x")),
        ("key=value connection string", _environment("MSSQL", "Server=db;User Id=app;Password=hunter22;")),
        ("high-entropy token under a harmless name", _environment("SETTING", "Zx8kQ2pLm9Vb4Nc7Rt1Yw6Hs3Jd5Fg0A")),
        ("EventBridge override carries a password", setp("nightly-task", "input", json.dumps(
            {"containerOverrides": [{"name": "api", "environment": [{"name": "DB_PASSWORD", "value": "x"}]}]}))),
        ("Lambda variable is a credential URL", setp("hook", "environment", {"variables": {
            "UPSTREAM": "postgres://app:pw@db:5432/x"}})),
    ],
    "ecs-container-drop-capabilities": [
        ("capabilities kept", _containers(linuxParameters={"initProcessEnabled": True})),
        ("drops only NET_RAW", _containers(linuxParameters={"capabilities": {"drop": ["NET_RAW"]}})),
        ("adds SYS_ADMIN", _containers(linuxParameters={"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}})),
    ],
    "ecs-exec-disabled-in-prod": [
        ("service exec", setp("api-service", "enableExecuteCommand", True)),
        ("EventBridge task exec", setp("nightly-task", "ecsTarget.enableExecuteCommand", "true")),
        ("scheduler task exec", add(SCHEDULE, "weekly", lambda s: {"target": {"ecsParameters": {
            "enableExecuteCommand": True, "networkConfiguration": {"subnets": [s.id("private-a")]}}}},
            target="private-a")),
    ],
    "ecs-container-logging": [("no log driver", _containers(logConfiguration=None))],
    "ecr-scan-on-push": [("off", setp("repo", "imageScanningConfiguration.scanOnPush", False))],
    "ecr-immutable-tags": [("mutable", setp("repo", "imageTagMutability", "MUTABLE"))],
    "ecr-lifecycle-policy": [("none", remove("repo-lifecycle")),
                             ("no rules", setp("repo-lifecycle", "policy", json.dumps({"rules": []})))],
    "alb-http-redirects-to-https": [
        ("http forwards", setp("http", "defaultActions", [
            {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/api"}])),
        ("listener rule on the HTTP listener forwards", add(LISTENER_RULE, "http-api", lambda s: {
            "listenerArn": s.arn("http"), "priority": 5,
            "actions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/api"}]},
            listenerArn="http")),
        ("authenticate then forward over HTTP", setp("http", "defaultActions", [
            {"type": "authenticate-oidc", "order": 1}, {"type": "forward", "order": 2}])),
    ],
    "lb-public-entry-tls": [
        ("prod ALB with only HTTP forwarding", both(remove("https"), setp("http", "defaultActions", [
            {"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/api"}]))),
        ("prod NLB with a plain TCP listener", both(
            add(LB, "nlb", lambda s: {"loadBalancerType": "network", "internal": False}),
            add(LISTENER, "nlb-tcp", lambda s: {"loadBalancerArn": s.arn("nlb"), "protocol": "TCP", "port": 443,
                                                "defaultActions": [{"type": "forward"}]}, loadBalancerArn="nlb"))),
        ("public ALB whose listeners only redirect", remove("https")),
    ],
    "alb-tls-policy": [("TLS 1.0 policy", setp("https", "sslPolicy", "ELBSecurityPolicy-2016-08")),
                       ("unset", setp("https", "sslPolicy", UNSET))],
    "alb-drop-invalid-headers": [("kept", setp("alb", "dropInvalidHeaderFields", False))],
    "alb-access-logs": [("off", setp("alb", "accessLogs.enabled", False))],
    "alb-deletion-protection": [("off", setp("alb", "enableDeletionProtection", False))],
    "alb-waf-attached": [("no association", remove("waf-alb"))],
    "iam-no-admin-statements": [
        ("policy * on *", setp("app-policy", "policy", ADMIN_DOCUMENT)),
        ("role inline * on *", setp("task-role", "inlinePolicies", [{"name": "all", "policy": ADMIN_DOCUMENT}])),
        ("policy as a dict, *:*", setp("app-policy", "policy", {"Statement": [
            {"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}]})),
        ("user policy * on *", add("aws:iam/userPolicy:UserPolicy", "ci-user", lambda s: {
            "user": "ci", "policy": ADMIN_DOCUMENT})),
    ],
    "iam-no-not-action-allow": [
        ("NotAction allow", setp("app-policy", "policy", policy_document(
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))),
        ("NotResource allow", setp("app-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secret/*"}))),
        ("group policy NotAction", add("aws:iam/groupPolicy:GroupPolicy", "devs", lambda s: {
            "group": "devs", "policy": policy_document({"Effect": "Allow", "NotAction": ["s3:DeleteBucket"],
                                                        "Resource": "*"})})),
    ],
    "iam-no-privilege-escalation": [
        ("iam:Attach* on *", setp("app-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:Attach*", "Resource": "*"}))),
        ("PutRolePolicy on every role", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": ["iam:PutRolePolicy"], "Resource": "arn:aws:iam::123456789012:role/*"}))),
        ("CreatePolicyVersion, lower case", setp("app-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "IAM:createpolicyversion", "Resource": "*"}))),
        ("iam:* on any account", setp("task-role", "inlinePolicies", [{"name": "iam", "policy": policy_document(
            {"Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:*"})}])),
    ],
    "iam-no-administrator-access": [
        ("attachment", setp("app-policy-attach", "policyArn", ADMIN)),
        ("managedPolicyArns", setp("task-role", "managedPolicyArns", [ADMIN])),
        ("IAMFullAccess on a user", add("aws:iam/userPolicyAttachment:UserPolicyAttachment", "ci-iam", lambda s: {
            "user": "ci", "policyArn": "arn:aws:iam::aws:policy/IAMFullAccess"})),
        ("PowerUserAccess on a group", add("aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "devs-power",
                                           lambda s: {"group": "devs",
                                                      "policyArn": "arn:aws:iam::aws:policy/PowerUserAccess"})),
        ("exclusive attachments", add("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                                      "excl", lambda s: {"roleName": "accunode-test-task-role",
                                                         "policyArns": [ADMIN]})),
        ("legacy PolicyAttachment", add("aws:iam/policyAttachment:PolicyAttachment", "legacy", lambda s: {
            "roles": ["accunode-test-task-role"], "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})),
    ],
    "iam-passrole-scoped": [
        ("any role", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}))),
        ("role wildcard via iam:*", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": ["iam:*"], "Resource": "arn:aws:iam::123456789012:role/*"}))),
        ("prefix without iam:PassedToService", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/accunode-*"}))),
        ("every role, though PassedToService is pinned", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/*",
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}))),
        ("prefix with a wildcard service", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/accunode-*",
             "Condition": {"StringLike": {"iam:PassedToService": "*.amazonaws.com"}}}))),
        ("prefix with a negated service condition", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/accunode-*",
             "Condition": {"StringNotEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}))),
        ("any account's roles under a prefix", setp("deploy-policy", "policy", policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/accunode-*",
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}))),
    ],
    "iam-github-oidc-trust-pinned": [
        ("sub *", setp("deploy-role", "assumeRolePolicy", github_trust(sub="*"))),
        ("sub repo:org/*", setp("deploy-role", "assumeRolePolicy", github_trust(sub="repo:accunode/*"))),
        ("sub repo:*", setp("deploy-role", "assumeRolePolicy", github_trust(sub="repo:*"))),
        ("no sub", setp("deploy-role", "assumeRolePolicy", github_trust(sub=None))),
        ("no aud", setp("deploy-role", "assumeRolePolicy", github_trust(aud=None))),
        ("wrong aud", setp("deploy-role", "assumeRolePolicy", github_trust(aud="sts.example.com"))),
        ("sub under StringNotEquals", setp("deploy-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": {"Federated": GITHUB_PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                           "StringNotEquals": {"token.actions.githubusercontent.com:sub": "repo:evil/evil:*"}}}))),
        ("sub StringLike repo:*/accunode", setp("deploy-role", "assumeRolePolicy",
                                                github_trust(sub="repo:*/accunode:ref:refs/heads/main"))),
        ("aud under StringLike *", setp("deploy-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": {"Federated": GITHUB_PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringLike": {"token.actions.githubusercontent.com:aud": "*",
                                          "token.actions.githubusercontent.com:sub":
                                              "repo:accunode/accunode:ref:refs/heads/prod"}}}))),
        ("sub with ForAllValues", setp("deploy-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": {"Federated": GITHUB_PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                           "ForAllValues:StringLike": {"token.actions.githubusercontent.com:sub": "repo:a/b:*"}}}))),
    ],
    "iam-trust-not-open": [
        ("Principal *", setp("task-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}))),
        ("AWS * in a list", setp("task-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root", "*"]},
             "Action": "sts:AssumeRole"}))),
        ("any account's root", setp("task-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}, "Action": "sts:AssumeRole"}))),
        ("NotPrincipal", setp("task-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "sts:AssumeRole"}))),
        ("Principal * with a negated account condition", setp("task-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
             "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "999999999999"}}}))),
        ("web identity without conditions", setp("task-role", "assumeRolePolicy", policy_document(
            {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
             "Action": "sts:AssumeRoleWithWebIdentity"}))),
    ],
    "resource-policy-not-public": [
        ("S3 bucket policy Allow *", setp("alb-logs-policy", "policy", policy_document(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::accunode-test-alb-logs/*"}))),
        ("SQS queue policy without its condition", setp("jobs-policy", "policy", policy_document(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": "*"}))),
        ("SQS condition only StringLike *", setp("jobs-policy", "policy", policy_document(
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:*", "Resource": "*",
             "Condition": {"StringLike": {"aws:SourceArn": "*"}}}))),
        ("SNS topic policy NotPrincipal", setp("alarms", "policy", policy_document(
            {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sns:Publish",
             "Resource": "*"}))),
        ("KMS key policy for everyone", setp("key", "policy", policy_document(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}))),
        ("ECR repository policy", add("aws:ecr/repositoryPolicy:RepositoryPolicy", "repo-policy", lambda s: {
            "repository": "accunode-test", "policy": policy_document(
                {"Effect": "Allow", "Principal": "*", "Action": "ecr:BatchGetImage"})}, repository="repo")),
        ("Lambda permission for *", both(setp("hook-invoke", "principal", "*"),
                                         setp("hook-invoke", "sourceArn", UNSET))),
        ("public function URL permission", add(LAMBDA_PERMISSION, "url-public", lambda s: {
            "function": "accunode-test-hook", "action": "lambda:InvokeFunctionUrl", "principal": "*",
            "functionUrlAuthType": "NONE"})),
    ],
    "ecs-task-roles-distinct": [("same role", link("api-task", "taskRoleArn", ["execution-role"],
                                                   lambda s: s.arn("execution-role")))],
    "log-group-retention": [("forever", setp("api-logs", "retentionInDays", UNSET)),
                            ("zero", setp("flow-logs", "retentionInDays", 0))],
    "ssm-secret-parameters-secure": [
        ("database url as String", setp("database-url", "type", "String")),
        ("connection string parameter as String", add("aws:ssm/parameter:Parameter", "analytics-dsn", lambda s: {
            "name": "/accunode/test/analytics-connection-string", "type": "String", "value": "x"})),
        ("password parameter as StringList", add("aws:ssm/parameter:Parameter", "smtp", lambda s: {
            "name": "/accunode/test/smtp_password", "type": "StringList", "value": "x"})),
        ("plain parameter holding a credential URL", setp("log-level", "value", "redis://default:pw@cache:6379")),
        ("token-named parameter as String",
         add("aws:ssm/parameter:Parameter", "api-token",
             lambda s: {"name": "/accunode/test/api-token", "type": "String", "value": "x"})),
    ],
    "s3-public-access-blocked": [("no block", remove("alb-logs-pab")),
                                 ("one flag off", setp("alb-logs-pab", "restrictPublicBuckets", False))],
    "s3-bucket-encryption": [("no configuration", remove("alb-logs-sse"))],
    "kms-key-rotation": [("off", setp("key", "enableKeyRotation", False)),
                         ("unset", setp("key", "enableKeyRotation", UNSET))],
    "sns-topic-encrypted": [("no key", setp("alarms", "kmsMasterKeyId", UNSET)),
                            ("empty key", setp("alarms", "kmsMasterKeyId", ""))],
    "sqs-queue-encrypted": [("SSE off", setp("jobs", "sqsManagedSseEnabled", False)),
                            ("SSE 'false' string", setp("jobs", "sqsManagedSseEnabled", "false"))],
    "ec2-imdsv2-required": [("optional tokens", setp("bastion-lt", "metadataOptions.httpTokens", "optional")),
                            ("instance without metadata options", add(EC2, "bastion", lambda s: {
                                "ami": "ami-0abcdef1234567890", "instanceType": "t3.micro"}))],
    "ec2-no-public-ip": [("launch template interface",
                          setp("bastion-lt", "networkInterfaces.0.associatePublicIpAddress", "true")),
                         ("instance", add(EC2, "bastion", lambda s: {
                             "associatePublicIpAddress": True, "metadataOptions": {"httpTokens": "required"}}))],
    "lambda-function-url-auth": [("NONE", setp("hook-url", "authorizationType", "NONE")),
                                 ("lower-case none", setp("hook-url", "authorizationType", "none"))],
    "flow-log-all-traffic": [("REJECT only", setp("flow-log", "trafficType", "REJECT")),
                             ("ACCEPT only", setp("flow-log", "trafficType", "ACCEPT"))],
    "rds-log-exports": [("none", setp("db", "enabledCloudwatchLogsExports", UNSET)),
                        ("only upgrade", setp("db", "enabledCloudwatchLogsExports", ["upgrade"])),
                        ("Aurora cluster none", setp("aurora", "enabledCloudwatchLogsExports", []))],
    "ecs-public-service-progressive-delivery": [
        ("rolling", setp("api-service", "deploymentConfiguration.strategy", "ROLLING")),
        ("no deployment configuration (ECS rolls)", setp("api-service", "deploymentConfiguration", UNSET)),
        ("CodeDeploy controller, out of the stack's sight", setp("api-service", "deploymentController",
                                                                 {"type": "CODE_DEPLOY"})),
        ("alarms that do not roll back", setp("api-service", "alarms.rollback", False)),
        ("alarms switched off", setp("api-service", "alarms.enable", "false")),
        ("no alarm named", setp("api-service", "alarms.alarmNames", [])),
        ("no alarms block", setp("api-service", "alarms", UNSET)),
        ("rolling on a later pulumi up (links by ARN only)",
         without_dependencies(setp("api-service", "deploymentConfiguration.strategy", "ROLLING"))),
        ("rolling, reached through a weighted listener rule", both(
            setp("https", "defaultActions", [{"type": "fixed-response"}]),
            add(LISTENER_RULE, "prod-rule", lambda s: {
                "listenerArn": s.arn("https"), "priority": 20, "actions": [{"type": "forward", "forward": {
                    "targetGroups": [{"arn": s.arn("api-tg"), "weight": 100}]}}]}, listenerArn="https"),
            setp("api-service", "deploymentConfiguration.strategy", "rolling"))),
    ],
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


def test_progressive_delivery_passes_an_internal_load_balancer_and_a_canary() -> None:
    internal = secure_stack()
    set_prop(internal.resources["alb"], "internal", True)
    set_prop(internal.resources["api-service"], "deploymentConfiguration.strategy", "ROLLING")
    assert preview(internal).of("ecs-public-service-progressive-delivery") == []
    canary = secure_stack()
    set_prop(canary.resources["api-service"], "deploymentConfiguration", {
        "strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": "10"}})
    assert preview(canary).of("ecs-public-service-progressive-delivery") == []


def test_progressive_delivery_is_prod_only_and_can_be_advisory() -> None:
    rolling = secure_stack()
    set_prop(rolling.resources["api-service"], "deploymentConfiguration.strategy", "ROLLING")
    dev = preview(rolling, stack_config={"accunode:environment": "dev"})
    assert dev.of("ecs-public-service-progressive-delivery") == []
    assert dev.skipped("ecs-public-service-progressive-delivery")
    advisory = preview(rolling, policy_config={"ecs-public-service-progressive-delivery": "advisory"})
    assert {d.level for d in advisory.of("ecs-public-service-progressive-delivery")} == {"advisory"}


@pytest.mark.parametrize("condition", [
    {"StringEquals": {"iam:PassedToService": ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]}},
    {"ForAnyValue:StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
    {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
])
def test_passrole_on_a_role_prefix_passes_when_limited_to_named_services(condition: dict[str, Any]) -> None:
    # AWS's way to scope PassRole for a deployer that creates its roles (their ARNs are not known ahead).
    stack = secure_stack()
    setp("deploy-policy", "policy", policy_document(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::123456789012:role/accunode-*",
         "Condition": condition}))(stack)
    assert preview(stack).of("iam-passrole-scoped") == []
