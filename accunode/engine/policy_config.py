"""Policy-pack configuration as the Pulumi engine reconciles it before a preview.

Mirrors ``pkg/resource/analyzer/config.go`` (pulumi/pulumi): the ``--policy-pack-config`` file
parser, ``ReconcilePolicyPackConfig`` (schema defaults < the pack's ``initial_config`` < the file,
with ``"all"`` setting every policy's enforcement level) and the per-policy JSON-schema
validation, with error texts in gojsonschema's wording so messages read like the CLI's
(``validating policy config: <pack> <version>  <policy>: <error>``).

Pure Python (``jsonschema`` only): no gRPC, no Pulumi import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")
# The engine injects this property into every policy's schema when the pack supports config.
ENFORCEMENT_LEVEL_SCHEMA = {"type": "string", "enum": list(ENFORCEMENT_LEVELS)}


class PolicyConfigError(ValueError):
    """A ``--policy-pack-config`` file or the reconciled config is invalid; ``str()`` is the CLI text."""


@dataclass
class PolicyConfig:
    """One entry of a pack's config: an enforcement level ("" = unset) and properties (None = none)."""

    enforcement_level: str = ""
    properties: dict[str, Any] | None = None


@dataclass(frozen=True)
class PolicySchemaInfo:
    """What reconciliation needs to know about a policy (from ``GetAnalyzerInfo``)."""

    name: str
    enforcement_level: str
    config_schema: Mapping[str, Any] | None = None  # {"properties": {...}, "required": [...]}


def _extract_level(name: str, props: dict[str, Any]) -> str:
    if "enforcementLevel" not in props:
        return ""
    level = props.pop("enforcementLevel")
    if not isinstance(level, str):
        raise PolicyConfigError(f'parsing enforcement level for "{name}": {level} is not a valid enforcement level; '
                                "must be a string")
    if level not in ENFORCEMENT_LEVELS:
        raise PolicyConfigError(f'parsing enforcement level for "{name}": "{level}" is not a valid enforcement level')
    return level


def parse_policy_pack_config(text: str) -> dict[str, PolicyConfig]:
    """Parse a ``--policy-pack-config`` JSON document (``parsePolicyPackConfig``).

    A value is an enforcement level string or an object with an optional ``enforcementLevel`` and
    properties. ``environments`` (ESC) is not supported offline and is rejected with a clear message.
    """
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"invalid policy pack config JSON: {error}") from None
    if not isinstance(raw, dict):
        raise PolicyConfigError("policy pack config must be a JSON object")
    if "environments" in raw:
        raise PolicyConfigError('policy pack config: "environments" (Pulumi ESC) needs Pulumi Cloud; '
                                "put the values in the file instead")
    result: dict[str, PolicyConfig] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if value not in ENFORCEMENT_LEVELS:
                raise PolicyConfigError(f'parsing enforcement level for "{key}": "{value}" is not a valid '
                                        "enforcement level")
            level, props = value, None
        elif isinstance(value, dict):
            props = dict(value)
            level = _extract_level(key, props)
            props = props or None
        else:
            raise PolicyConfigError(f'parsing "{key}": {json.dumps(value)} is not a valid value; '
                                    "must be a string or object")
        if level or props:
            result[key] = PolicyConfig(level, props)
    return result


def load_policy_pack_config(path: str) -> dict[str, PolicyConfig]:
    """A ``--policy-pack-config`` file; every problem is one line naming the file (and line:col when known)."""
    from pathlib import Path

    from accunode.engine.files import read_json

    file = Path(path)
    data = read_json(file)  # FileError: not UTF-8, a NUL, invalid JSON at line:col
    try:
        return parse_policy_pack_config(json.dumps(data))
    except PolicyConfigError as error:
        raise PolicyConfigError(f"{file.name}: {error}") from None


def defaults_from_policies(policies: Iterable[PolicySchemaInfo]) -> dict[str, PolicyConfig]:
    """``createConfigWithDefaults``: each policy's own level and its schema properties' defaults."""
    result: dict[str, PolicyConfig] = {}
    for policy in policies:
        props: dict[str, Any] | None = None
        for key, schema in ((policy.config_schema or {}).get("properties") or {}).items():
            if isinstance(schema, Mapping) and "default" in schema:
                props = props or {}
                props[key] = schema["default"]
        result[policy.name] = PolicyConfig(policy.enforcement_level, props)
    return result


def apply_config(result: dict[str, PolicyConfig], given: Mapping[str, PolicyConfig]) -> dict[str, PolicyConfig]:
    """``applyConfig``: ``all`` sets every known policy's level, then each entry merges shallowly."""
    everyone = given.get("all")
    if everyone is not None and everyone.enforcement_level in ENFORCEMENT_LEVELS:
        for name, current in list(result.items()):
            result[name] = PolicyConfig(everyone.enforcement_level, current.properties)
    for name, config in given.items():
        current = result.get(name, PolicyConfig())
        level = config.enforcement_level if config.enforcement_level in ENFORCEMENT_LEVELS \
            else current.enforcement_level
        props = dict(current.properties) if current.properties is not None else None
        if config.properties:
            props = {**(props or {}), **config.properties}
        result[name] = PolicyConfig(level, props)
    return result


def reconcile_policy_pack_config(
    policies: Iterable[PolicySchemaInfo],
    initial_config: Mapping[str, PolicyConfig] | None,
    config: Mapping[str, PolicyConfig] | None,
) -> tuple[dict[str, PolicyConfig], list[str]]:
    """``ReconcilePolicyPackConfig``: (config to send to ``Configure``, validation errors)."""
    policies = list(policies)
    result = defaults_from_policies(policies)
    if initial_config:
        result = apply_config(result, initial_config)
    if config:
        result = apply_config(result, config)
    errors: list[str] = []
    for policy in policies:
        if policy.config_schema is None:
            continue
        props = (result.get(policy.name) or PolicyConfig()).properties or {}
        errors += [f"{policy.name}: {message}" for message in validate_policy_config(policy.config_schema, props)]
    return result, errors


def policy_json_schema(config_schema: Mapping[str, Any]) -> dict[str, Any]:
    """``convertSchema``: the object schema a policy's properties are validated against."""
    schema: dict[str, Any] = {"type": "object"}
    if config_schema.get("properties"):
        schema["properties"] = dict(config_schema["properties"])
    if config_schema.get("required"):
        schema["required"] = list(config_schema["required"])
    return schema


_HOSTNAME = re.compile(r"^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])"
                       r"(\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]{0,61}[a-zA-Z0-9]))*$")
_UUID = re.compile(r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$")


def _format_checker() -> Any:
    """jsonschema's Draft 7 format checks plus the two gojsonschema has and jsonschema lacks here
    (hostname needs an extra package, uuid is not a Draft 7 format), with gojsonschema's rules."""
    from jsonschema import Draft7Validator, FormatChecker

    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft7Validator.FORMAT_CHECKER.checkers)
    checker.checks("hostname")(lambda v: not isinstance(v, str) or (len(v) <= 255 and bool(_HOSTNAME.match(v))))
    checker.checks("uuid")(lambda v: not isinstance(v, str) or bool(_UUID.match(v)))
    return checker


def validate_policy_config(config_schema: Mapping[str, Any], props: Mapping[str, Any]) -> list[str]:
    """Validation errors for one policy's properties, worded as gojsonschema words them."""
    from jsonschema import Draft7Validator

    # gojsonschema checks "format" (date-time, email, hostname, ipv4, ipv6, uri, uuid, regex, ...) by default.
    validator = Draft7Validator(policy_json_schema(config_schema), format_checker=_format_checker())
    errors = sorted(validator.iter_errors(dict(props)), key=lambda e: (list(e.absolute_path), e.validator))
    return [_gojsonschema_message(error) for error in errors]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _gojsonschema_message(error: Any) -> str:
    """One error as ``<field>: <description>`` (root errors without the ``(root): `` prefix)."""
    path = ".".join(str(part) for part in error.absolute_path)
    field_name = path or "(root)"
    leaf = str(error.absolute_path[-1]) if error.absolute_path else "(root)"
    kind, expected = error.validator, error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        description = f"{missing} is required"
        return description if field_name == "(root)" else f"{field_name}: {description}"
    if kind == "type":
        wanted = ", ".join(expected) if isinstance(expected, list) else expected
        description = f"Invalid type. Expected: {wanted}, given: {_json_type(error.instance)}"
    elif kind == "enum":
        description = f"{leaf} must be one of the following: " + ", ".join(json.dumps(v) for v in expected)
    elif kind == "const":
        description = f"{leaf} does not match: {json.dumps(expected)}"
    elif kind == "minLength":
        description = f"String length must be greater than or equal to {expected}"
    elif kind == "maxLength":
        description = f"String length must be less than or equal to {expected}"
    elif kind == "minimum":
        description = f"Must be greater than or equal to {_number(expected)}"
    elif kind == "maximum":
        description = f"Must be less than or equal to {_number(expected)}"
    elif kind == "exclusiveMinimum":
        description = f"Must be greater than {_number(expected)}"
    elif kind == "exclusiveMaximum":
        description = f"Must be less than {_number(expected)}"
    elif kind == "minItems":
        description = f"Array must have at least {expected} items"
    elif kind == "maxItems":
        description = f"Array must have at most {expected} items"
    elif kind == "pattern":
        description = f"Does not match pattern '{expected}'"
    elif kind == "multipleOf":
        description = f"Must be a multiple of {_number(expected)}"
    elif kind == "format":
        description = f"Does not match format '{expected}'"
    elif kind in ("anyOf", "oneOf", "allOf"):
        description = {"anyOf": "Must validate at least one schema (anyOf)",
                       "oneOf": "Must validate one and only one schema (oneOf)",
                       "allOf": "Must validate all the schemas (allOf)"}[kind]
    elif kind == "not":
        description = "Must not validate the schema (not)"
    elif kind == "uniqueItems":
        items = list(error.instance)
        i, j = next((i, j) for j in range(len(items)) for i in range(j) if items[i] == items[j])
        description = f"array items[{i},{j}] must be unique"
    elif kind == "contains":
        description = "At least one of the items must match"
    elif kind == "minProperties":
        description = f"Must have at least {expected} properties"
    elif kind == "maxProperties":
        description = f"Must have at most {expected} properties"
    elif kind == "dependencies":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        description = f"Has a dependency on {missing}"
    elif kind == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        description = f"Additional property {extra} is not allowed"
    else:
        description = error.message
    return description if field_name == "(root)" else f"{field_name}: {description}"


def format_validation_errors(pack_name: str, version: str, errors: Iterable[str]) -> list[str]:
    """The engine's lines (``installAndLoadPolicyPlugins``), sorted as it sorts them."""
    return sorted(f"validating policy config: {pack_name} {version}  {error}" for error in errors)
