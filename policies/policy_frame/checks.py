"""Declarative checks for rules that compare one property with one value (checkov's base checks:
``BaseResourceValueCheck`` / ``BaseResourceNegativeValueCheck``).

``Expect("storageEncrypted", True, ...)`` passes when the property is one of the expected values;
``Forbid("publiclyAccessible", True, ...)`` fails only when it is one of the forbidden values. A
value is compared after normalisation (booleans from their string forms, strings case-insensitively),
an unknown value is noted as "not checked during preview", and ``when`` limits the check to the
resources it applies to (e.g. symmetric KMS keys only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .graph import Res
from .rule import Context
from .values import UNKNOWN, as_bool

MISSING = "not set"


def _normal(value: Any) -> Any:
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return value
    if isinstance(value, str):
        flag = as_bool(value)
        return flag if isinstance(flag, bool) else value.strip().lower()
    if isinstance(value, int | float):
        return float(value)
    return ("unreadable", type(value).__name__)


def _shown(value: Any) -> str:
    return MISSING if value is None else repr(value) if isinstance(value, str) else str(value)


class _ValueCheck:
    def __init__(self, path: str, *values: Any, fix: str, when: Callable[[Res], bool] | None = None) -> None:
        self.path = path  # dotted property path, e.g. "metadataOptions.httpTokens"
        self.values = values
        self.fix = fix  # what to change, e.g. "set storage_encrypted=True"
        self.when = when

    def read(self, res: Res, ctx: Context) -> tuple[bool, Any]:
        """(applies and known, the raw value)."""
        if self.when is not None and not self.when(res):
            return False, None
        value = res.get(*self.path.split("."))
        if value is UNKNOWN:
            ctx.unknown(self.path)
            return False, value
        return True, value

    def matches(self, value: Any) -> bool:
        normal = _normal(value)
        return any(normal == _normal(v) for v in self.values)


class Expect(_ValueCheck):
    """The property must be one of ``values`` (a missing property fails unless ``missing_passes``)."""

    def __init__(self, path: str, *values: Any, fix: str, when: Callable[[Res], bool] | None = None,
                 missing_passes: bool = False) -> None:
        super().__init__(path, *values, fix=fix, when=when)
        self.missing_passes = missing_passes

    def __call__(self, res: Res, ctx: Context) -> Iterator[str]:
        known, value = self.read(res, ctx)
        if not known or (value is None and self.missing_passes) or self.matches(value):
            return
        yield f"{self.path} is {_shown(value)}; {self.fix}."


class Forbid(_ValueCheck):
    """The property must not be one of ``values`` (missing passes)."""

    def __call__(self, res: Res, ctx: Context) -> Iterator[str]:
        known, value = self.read(res, ctx)
        if known and value is not None and self.matches(value):
            yield f"{self.path} is {_shown(value)}; {self.fix}."
