"""The load balancer: public subnets, HTTPS with a TLS 1.2+ policy and a redirect, hardened, logged, WAF."""

from __future__ import annotations

import json

import pytest
from pulumi import Output

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph
from components.load_balancer import MANAGED_RULE_GROUPS, LoadBalancer, LoadBalancerArgs
from components.network import SubnetSet
from tests.components.stack import stack_context

LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
TG = "aws:lb/targetGroup:TargetGroup"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/5f0c7a4e-8d1b-4c3a-9e2f-1a2b3c4d5e6f"


def _args(tier: str = "public", **overrides) -> LoadBalancerArgs:
    values = dict(context=stack_context(tags={"project": "accunode"}), vpc_id="vpc-1",
                  subnets=SubnetSet(tier, (Output.from_input("subnet-a"), Output.from_input("subnet-b"))),
                  security_group_ids=["sg-alb"], log_bucket_name="accunode-test-alb-logs-123456789012")
    return LoadBalancerArgs(**{**values, **overrides})


def _build(**overrides) -> ResourceGraph:
    return run_program(lambda: LoadBalancer("edge", _args(**overrides)))


@pytest.fixture(scope="module")
def prod() -> ResourceGraph:
    return _build(certificate_arn=CERT, deletion_protection=True, waf=True)


@pytest.fixture(scope="module")
def dev() -> ResourceGraph:
    return _build()


def listener(graph: ResourceGraph, protocol: str):
    (found,) = [r for r in graph.of_type(LISTENER) if r.props["protocol"] == protocol]
    return found


def test_load_balancer_is_internet_facing_in_the_public_subnets_and_drops_invalid_headers(prod):
    props = prod.find(LB).props
    assert props["internal"] is False and props["loadBalancerType"] == "application"
    assert props["subnets"] == ["subnet-a", "subnet-b"] and props["securityGroups"] == ["sg-alb"]
    assert props["dropInvalidHeaderFields"] is True
    assert props["name"] == "accunode-test-alb"


def test_deletion_protection_follows_the_argument(prod, dev):
    assert prod.find(LB).props["enableDeletionProtection"] is True
    assert dev.find(LB).props["enableDeletionProtection"] is False


def test_https_listener_uses_tls12_policy_and_http_redirects_when_a_certificate_is_set(prod):
    https = listener(prod, "HTTPS").props
    assert https["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https["certificateArn"] == CERT and https["port"] == 443
    assert https["defaultActions"][0]["type"] == "forward"
    (redirect,) = listener(prod, "HTTP").props["defaultActions"]
    assert redirect == {"type": "redirect",
                        "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}


def test_without_a_certificate_http_forwards_and_there_is_no_https_listener(dev):
    assert [r.props["protocol"] for r in dev.of_type(LISTENER)] == ["HTTP"]
    (action,) = listener(dev, "HTTP").props["defaultActions"]
    assert action["type"] == "forward"
    assert listener(dev, "HTTP").property_dependencies["defaultActions"] == [dev.find(TG).urn]


def test_target_group_targets_ips_on_the_app_port_with_health_on_slash_health(dev):
    props = dev.find(TG).props
    assert (props["targetType"], props["port"], props["protocol"]) == ("ip", 8000, "HTTP")
    assert props["healthCheck"]["path"] == "/health" and props["healthCheck"]["matcher"] == "200"
    assert props["deregistrationDelay"] == 60


def test_access_logs_go_to_an_sse_s3_bucket_that_expires_them_after_7_days(dev):
    logs = dev.find(LB).props["accessLogs"]
    assert logs == {"bucket": "accunode-test-alb-logs-123456789012", "prefix": "alb", "enabled": True}
    sse = dev.find("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.props["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    lifecycle = dev.find("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").props["rules"]
    assert lifecycle[0]["expiration"] == {"days": 7}
    block = dev.find("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").props
    assert all(block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                  "restrictPublicBuckets"))


def test_log_bucket_policy_admits_elb_log_delivery_and_the_load_balancer_waits_for_it(dev):
    policy = dev.find("aws:s3/bucketPolicy:BucketPolicy")
    principals = [s["Principal"] for s in json.loads(policy.props["policy"])["Statement"] if s["Effect"] == "Allow"]
    assert {"AWS": "arn:aws:iam::127311923021:root"} in principals
    assert {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"} in principals
    assert policy.urn in dev.find(LB).dependencies


def test_waf_web_acl_has_the_managed_groups_and_a_rate_rule_and_is_attached(prod, dev):
    acl = prod.find("aws:wafv2/webAcl:WebAcl").props
    assert acl["scope"] == "REGIONAL" and acl["defaultAction"] == {"allow": {}}
    groups = [r["statement"]["managedRuleGroupStatement"]["name"] for r in acl["rules"]
              if "managedRuleGroupStatement" in r["statement"]]
    assert tuple(groups) == MANAGED_RULE_GROUPS
    (rate,) = [r for r in acl["rules"] if "rateBasedStatement" in r["statement"]]
    assert rate["action"] == {"block": {}} and rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    association = prod.find("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert association.property_dependencies["resourceArn"] == [prod.find(LB).urn]
    assert not dev.of_type("aws:wafv2/webAcl:WebAcl")


@pytest.mark.parametrize("overrides, message", [
    ({"tier": "private"}, "public subnets"),
    ({"context": stack_context(name_prefix="accunode-a-very-long-stack-name")}, "32 characters"),
    ({"health_check_path": "health"}, "health_check_path"),
    ({"certificate_arn": "not-an-arn"}, "certificate_arn"),
    ({"security_group_ids": []}, "security_group_ids"),
])
def test_load_balancer_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)
