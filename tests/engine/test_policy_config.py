"""Policy-pack config is reconciled and validated as the engine does (pkg/resource/analyzer/config.go)."""

from __future__ import annotations

import pytest

from accunode.engine.policy_config import (
    PolicyConfig,
    PolicyConfigError,
    PolicySchemaInfo,
    format_validation_errors,
    parse_policy_pack_config,
    reconcile_policy_pack_config,
)

SCHEMA = {"properties": {"name": {"type": "string", "default": "from-default"},
                         "limit": {"type": "integer", "minimum": 1, "default": 3},
                         "mode": {"type": "string", "enum": ["fast", "slow"]}},
          "required": ["name"]}
POLICIES = [PolicySchemaInfo("configured", "mandatory", SCHEMA), PolicySchemaInfo("plain", "advisory", None)]


def test_schema_defaults_lose_to_initial_config_which_loses_to_the_file() -> None:
    initial = {"configured": PolicyConfig("mandatory", {"name": "from-initial", "limit": 5})}
    from_file = parse_policy_pack_config('{"configured": {"name": "from-file"}}')
    config, errors = reconcile_policy_pack_config(POLICIES, initial, from_file)
    assert errors == []
    assert config["configured"] == PolicyConfig("mandatory", {"name": "from-file", "limit": 5})
    assert config["plain"] == PolicyConfig("advisory", None)


def test_all_sets_every_level_but_a_policy_entry_in_the_same_file_wins() -> None:
    from_file = parse_policy_pack_config('{"all": "disabled", "plain": "mandatory"}')
    config, _ = reconcile_policy_pack_config(POLICIES, None, from_file)
    assert config["configured"].enforcement_level == "disabled"
    assert config["plain"].enforcement_level == "mandatory"
    assert config["all"] == PolicyConfig("disabled", None)  # the engine sends "all" as a key too


def test_initial_config_without_a_level_reads_as_advisory_like_the_engine() -> None:
    # A Python pack's initial_config entry without enforcementLevel arrives as ADVISORY (proto zero value).
    initial = {"configured": PolicyConfig("advisory", {"limit": 4})}
    config, _ = reconcile_policy_pack_config(POLICIES, initial, None)
    assert config["configured"].enforcement_level == "advisory"


def test_validation_errors_use_gojsonschema_wording() -> None:
    from_file = parse_policy_pack_config('{"configured": {"name": 3, "limit": 0, "mode": "medium"}}')
    _, errors = reconcile_policy_pack_config(POLICIES, None, from_file)
    assert sorted(errors) == [
        "configured: limit: Must be greater than or equal to 1",
        'configured: mode: mode must be one of the following: "fast", "slow"',
        "configured: name: Invalid type. Expected: string, given: integer",
    ]


def test_a_required_property_without_default_is_reported_at_the_root() -> None:
    schema = {"properties": {"owner": {"type": "string"}}, "required": ["owner"]}
    _, errors = reconcile_policy_pack_config([PolicySchemaInfo("owned", "advisory", schema)], None, None)
    assert errors == ["owned: owner is required"]


def test_integral_floats_from_protobuf_defaults_count_as_integers() -> None:
    initial = {"configured": PolicyConfig("mandatory", {"limit": 5.0})}
    _, errors = reconcile_policy_pack_config(POLICIES, initial, None)
    assert errors == []


def test_engine_error_lines_name_pack_version_and_policy() -> None:
    lines = format_validation_errors("security", "1.0.0", ["b: x", "a: y"])
    assert lines == ["validating policy config: security 1.0.0  a: y", "validating policy config: security 1.0.0  b: x"]


@pytest.mark.parametrize(("text", "message"), [
    ('{"p": "strict"}', '"strict" is not a valid enforcement level'),
    ('{"p": {"enforcementLevel": 1}}', "must be a string"),
    ('{"p": 3}', "must be a string or object"),
    ("[1]", "must be a JSON object"),
    ("{", "invalid policy pack config JSON"),
])
def test_malformed_config_files_are_rejected_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(PolicyConfigError, match=message):
        parse_policy_pack_config(text)


def test_empty_entries_and_an_empty_file_configure_nothing() -> None:
    assert parse_policy_pack_config("  \n") == {}
    assert parse_policy_pack_config('{"p": {}}') == {}


@pytest.mark.parametrize(("schema", "value", "message"), [
    ({"type": "string", "format": "email"}, "ops-at-example", "Does not match format 'email'"),
    ({"type": "string", "format": "hostname"}, "bad host!", "Does not match format 'hostname'"),
    ({"type": "string", "format": "ipv4"}, "10.0.0", "Does not match format 'ipv4'"),
    ({"type": "string", "format": "uuid"}, "not-a-uuid", "Does not match format 'uuid'"),
    ({"type": "string", "format": "date-time"}, "yesterday", "Does not match format 'date-time'"),
    ({"type": "array", "uniqueItems": True}, ["a", "b", "a"], "array items[0,2] must be unique"),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, True, "Must validate at least one schema (anyOf)"),
    ({"type": "object", "minProperties": 2}, {"a": 1}, "Must have at least 2 properties"),
])
def test_formats_and_combinators_are_checked_and_worded_as_gojsonschema(schema: dict, value: object,
                                                                        message: str) -> None:
    from accunode.engine.policy_config import validate_policy_config

    assert validate_policy_config({"properties": {"field": schema}}, {"field": value}) == [f"field: {message}"]


def test_valid_formats_pass_and_formats_do_not_apply_to_other_types() -> None:
    from accunode.engine.policy_config import validate_policy_config

    schema = {"properties": {"host": {"type": "string", "format": "hostname"}, "n": {"format": "email"}}}
    assert validate_policy_config(schema, {"host": "api.example.com", "n": 3}) == []
