"""Reading resource properties defensively, with one representation of "unknown".

Over the wire an unknown value is one of the engine's sentinel strings (``04da6b54-...`` for a
string, ``1c4a061d-...`` for a bool, ...), and ``pulumi_policy`` wraps props in an unknown-checking
proxy whose reads raise ``UnknownValueError``. :func:`unwrap` converts once, at the frame's door:
proxies become plain dicts and lists, every sentinel becomes the single :data:`UNKNOWN` object.
Rules only ever compare with ``UNKNOWN``; :func:`to_wire` turns it back into the sentinel for code
outside the packs (the cost model) that reads the engine's form.

Every accessor accepts anything (``None``, wrong types, ``UNKNOWN``) and never raises.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

try:  # private classes of the SDK's proxy; unwrapping without them still works through Mapping/Sequence
    from pulumi_policy.proxy import _DictProxy, _ListProxy
except ImportError:  # pragma: no cover - the SDK always ships them
    _DictProxy = _ListProxy = ()  # type: ignore[assignment,misc]

# The engine's sentinels (pulumi/sdk/go/common/resource/plugin/rpc.go); the same strings as
# accunode.engine.graph.UNKNOWNS, repeated here so the packs run without the accunode package.
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWNS = frozenset({
    UNKNOWN_STRING,
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # bool
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
    "e48ece36-62e2-4504-bad9-02848725956a",  # archive
})
# A secret as the engine marshals it; the SDK unwraps top-level secrets, nested JSON may still carry one.
SECRET_KEY, SECRET_SIG = "4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"


class _Unknown:
    """The single value rules see for anything unknown during preview."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in UNKNOWNS)


def unwrap(value: Any) -> Any:
    """Plain dicts/lists from the SDK's proxies; sentinels become :data:`UNKNOWN`; secrets their value."""
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Mapping):
        if value.get(SECRET_KEY) == SECRET_SIG:
            return unwrap(value.get("value"))
        return {str(key): unwrap(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [unwrap(item) for item in value]
    return value


def to_wire(value: Any) -> Any:
    """The inverse for code that reads the engine's form: :data:`UNKNOWN` back to the string sentinel."""
    if value is UNKNOWN:
        return UNKNOWN_STRING
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def get(value: Any, *path: str | int) -> Any:
    """``value[p0][p1]...``; ``None`` when a step is missing or of the wrong type, UNKNOWN if a step is unknown."""
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, str) and isinstance(value, dict):
            value = value.get(step)
        elif isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return None
    return value


TRUE_WORDS, FALSE_WORDS = {"true", "enabled", "yes"}, {"false", "disabled", "no"}


def as_bool(value: Any) -> bool | _Unknown | None:
    """True/False for booleans and their usual string forms (``"ENABLED"`` too); UNKNOWN; None otherwise."""
    if value is UNKNOWN or isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def as_number(value: Any) -> float | _Unknown | None:
    if value is UNKNOWN or value is None:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value == value and abs(value) != float("inf") else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None
    return None


def as_list(value: Any) -> list[Any] | _Unknown:
    """A list; a lone dict or scalar becomes a one-element list; None/missing becomes []."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def as_str(value: Any) -> str | _Unknown | None:
    if value is UNKNOWN or isinstance(value, str):
        return value
    return None


def number(value: Any) -> float | None:
    """A known number (numbers and numeric strings); None when absent, unknown or unreadable."""
    result = as_number(value)
    return None if result is UNKNOWN else result  # type: ignore[return-value]


def text(value: Any) -> str | None:
    """A known string; None when absent, unknown or not a string."""
    return value if isinstance(value, str) and not is_unknown(value) else None


def known_strings(value: Any) -> list[str]:
    """The known string items of a value that should be a string or a list of strings."""
    items = as_list(value)
    if items is UNKNOWN:
        return []
    return [item for item in items if isinstance(item, str)]


def parse_json(value: Any) -> Any:
    """A JSON document given as a string or already as a dict/list. UNKNOWN if unknown, None if unreadable."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, dict | list):
        return value
    if isinstance(value, str):
        try:
            return unwrap(json.loads(value))
        except (ValueError, RecursionError):
            return None
    return None


def dicts(value: Any) -> Iterable[dict[str, Any]]:
    """The dict items of a list (others skipped); a lone dict is a list of one."""
    items = as_list(value)
    if items is UNKNOWN:
        return []
    return [item for item in items if isinstance(item, dict)]
