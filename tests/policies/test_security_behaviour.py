"""How the security pack behaves around its rules: config, environment, exemptions, previews, metadata."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import accunode_security as security
import jsonschema
import pytest
from pulumi.runtime.proto import analyzer_pb2

from accunode.engine.graph import UNKNOWN_BOOL, UNKNOWN_STRING
from tests.policies._preview import first_preview
from tests.policies._stack import container_definitions, secure_stack, set_prop
from tests.policies.test_security_rules import CASES, harness, preview

PACK_DIR = Path(__file__).resolve().parents[2] / "policies" / "security"
PROD_ONLY = ["rds-deletion-protection", "rds-final-snapshot", "alb-deletion-protection"]


def _open_api_to_internet(stack):
    rule = stack.resources["api-from-alb"]
    set_prop(rule, "cidrIpv4", "0.0.0.0/0")
    rule.property_dependencies.pop("referencedSecurityGroupId")
    set_prop(rule, "referencedSecurityGroupId", None)


def test_exempted_stack_finding_is_not_mandatory_but_reported_as_advisory():
    stack = secure_stack()
    _open_api_to_internet(stack)
    reason = "health checks from the partner's monitoring, ticket OPS-42"
    result = preview(stack, policy_config={
        "security-group-public-ingress": {"exemptions": [{"resource": "api-from-*", "reason": reason}]}})
    assert result.of("security-group-public-ingress") == []
    [report] = result.of("security-exemptions")
    assert report.level == "advisory"
    assert "security-group-public-ingress" in report.message and reason in report.message
    assert report.urn == stack.resources["api-from-alb"].urn


def test_exempted_resource_is_not_applicable_with_its_reason():
    stack = secure_stack()
    set_prop(stack.resources["db"], "storageEncrypted", False)
    reason = "restored from an unencrypted snapshot; re-encrypting in Q1"
    result = preview(stack, policy_config={
        "rds-storage-encrypted": {"exemptions": [{"resource": "db", "reason": reason}]}})
    assert result.of("rds-storage-encrypted") == []
    assert any(reason in r for r in result.skipped("rds-storage-encrypted"))
    assert any(reason in d.message for d in result.of("security-exemptions"))


def test_exemption_of_a_compliant_resource_is_not_reported():
    result = preview(secure_stack(), policy_config={
        "rds-storage-encrypted": {"exemptions": [{"resource": "db", "reason": "kept from an old migration"}]}})
    assert result.of("security-exemptions") == [] and result.skipped("rds-storage-encrypted") == []


def test_exemption_pattern_that_does_not_match_exempts_nothing():
    stack = secure_stack()
    set_prop(stack.resources["db"], "storageEncrypted", False)
    result = preview(stack, policy_config={
        "rds-storage-encrypted": {"exemptions": [{"resource": "cache*", "reason": "not this database at all"}]}})
    assert [d.level for d in result.of("rds-storage-encrypted")] == ["mandatory"]


def _schema(policy: str) -> dict:
    info = security.ALL_POLICIES[[p.name for p in security.ALL_POLICIES].index(policy)]
    return {"type": "object", "properties": info.config_schema.properties}


@pytest.mark.parametrize("config", [
    {"exemptions": [{"resource": "db"}]},
    {"exemptions": [{"resource": "db", "reason": "short"}]},
    {"exemptions": [{"reason": "a long enough reason"}]},
    {"environment": "production"},
])
def test_config_schema_rejects_exemptions_without_reason_and_unknown_environments(config):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, _schema("rds-deletion-protection"))


def test_config_schema_accepts_documented_example():
    jsonschema.validate({"environment": "dev", "exemptions": [{"resource": "legacy-*", "reason": "migration OPS-12"}]},
                        _schema("rds-deletion-protection"))


@pytest.mark.parametrize("rule", PROD_ONLY)
def test_prod_only_rules_do_not_apply_outside_prod(rule):
    stack = secure_stack()
    set_prop(stack.resources["db"], "deletionProtection", False)
    set_prop(stack.resources["db"], "skipFinalSnapshot", True)
    set_prop(stack.resources["alb"], "enableDeletionProtection", False)
    dev = preview(stack, stack_config={"accunode:environment": "dev"})
    assert dev.of(rule) == []
    assert any("prod only" in r and "dev" in r for r in dev.skipped(rule))
    assert preview(stack, stack_config={}).of(rule), "without any environment the pack assumes prod"
    assert preview(stack, stack_config={"accunode:environment": "dev"},
                   policy_config={rule: {"environment": "prod"}}).of(rule), "policy config wins over stack config"


def test_enforcement_level_can_be_lowered_or_disabled_per_policy():
    stack = secure_stack()
    set_prop(stack.resources["db"], "storageEncrypted", False)
    advisory = preview(stack, policy_config={"rds-storage-encrypted": {"enforcementLevel": "advisory"}})
    assert [d.level for d in advisory.of("rds-storage-encrypted")] == ["advisory"]
    disabled = preview(stack, policy_config={"rds-storage-encrypted": {"enforcementLevel": "disabled"}})
    assert disabled.of("rds-storage-encrypted") == []


def test_waf_rule_applies_only_when_the_stack_asks():
    stack = secure_stack()
    stack.resources.pop("waf-alb")
    not_asked = preview(stack, policy_config={"alb-waf-attached": {"requireWaf": False}})
    assert not_asked.of("alb-waf-attached") == [] and not_asked.skipped("alb-waf-attached")
    from_stack = harness(stack_config={"accunode:environment": "prod", "accunode:waf": "true"},
                         policy_config={"alb-waf-attached": {}})
    assert from_stack.preview(stack.resources.values()).of("alb-waf-attached")


def test_http_listener_may_forward_when_the_load_balancer_has_no_https_listener():
    stack = secure_stack()
    stack.resources.pop("https")
    set_prop(stack.resources["http"], "defaultActions", [{"type": "forward", "targetGroupArn": "tg"}])
    assert preview(stack).of("alb-http-redirects-to-https") == []


def test_github_trust_pinned_to_an_environment_passes():
    from tests.policies._stack import github_trust

    stack = secure_stack()
    set_prop(stack.resources["deploy-role"], "assumeRolePolicy",
             github_trust(sub=["repo:accunode/accunode:environment:prod", "repo:accunode/accunode:ref:refs/heads/*"]))
    assert preview(stack).of("iam-github-oidc-trust-pinned") == []


def test_unknown_values_are_not_applicable_not_cant_run():
    stack = secure_stack()
    set_prop(stack.resources["db"], "storageEncrypted", UNKNOWN_BOOL)
    set_prop(stack.resources["api-task"], "containerDefinitions", UNKNOWN_STRING)
    result = preview(stack)
    assert result.cant_run == []
    assert result.mandatory == []
    assert any("storageEncrypted" in r for r in result.skipped("rds-storage-encrypted"))
    assert any("containerDefinitions" in r for r in result.skipped("ecs-container-non-root"))


def test_first_preview_of_the_secure_stack_runs_every_rule_without_findings():
    stack = secure_stack()
    first_preview(list(stack.resources.values()))
    result = preview(stack)
    assert result.diagnostics == []
    assert result.not_applicable == []


FIRST_PREVIEW_CASES = [case for case in CASES if "later pulumi up" not in case.id]


@pytest.mark.parametrize(("rule", "weaken"), FIRST_PREVIEW_CASES)
def test_weakening_is_caught_on_a_first_preview(rule, weaken):
    stack = secure_stack()
    weaken(stack)
    first_preview(list(stack.resources.values()))
    result = preview(stack)
    assert result.of(rule), f"{rule} missed the weakening when ids are unknown"
    assert result.cant_run == []


def test_container_definition_with_several_containers_reports_each():
    stack = secure_stack()
    containers = [{"name": "api", "user": "0", "readonlyRootFilesystem": True,
                   "logConfiguration": {"logDriver": "awslogs"}},
                  {"name": "sidecar", "readonlyRootFilesystem": True, "logConfiguration": {"logDriver": "awslogs"}}]
    set_prop(stack.resources["api-task"], "containerDefinitions", __import__("json").dumps(containers))
    messages = [d.message for d in preview(stack).of("ecs-container-non-root")]
    assert len(messages) == 2 and "api" in messages[0] and "sidecar" in messages[1]


def test_container_environment_without_secrets_passes():
    stack = secure_stack()
    set_prop(stack.resources["api-task"], "containerDefinitions", container_definitions(environment=[
        {"name": "REDIS_TLS", "value": "true"}, {"name": "AWS_REGION", "value": "us-east-1"},
        {"name": "SSM_PREFIX", "value": "/accunode/test"}, {"name": "AWS_KMS_KEY_ID", "value": "alias/app"},
        {"name": "SESSION_TOKEN_TTL", "value": "3600"}]))
    assert preview(stack).of("ecs-container-no-plaintext-secrets") == []


def test_parameter_naming_where_a_secret_lives_may_be_a_plain_string():
    stack = secure_stack()
    stack.add("aws:ssm/parameter:Parameter", "kms-key-arn", {"name": "/accunode/test/kms-key-arn", "type": "String",
                                                              "value": "arn:aws:kms:us-east-1:123456789012:key/1"})
    assert preview(stack).of("ssm-secret-parameters-secure") == []


def test_analyzer_info_describes_every_policy():
    servicer = harness().servicer
    info = servicer.GetAnalyzerInfo(None, None)
    names = [p.name for p in info.policies]
    assert names == [r.id for r in security.RULES] and len(set(names)) == len(names)
    for policy in info.policies:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", policy.name)
        assert policy.description.endswith(".") and policy.severity != analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED
        assert "exemptions" in policy.configSchema.properties
    advisory = {p.name for p in info.policies if p.enforcementLevel == analyzer_pb2.ADVISORY}
    hardening = {rule.id for rule in security.hardening.RULES}
    assert advisory == {"subnet-no-auto-public-ip", "security-group-no-all-ports-egress", "security-exemptions",
                        *hardening}


@pytest.mark.slow
def test_pack_starts_as_the_engine_starts_it():
    """``python -u -m pulumi.policy <engine> <pack-dir>`` with cwd = the pack prints a port and serves."""
    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(PACK_DIR)],
                               cwd=PACK_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.poll() is not None else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
        assert info.name == security.PACK_NAME and len(info.policies) == len(security.RULES)
    finally:
        process.kill()
        process.wait()


def test_readme_lists_every_rule_with_its_level_and_description():
    readme = (PACK_DIR / "README.md").read_text()
    for rule in security.RULES:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{rule.id}` |")), None)
        assert row is not None, f"{rule.id} is missing from policies/security/README.md"
        assert f"| {rule.enforcement.value} |" in row and rule.description in row, row
