"""Stack settings: presets are valid, bad input is rejected naming the key, before any resource exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accunode import catalog
from accunode.engine.capture import CaptureError, load_stack_config, run_program
from accunode.settings import (
    ENVIRONMENTS,
    REQUIRED_IN_PROD,
    TIER_PRESETS,
    TIERS,
    SettingsError,
    StackSettings,
    load_settings,
    settings_from_config,
    validate_settings,
)

ROOT = Path(__file__).resolve().parents[1]
PROD_REQUIRED = {"alertEmail": "ops@example.com", "githubRepository": "acme/accunode", "owner": "platform",
                 "monthlyBudget": "500", "imageTag": "v1"}
# The least a dev stack needs: every stack names an owner (or a cost-center tag).
DEV = {"environment": "dev", "owner": "platform"}
DEV_CONFIG = {f"accunode:{key}": value for key, value in DEV.items()}


def _settings(stack: str) -> StackSettings:
    config, _ = load_stack_config(ROOT, stack)
    return settings_from_config(stack, config)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_tier_preset_is_valid_in_every_environment(tier: str, environment: str) -> None:
    extra = PROD_REQUIRED if environment == "prod" else {"owner": "platform"}
    settings_ = validate_settings("s", {"environment": environment, "tier": tier, **extra})
    preset = TIER_PRESETS[tier]
    assert settings_.api.cpu == preset["api"]["cpu"]
    assert settings_.database.instance_class == preset["database"]["instanceClass"]
    assert settings_.cache.node_type == preset["cache"]["nodeType"]


@pytest.mark.parametrize("stack", ["prod", "dev", "staging"])
def test_repository_stack_files_are_valid(stack: str) -> None:
    settings_ = _settings(stack)
    assert settings_.stack == stack


def test_prod_stack_is_the_documents_current_setup() -> None:
    prod = _settings("prod")
    assert (prod.environment, prod.tier) == ("prod", "light")
    assert (prod.api.cpu, prod.api.memory) == (512, 1024)
    assert (prod.worker.cpu, prod.worker.memory) == (1024, 2048)
    assert prod.database.instance_class == "db.t3.small"
    assert prod.cache.node_type == "cache.t3.micro"


def test_nat_defaults_to_single_except_for_large_prod_tiers() -> None:
    assert validate_settings("d", {**DEV, "tier": "enterprise"}).nat_strategy == "single"
    assert validate_settings("p", {"environment": "prod", "tier": "light", **PROD_REQUIRED}).nat_strategy == "single"
    assert validate_settings("p", {"environment": "prod", "tier": "high", **PROD_REQUIRED}).nat_strategy == "per-az"


def test_multi_az_database_is_a_prod_only_default() -> None:
    assert not validate_settings("d", {**DEV, "tier": "enterprise"}).database.multi_az
    assert validate_settings("p", {"environment": "prod", "tier": "enterprise", **PROD_REQUIRED}).database.multi_az


def test_overrides_replace_single_keys_of_a_preset() -> None:
    s = validate_settings("d", {**DEV, "tier": "moderate", "api": '{"maxCount": 3}'})
    assert (s.api.cpu, s.api.max_count) == (1024, 3)


def test_prod_requires_its_keys_and_names_each() -> None:
    with pytest.raises(SettingsError) as raised:
        validate_settings("p", {"environment": "prod"})
    for key in REQUIRED_IN_PROD:
        assert any(p.startswith(f"accunode:{key}: required in prod") for p in raised.value.problems)


def test_worker_scale_to_zero_is_rejected_in_prod() -> None:
    with pytest.raises(SettingsError, match="scale to zero"):
        validate_settings("p", {"environment": "prod", **PROD_REQUIRED,
                                "worker": {"minCount": 0, "desiredCount": 0}})


# --- every invalid value names its key and what is allowed -----------------------------------
INVALID: dict[str, tuple[Any, str]] = {
    "environment": ("production", "dev, staging, prod"),
    "tier": ("huge", "minimal, light, moderate, high, enterprise"),
    "azCount": ("5", "less than or equal to 3"),
    "vpcCidr": ("8.8.0.0/16", "private"),
    "natStrategy": ("two", "'single' or 'per-az'"),
    "alertEmail": ("not-an-email", "email"),
    "githubRepository": ("acme/*", "owner/name"),
    "monthlyBudget": ("-5", "greater than 0"),
    "cpuArchitecture": ("sparc", "'x86_64' or 'arm64'"),
    "logRetentionDays": ("45", "allowed: 1, 3, 5, 7, 14, 30"),
    "certificateArn": ("arn:aws:iam::1:cert/x", "ACM certificate ARN"),
    "unknownKey": ("1", "unknown key; allowed keys:"),
}
NESTED_INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "api": ({"cpu": 512, "memory": 512}, "allowed: 1024-4096"),
    "worker": ({"minCount": 3, "desiredCount": 2}, "minCount <= desiredCount <= maxCount"),
    "database.instanceClass": ({"instanceClass": "db.x9.huge"}, "allowed: db.t3.micro"),
    "database.backupRetentionDays": ({"backupRetentionDays": 1}, "greater than or equal to 7"),
    "database.engineVersion": ({"engineVersion": "11"}, "allowed majors"),
    "cache.nodeType": ({"nodeType": "cache.x1"}, "allowed: cache.t3.micro"),
    "cache.numNodes": ({"numNodes": 9}, "less than or equal to 6"),
    "api.cpuu": ({"cpuu": 1}, "unknown key; did you mean cpu? allowed keys: cpu"),
    "api.deployment.strategy": ({"deployment": {"strategy": "bluegreen"}}, "did you mean blue-green?"),
    "api.deployment.bakeMinutes": ({"deployment": {"strategy": "canary", "bakeMinutes": -1}},
                                   "greater than or equal to 0"),
    "usage.natGb": ({"natGb": 1}, "unknown key; allowed keys: albLcu"),
    "usage.appLogGb": ({"appLogGb": -1}, "greater than or equal to 0"),
}


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    environment=st.sampled_from(ENVIRONMENTS),
    tier=st.sampled_from(TIERS),
    bad_keys=st.lists(st.sampled_from(sorted(INVALID) + sorted(NESTED_INVALID)), min_size=1, max_size=4, unique=True),
)
def test_invalid_configs_are_rejected_naming_every_offending_key(environment: str, tier: str,
                                                                 bad_keys: list[str]) -> None:
    values: dict[str, Any] = {"environment": environment, "tier": tier, **PROD_REQUIRED}
    expected: list[tuple[str, str]] = []
    for key in bad_keys:
        if key in INVALID:
            values[key], hint = INVALID[key]
            expected.append((key, hint))
        else:
            section = key.split(".")[0]
            override, hint = NESTED_INVALID[key]
            values[section] = {**values.get(section, {}), **override}
            expected.append((section, hint))
    with pytest.raises(SettingsError) as raised:
        validate_settings("s", values)
    message = str(raised.value)
    # environment and tier are checked first: when they are wrong, that is what is reported.
    gate = [(k, h) for k, h in expected if k in ("environment", "tier")]
    sections = [k for k, _ in expected]
    for key, hint in gate or expected:
        assert f"accunode:{key}" in message, message
        # A section with two bad keys may report only the first (its cross-field check never runs).
        if sections.count(key) == 1:
            assert hint in message, message


@settings(max_examples=200, deadline=None)
@given(cpu=st.sampled_from(sorted(catalog.FARGATE_SIZES)), memory=st.integers(min_value=128, max_value=131072))
def test_fargate_sizes_are_accepted_exactly_when_aws_accepts_them(cpu: int, memory: int) -> None:
    values = {**DEV, "api": {"cpu": cpu, "memory": memory}}
    if memory in catalog.FARGATE_SIZES[cpu]:
        assert validate_settings("s", values).api.memory == memory
    else:
        with pytest.raises(SettingsError, match=r"accunode:api: memory"):
            validate_settings("s", values)


def test_bad_config_stops_the_program_before_any_resource_and_without_traceback() -> None:
    def program() -> None:
        load_settings()
        aws.s3.Bucket("must-not-exist")

    with pytest.raises(CaptureError) as raised:
        run_program(program, stack="dev", config={**DEV_CONFIG, "accunode:tier": "huge"})
    assert "accunode:tier: 'huge' is not allowed; allowed: minimal, light" in str(raised.value)
    assert "Traceback" not in str(raised.value)
    registered = [r for r in raised.value.graph if r.type != "pulumi:pulumi:Stack"]
    assert registered == []


def test_load_settings_reads_the_running_stacks_config() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        s = load_settings()
        seen.update(stack=s.stack, tier=s.tier, region=s.region, budget=s.monthly_budget)
        pulumi.export("tier", s.tier)

    graph = run_program(program, stack="qa", config={"accunode:environment": "staging", "accunode:tier": "high",
                                                     "accunode:owner": "platform", "accunode:monthlyBudget": "900",
                                                     "aws:region": "eu-west-1"})
    assert seen == {"stack": "qa", "tier": "high", "region": "eu-west-1", "budget": 900.0}
    assert graph.outputs == {"tier": "high"}


@pytest.mark.parametrize("stack", ["Prod", "my_stack", "1dev", "a" * 21])
def test_stack_names_that_cannot_be_aws_names_are_rejected(stack: str) -> None:
    with pytest.raises(SettingsError, match="stack name"):
        validate_settings(stack, {**DEV})


def test_spot_with_arm64_is_rejected_naming_both_keys() -> None:
    with pytest.raises(SettingsError, match=r"worker.spot is not available with cpuArchitecture arm64"):
        validate_settings("d", {**DEV, "cpuArchitecture": "arm64", "worker": {"spot": True}})


def test_stacks_read_the_accounts_github_oidc_provider_and_never_create_it() -> None:
    from tests.conftest import captured

    assert captured("dev").of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    with pytest.raises(SettingsError, match=r"accunode:githubOidcProvider: 'create' is not allowed: .*bootstrap/"):
        validate_settings("d", {**DEV, "githubOidcProvider": "create"})
    assert validate_settings("d", {**DEV, "githubOidcProvider": "existing"})


def test_a_certificate_needs_the_hostname_it_covers() -> None:
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/5f0c7a4e-8d1b-4c3a-9e2f-1a2b3c4d5e6f"
    with pytest.raises(SettingsError, match="certificateArn needs domainName"):
        validate_settings("d", {**DEV, "certificateArn": arn})
    with pytest.raises(SettingsError, match=r"accunode:domainName: 'API.example' is not a lower-case DNS hostname"):
        validate_settings("d", {**DEV, "certificateArn": arn, "domainName": "API.example"})
    assert validate_settings("d", {**DEV, "certificateArn": arn,
                                   "domainName": "api.example.com"}).https


def test_the_api_url_is_https_on_the_domain_with_a_certificate_else_the_alb() -> None:
    from tests.conftest import captured

    assert captured("prod").outputs["apiUrl"] == "https://api.accunode.example"
    dev = captured("dev")
    assert dev.outputs["apiUrl"] == f"http://{dev.outputs['albDnsName']}"


# ---- what the validator did not cover ------------------------------------------------------------------
GAPS: dict[str, tuple[dict[str, Any], str]] = {
    "hidden stack key": ({"stack": "other"}, "accunode:stack: not a setting; the stack name comes from the stack"),
    "hidden region key": ({"region": "eu-west-1"}, "accunode:region: not a setting; the region is the AWS provider's: "
                                                   "set aws:region"),
    "empty required value": ({"owner": ""}, "accunode:owner: empty; set a value"),
    "blank required value": ({"imageTag": "   "}, "accunode:imageTag: blank; set a value"),
    "null required value": ({"alertEmail": None}, "accunode:alertEmail: null; set a value"),
    "tag key too long": ({"tags": {"k" * 129: "v"}}, "is 129 characters; AWS allows at most 128"),
    "tag value too long": ({"tags": {"team": "v" * 257}}, "is 257 characters; AWS allows at most 256"),
    "tag characters": ({"tags": {"team": "ml#platform"}}, "characters AWS refuses in tags ('#')"),
    "tag key characters": ({"tags": {"cost center!": "x"}}, "characters AWS refuses in tags ('!')"),
    "too many tags": ({"tags": {f"t{i}": "x" for i in range(45)}}, "45 tags; AWS allows 50 per resource and the "
                                                                   "program adds 6"),
    "tag set by the program": ({"tags": {"stack": "x"}}, "stack: set by the program on every resource"),
    "owner tag characters": ({"owner": "team<ml>"}, "accunode:owner: the owner has characters AWS refuses"),
    "CIDR in 100.64/10": ({"vpcCidr": "100.64.0.0/16"}, "not a private (RFC 1918) range"),
    "CIDR in TEST-NET": ({"vpcCidr": "192.0.2.0/24"}, "not a private (RFC 1918) range"),
    "budget inf": ({"monthlyBudget": "inf"}, "accunode:monthlyBudget: Input should be a finite number"),
    "budget nan": ({"monthlyBudget": "nan"}, "accunode:monthlyBudget:"),
    "usage inf": ({"usage": {"natProcessedGb": "inf"}}, "accunode:usage: natProcessedGb: must be a finite number"),
    "image tag slash": ({"imageTag": "release/1"}, "not an image tag ECR accepts"),
    "image tag leading dot": ({"imageTag": ".hidden"}, "not an image tag ECR accepts"),
    "image tag too long": ({"imageTag": "v" * 129}, "not an image tag ECR accepts"),
    "engine version unknown minor": ({"database": {"engineVersion": "16.99"}}, "PostgreSQL '16.99' is not a version "
                                                                               "RDS creates; use 16"),
    "engine version old minor": ({"database": {"engineVersion": "17.1"}}, "PostgreSQL '17.1' is not a version"),
    "certificate in another region": ({"certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b",
                                       "domainName": "api.example.com"},
                                      "accunode:certificateArn: the certificate is in eu-west-1 but the stack deploys "
                                      "to us-east-1"),
    "certificate with a short account": ({"certificateArn": "arn:aws:acm:us-east-1:1234:certificate/0a1b",
                                          "domainName": "api.example.com"}, "is not an ACM certificate ARN"),
}


@pytest.mark.parametrize("case", sorted(GAPS))
def test_inputs_aws_or_the_project_refuse_are_refused_naming_the_key(case: str) -> None:
    override, expected = GAPS[case]
    with pytest.raises(SettingsError) as raised:
        validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, **override})
    assert any(expected in problem for problem in raised.value.problems), raised.value.problems


@pytest.mark.parametrize(("typo", "key"), [("alertEmial", "alertEmail"), ("imagetag", "imageTag"),
                                           ("githubRepo", "githubRepository"), ("monthlyBudgt", "monthlyBudget")])
def test_a_misspelled_required_key_is_reported_as_the_typo_not_as_missing(typo: str, key: str) -> None:
    values = {"environment": "prod", **PROD_REQUIRED}
    values[typo] = values.pop(key)
    with pytest.raises(SettingsError) as raised:
        validate_settings("prod", values)
    assert raised.value.problems[0].startswith(f"accunode:{typo}: unknown key; did you mean {key}?")
    assert not any(p.startswith(f"accunode:{key}: required") for p in raised.value.problems)


def test_every_offending_key_is_named_in_one_run() -> None:
    with pytest.raises(SettingsError) as raised:
        validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, "stack": "x", "azCount": "9",
                                   "owner": ""})
    named = {p.split(":")[1] for p in raised.value.problems}
    assert named == {"stack", "azCount", "owner"}, raised.value.problems


@pytest.mark.parametrize("good", [{"engineVersion": "16"}, {"engineVersion": "17.7"}, {"engineVersion": "14.18"}])
def test_postgres_versions_rds_creates_pass(good: dict[str, str]) -> None:
    settings_ = validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, "database": good})
    assert settings_.database.engine_version == good["engineVersion"]


def test_tags_within_aws_limits_pass() -> None:
    tags = {f"k{i}": "v" for i in range(43)} | {"cost center": "ML platform / é:+=@_-." + "x" * 200}
    assert len(validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, "tags": tags}).tags) == 44


@pytest.mark.parametrize(("stack", "ok"), [("a" * 19, True), ("a" * 20, False), ("prod-2", True), ("prod-", False),
                                           ("pr--od", False), ("2prod", False), ("Prod", False)])
def test_stack_names_fit_every_physical_name(stack: str, ok: bool) -> None:
    from accunode.settings import stack_name_problem

    assert (stack_name_problem(stack) is None) is ok
    assert (len(f"accunode-{stack}-alb") <= 32) or not ok


def test_a_setting_stored_as_a_secret_says_so() -> None:
    from accunode.engine.capture import SECRET_PLACEHOLDER

    owner = SECRET_PLACEHOLDER.format(key="accunode:owner")
    with pytest.raises(SettingsError) as raised:
        validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, "owner": owner})
    assert raised.value.problems == ["accunode:owner: stored as a secret (secure:), which cannot be read without "
                                     "the stack's secrets provider; settings are not secrets: set it in plain text"]


@pytest.mark.parametrize(("override", "expected"), [
    ({"githubRepository": "acme/.."}, "is not a GitHub repository"),
    ({"githubRepository": "acme-/accunode"}, "is not a GitHub repository"),
    ({"githubRepository": "-acme/accunode"}, "is not a GitHub repository"),
    ({"githubRepository": "a" * 40 + "/x"}, "is not a GitHub repository"),
    ({"imageContext": "../../etc"}, "accunode:imageContext: '../../etc' is not allowed"),
    ({"imageContext": "/srv/app"}, "the image's build context is a folder inside the project"),
])
def test_names_github_or_the_build_would_refuse_are_refused(override: dict[str, str], expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, **override})
    assert any(expected in p for p in raised.value.problems), raised.value.problems


def test_github_repository_names_github_allows_pass() -> None:
    values = {"environment": "prod", **PROD_REQUIRED, "githubRepository": "acme-corp/accu.node_infra-2"}
    assert validate_settings("prod", values).github_repository == "acme-corp/accu.node_infra-2"


def test_each_offending_tag_is_its_own_line_naming_the_tag() -> None:
    tags = {"k" * 129: "v", "team": "ml#platform", "aws:owner": "x", "ok": "fine"}
    with pytest.raises(SettingsError) as raised:
        validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, "tags": tags})
    assert raised.value.problems == [
        f"accunode:tags.{'k' * 40}...: the key is 129 characters; AWS allows at most 128",
        "accunode:tags.team: the value has characters AWS refuses in tags ('#'); allowed: letters, digits, spaces "
        "and _ . : / = + - @",
        "accunode:tags.aws:owner: tag keys starting with 'aws:' are reserved by AWS",
    ]


def test_a_region_that_is_not_an_aws_region_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"aws:region: 'mars' is not an AWS region name"):
        validate_settings("prod", {"environment": "prod", **PROD_REQUIRED}, region="mars")


@pytest.mark.parametrize("namespace", ["acunode", "Accunode", "accunod", "acunnode"])
def test_a_misspelled_namespace_is_refused_instead_of_ignored(namespace: str) -> None:
    config = {**DEV_CONFIG, f"{namespace}:tier": "high", "aws:region": "us-east-1",
              "notes:anything": "kept"}
    with pytest.raises(SettingsError) as raised:
        settings_from_config("dev", config)
    assert raised.value.problems == [f"{namespace}:tier: unknown namespace; did you mean accunode:tier?"]


def test_other_namespaces_are_left_to_their_owners() -> None:
    config = {**DEV_CONFIG, "aws:region": "us-east-1", "pulumi:tags": "{}", "notes:x": "1"}
    assert settings_from_config("dev", config).environment == "dev"


@pytest.mark.parametrize(("override", "expected"), [
    ({"certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b"}, "accunode:certificateArn needs "),
    ({"worker": {"minCount": 0, "desiredCount": 0}}, "accunode:worker.minCount 0 (scale to zero)"),
])
def test_a_cross_field_problem_starts_with_the_namespaced_key(override: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        validate_settings("prod", {"environment": "prod", **PROD_REQUIRED, **override})
    assert raised.value.problems[0].startswith(expected), raised.value.problems


# --- accunode:api.deployment ------------------------------------------------------------------
def test_prod_releases_blue_green_and_other_stacks_roll_by_default() -> None:
    assert _settings("prod").api.deployment.strategy == "blue-green"
    assert _settings("prod").api.deployment.bake_minutes == 15
    assert _settings("staging").api.deployment.strategy == "rolling"
    assert _settings("dev").api.deployment.strategy == "rolling"
    assert _settings("prod").worker.deployment is None


def test_a_stack_chooses_canary_with_its_steps() -> None:
    chosen = validate_settings("p", {"environment": "prod", **PROD_REQUIRED, "api": {"deployment": {
        "strategy": "canary", "canaryPercent": 5, "canaryBakeMinutes": 3, "bakeMinutes": 30}}})
    spec = chosen.api.deployment.spec()
    assert (spec.strategy, spec.canary_percent, spec.canary_bake_minutes, spec.bake_minutes) == ("canary", 5, 3, 30)
    assert chosen.api.cpu == TIER_PRESETS["light"]["api"]["cpu"]  # the preset's other api keys stay


@pytest.mark.parametrize(("deployment", "expected"), [
    ({"strategy": "bluegreen"}, "accunode:api.deployment.strategy: 'bluegreen' is not allowed; did you mean "
                                "blue-green? allowed: rolling, blue-green, canary, linear"),
    ({"strategy": "rolling", "bakeMinutes": 5}, "accunode:api.deployment: bakeMinutes does not apply to strategy "
                                                "rolling"),
    ({"strategy": "canary", "stepPercent": 10}, "accunode:api.deployment: stepPercent does not apply to strategy "
                                                "canary"),
    ({"strategy": "linear", "stepPercent": 2}, "accunode:api.deployment.stepPercent: Input should be greater than "
                                               "or equal to 3"),
    ({"strategy": "canary", "canaryPercent": 0}, "accunode:api.deployment.canaryPercent: Input should be greater"),
    ({"strategy": "blue-green", "bakeMinutes": 1441}, "accunode:api.deployment.bakeMinutes: Input should be less "
                                                      "than or equal to 1440"),
    ({"strategy": "canary", "bakeMinute": 5}, "accunode:api.deployment.bakeMinute: unknown key; did you mean "
                                              "bakeMinutes?"),
])
def test_a_bad_deployment_setting_names_the_key_and_what_is_allowed(deployment: dict, expected: str) -> None:
    with pytest.raises(SettingsError) as raised:
        validate_settings("p", {"environment": "prod", **PROD_REQUIRED, "api": {"deployment": deployment}})
    assert any(problem.startswith(expected) for problem in raised.value.problems), raised.value.problems


def test_the_worker_has_no_deployment_setting() -> None:
    with pytest.raises(SettingsError) as raised:
        validate_settings("d", {**DEV, "worker": {"deployment": {"strategy": "canary"}}})
    assert raised.value.problems == ["accunode:worker.deployment is not a setting: the worker takes no traffic to "
                                     "shift, so it keeps rolling updates with its circuit breaker; set api.deployment "
                                     "instead"]


@pytest.mark.parametrize("environment", ["dev", "staging"])
def test_every_environment_names_an_owner_or_a_cost_center(environment: str) -> None:
    # The cost pack's cost-allocation-tags policy requires one of them on every resource: refuse it here,
    # in one line naming the key, instead of ~80 violations after the program ran.
    with pytest.raises(SettingsError) as error:
        validate_settings("d", {"environment": environment})
    assert "accunode:owner: required unless accunode:tags sets cost-center" in str(error.value)
    with pytest.raises(SettingsError):
        validate_settings("d", {"environment": environment, "tags": {"cost-center": " "}})
    assert validate_settings("d", {"environment": environment, "tags": {"cost-center": "ml"}}).owner is None
    assert validate_settings("d", {"environment": environment, "owner": "platform"}).cost_tags["owner"] == "platform"


def test_a_misspelled_owner_is_reported_as_the_typo_not_as_missing() -> None:
    with pytest.raises(SettingsError) as error:
        validate_settings("d", {"environment": "dev", "ownr": "platform"})
    assert "did you mean owner?" in str(error.value) and "owner: required" not in str(error.value)
