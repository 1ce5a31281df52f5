"""Reading IAM documents (identity, trust and resource policies) the way IAM evaluates them."""

from __future__ import annotations

import fnmatch
from typing import Any

from ._frame import UNKNOWN, Context, as_list, dicts, known_strings, parse_json

# Operators that constrain a key to the listed values. Negated operators (StringNotEquals, ...) and
# ...IfExists (true when the key is absent) or ForAllValues (true for an empty set) do not.
POSITIVE_OPERATORS = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress",
                      "foranyvalue:stringequals", "foranyvalue:stringequalsignorecase", "foranyvalue:stringlike",
                      "foranyvalue:arnequals", "foranyvalue:arnlike", "numericequals"}
PATTERN_OPERATORS = {"stringlike", "arnlike", "foranyvalue:stringlike", "foranyvalue:arnlike"}


def statements(document: Any) -> list[dict[str, Any]]:
    return list(dicts(document.get("Statement") if isinstance(document, dict) else None))


def allows(statement: dict[str, Any]) -> bool:
    effect = statement.get("Effect", "Allow")
    return not (isinstance(effect, str) and effect.strip().lower() == "deny")


def values(statement: dict[str, Any], key: str, ctx: Context, label: str) -> list[str]:
    """The known strings of ``statement[key]``; an unknown value or item is noted."""
    value = statement.get(key)
    if value is UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
        ctx.unknown(f"{label}.{key}")
    return [v.strip() for v in known_strings(value)]


def document(value: Any, ctx: Context, label: str) -> dict[str, Any] | None:
    parsed = parse_json(value)
    if parsed is UNKNOWN:
        ctx.unknown(label)
        return None
    return parsed if isinstance(parsed, dict) else None


def conditions(statement: dict[str, Any]) -> list[tuple[str, str, list[Any]]]:
    """(operator lower-case, key lower-case, values) for every condition of the statement."""
    found = []
    condition = statement.get("Condition")
    for operator, block in (condition.items() if isinstance(condition, dict) else []):
        for key, items in (block.items() if isinstance(block, dict) else []):
            listed = as_list(items)
            found.append((str(operator).strip().lower(), str(key).strip().lower(),
                          [UNKNOWN] if listed is UNKNOWN else listed))
    return found


def pins(operator: str, items: list[Any]) -> bool:
    """Whether a condition with ``operator`` and ``items`` limits its key to specific values."""
    if operator not in POSITIVE_OPERATORS or not items:
        return False
    if operator in PATTERN_OPERATORS:
        return all(item is UNKNOWN or (isinstance(item, str) and item.strip("*?") != "") for item in items)
    return True


def action_matches(pattern: str, action: str) -> bool:
    """Whether an IAM action pattern (``iam:Put*``, ``*``) grants ``action`` (case-insensitive)."""
    return fnmatch.fnmatchcase(action.lower(), pattern.strip().lower())


def principal_values(statement: dict[str, Any], key: str = "Principal") -> tuple[list[Any], bool]:
    """(every principal string of the statement, whether any part is unknown)."""
    principal = statement.get(key)
    if principal is UNKNOWN:
        return [], True
    if isinstance(principal, str):
        return [principal.strip()], False
    found: list[Any] = []
    unknown = False
    for kind, items in (principal.items() if isinstance(principal, dict) else []):
        listed = as_list(items)
        if listed is UNKNOWN or UNKNOWN in listed:
            unknown = True
        found += [(str(kind), v.strip()) for v in known_strings(items)]
    return found, unknown


def is_everyone(principal: Any) -> bool:
    """``"*"``, ``{"AWS": "*"}`` or an account wildcard such as ``arn:aws:iam::*:root``."""
    value = principal[1] if isinstance(principal, tuple) else principal
    kind = principal[0] if isinstance(principal, tuple) else "*"
    if kind not in ("*", "AWS", "CanonicalUser"):
        return False
    return value == "*" or (value.startswith("arn:") and ":iam::*:" in value)
