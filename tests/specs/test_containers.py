"""Container definitions: hardened, secrets by reference only, every field a known plain value."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accunode.specs.containers import ContainerSpec, container_definitions, image_uri

SECRET_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/prod/database-url"


def spec(**overrides) -> ContainerSpec:
    values = dict(name="api", image=image_uri("123456789012", "us-east-1", "accunode-prod", "2026.11.26-1"),
                  log_group="/ecs/accunode-prod-api", region="us-east-1", port=8000,
                  environment={"APP_ROLE": "api"}, secrets={"DATABASE_URL": SECRET_ARN})
    return ContainerSpec(**{**values, **overrides})


def definition(**overrides) -> dict:
    (only,) = json.loads(container_definitions(spec(**overrides)))
    return only


def test_image_is_our_repository_at_the_configured_tag():
    assert definition()["image"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/accunode-prod:2026.11.26-1"


def test_container_runs_as_non_root_on_a_read_only_root_with_a_writable_tmp():
    container = definition()
    assert container["user"] == "1000:1000"
    assert container["readonlyRootFilesystem"] is True
    assert container["privileged"] is False
    assert container["linuxParameters"]["capabilities"] == {"drop": ["ALL"]}
    assert container["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]


def test_secrets_are_injected_by_parameter_arn_and_never_as_environment():
    container = definition()
    assert container["secrets"] == [{"name": "DATABASE_URL", "valueFrom": SECRET_ARN}]
    assert container["environment"] == [{"name": "APP_ROLE", "value": "api"}]
    assert SECRET_ARN not in json.dumps(container["environment"])


def test_logs_go_to_the_named_log_group_with_the_awslogs_driver():
    assert definition()["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/accunode-prod-api", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "api"}}


def test_only_a_container_with_a_port_maps_one():
    assert definition()["portMappings"] == [{"containerPort": 8000, "hostPort": 8000, "protocol": "tcp"}]
    assert definition(port=None, name="worker")["portMappings"] == []


@pytest.mark.parametrize("overrides, message", [
    ({"user": "root"}, "root"),
    ({"user": "0:0"}, "root"),
    ({"secrets": {"DATABASE_URL": "postgresql://u:p@h/db"}}, "SSM parameter ARN"),
    ({"environment": {"DATABASE_URL": "x"}}, "both"),
    ({"environment": {"1BAD": "x"}}, "not valid"),
    ({"port": 70000}, "TCP port"),
])
def test_container_spec_rejects_unsafe_or_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        spec(**overrides)


def test_container_names_must_be_unique_within_a_task():
    with pytest.raises(ValueError, match="unique"):
        container_definitions(spec(), spec())


@given(environment=st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True),
                                   st.text(max_size=20), max_size=5))
def test_definitions_are_deterministic_json_of_plain_values(environment):
    environment.pop("DATABASE_URL", None)
    first, second = container_definitions(spec(environment=environment)), container_definitions(
        spec(environment=dict(reversed(list(environment.items())))))
    assert first == second
    assert {e["name"]: e["value"] for e in json.loads(first)[0]["environment"]} == environment
