"""The stack's settings, resolved one way for every rule of both packs.

The engine hands a pack the stack's config in ``PULUMI_CONFIG``. When the project's
``accunode.settings`` is importable, the stack's effective settings (tier presets applied) are read
from it; otherwise (a pack run on its own) rules fall back to the raw ``accunode:*`` config. Either
way an unreadable config never raises: the problem is kept so a rule can say why it did not run.
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "accunode"
ENVIRONMENTS = ("dev", "staging", "prod")
DEFAULT_ENVIRONMENT = "prod"  # when nothing says otherwise, hold a stack to the strictest rules


def load_settings() -> tuple[Any | None, str]:
    """The stack's ``StackSettings``, or (None, why not)."""
    try:
        from accunode.settings import SettingsError, runtime_settings
    except ImportError:
        return None, "the project's settings module (accunode.settings) is not importable"
    try:
        return runtime_settings(), ""
    except SettingsError as error:
        return None, f"the stack's settings are invalid: {error}"
    except Exception as error:  # no runtime, malformed PULUMI_CONFIG: the rule says so instead of crashing
        return None, f"the stack's settings could not be read ({type(error).__name__}: {error})"


def raw_config(key: str) -> str | None:
    """``accunode:<key>`` as the stack's config has it (no presets), or None."""
    try:
        import pulumi

        value = pulumi.Config(NAMESPACE).get(key)
    except Exception:  # no runtime configured, malformed PULUMI_CONFIG, ...: behave as if unset
        return None
    return value if isinstance(value, str) else None


# Effective settings rules ask for by key: attribute of StackSettings rendered as config text.
_EFFECTIVE = {"environment": lambda s: s.environment, "waf": lambda s: "true" if s.waf else "false"}


def stack_value(key: str, settings: Any | None) -> str | None:
    """A stack setting: the effective value when settings were read, else the raw config."""
    if settings is not None and key in _EFFECTIVE:
        try:
            value = _EFFECTIVE[key](settings)
        except Exception:  # a settings object of another shape: fall back to raw config
            value = None
        if isinstance(value, str):
            return value
    return raw_config(key)
