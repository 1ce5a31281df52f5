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


def _settings(stack: str) -> StackSettings:
    config, _ = load_stack_config(ROOT, stack)
    return settings_from_config(stack, config)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_tier_preset_is_valid_in_every_environment(tier: str, environment: str) -> None:
    extra = PROD_REQUIRED if environment == "prod" else {}
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
    assert validate_settings("d", {"environment": "dev", "tier": "enterprise"}).nat_strategy == "single"
    assert validate_settings("p", {"environment": "prod", "tier": "light", **PROD_REQUIRED}).nat_strategy == "single"
    assert validate_settings("p", {"environment": "prod", "tier": "high", **PROD_REQUIRED}).nat_strategy == "per-az"


def test_multi_az_database_is_a_prod_only_default() -> None:
    assert not validate_settings("d", {"environment": "dev", "tier": "enterprise"}).database.multi_az
    assert validate_settings("p", {"environment": "prod", "tier": "enterprise", **PROD_REQUIRED}).database.multi_az


def test_overrides_replace_single_keys_of_a_preset() -> None:
    s = validate_settings("d", {"environment": "dev", "tier": "moderate", "api": '{"maxCount": 3}'})
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
    "api.cpuu": ({"cpuu": 1}, "unknown key; allowed keys: cpu"),
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
    values = {"environment": "dev", "api": {"cpu": cpu, "memory": memory}}
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
        run_program(program, stack="dev", config={"accunode:environment": "dev", "accunode:tier": "huge"})
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
                                                     "accunode:monthlyBudget": "900", "aws:region": "eu-west-1"})
    assert seen == {"stack": "qa", "tier": "high", "region": "eu-west-1", "budget": 900.0}
    assert graph.outputs == {"tier": "high"}


@pytest.mark.parametrize("stack", ["Prod", "my_stack", "1dev", "a" * 21])
def test_stack_names_that_cannot_be_aws_names_are_rejected(stack: str) -> None:
    with pytest.raises(SettingsError, match="stack name"):
        validate_settings(stack, {"environment": "dev"})


def test_spot_with_arm64_is_rejected_naming_both_keys() -> None:
    with pytest.raises(SettingsError, match=r"worker.spot is not available with cpuArchitecture arm64"):
        validate_settings("d", {"environment": "dev", "cpuArchitecture": "arm64", "worker": {"spot": True}})


def test_stacks_read_the_accounts_github_oidc_provider_and_never_create_it() -> None:
    from tests.conftest import captured

    assert captured("dev").of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    with pytest.raises(SettingsError, match=r"accunode:githubOidcProvider: 'create' is not allowed: .*bootstrap/"):
        validate_settings("d", {"environment": "dev", "githubOidcProvider": "create"})
    assert validate_settings("d", {"environment": "dev", "githubOidcProvider": "existing"})


def test_a_certificate_needs_the_hostname_it_covers() -> None:
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/5f0c7a4e-8d1b-4c3a-9e2f-1a2b3c4d5e6f"
    with pytest.raises(SettingsError, match="certificateArn needs domainName"):
        validate_settings("d", {"environment": "dev", "certificateArn": arn})
    with pytest.raises(SettingsError, match=r"accunode:domainName: 'API.example' is not a lower-case DNS hostname"):
        validate_settings("d", {"environment": "dev", "certificateArn": arn, "domainName": "API.example"})
    assert validate_settings("d", {"environment": "dev", "certificateArn": arn,
                                   "domainName": "api.example.com"}).https


def test_the_api_url_is_https_on_the_domain_with_a_certificate_else_the_alb() -> None:
    from tests.conftest import captured

    assert captured("prod").outputs["apiUrl"] == "https://api.accunode.example"
    dev = captured("dev")
    assert dev.outputs["apiUrl"] == f"http://{dev.outputs['albDnsName']}"
