"""The small frame every cost rule uses: metadata, a pure check, and its CrossGuard policy.

A resource rule's check gets one :class:`Res` and yields messages; a stack rule's check gets the
:class:`Stack` and yields ``(resource, message)``. Properties are plain values with the engine's
unknown sentinels left in place (``accunode.engine.graph.is_unknown``), so a rule decides from
what is known on a first preview instead of tripping the SDK's unknown-checking proxy. The frame
adds what every rule needs the same way: type filtering, the stack's environment and settings,
"not checked: unknown during preview" as not-applicable, and a guard that turns a rule's bug into
a violation naming the rule rather than an RPC error that would abort the whole preview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from accunode.engine.graph import is_unknown
from accunode.settings import ENVIRONMENTS, NAMESPACE, SettingsError, StackSettings

try:  # the SDK's proxy classes: unwrapped without touching (and raising on) unknown values
    from pulumi_policy.proxy import _DictProxy, _ListProxy
except ImportError:  # pragma: no cover - the SDK always ships them
    _DictProxy = _ListProxy = ()  # type: ignore[assignment,misc]

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
LOW, MEDIUM, HIGH = Severity.LOW, Severity.MEDIUM, Severity.HIGH
DEFAULT_ENVIRONMENT = "prod"  # when nothing says otherwise, hold a stack to prod's rules

ENVIRONMENT_SCHEMA: dict[str, Any] = {
    "type": "string", "enum": list(ENVIRONMENTS),
    "description": "The stack's environment; defaults to the stack config accunode:environment, else prod.",
}


def plain(value: Any) -> Any:
    """Plain dicts and lists from the SDK's proxies; unknown sentinels stay as they are."""
    if isinstance(value, (_DictProxy, _ListProxy)):
        value = value["__target"]
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(item) for item in value]
    return value


def number(value: Any) -> float | None:
    """A number from a number or numeric string; None when absent, unknown or unreadable."""
    if isinstance(value, bool) or value is None or is_unknown(value):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result else None  # NaN is unreadable


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and not is_unknown(value) else None


@dataclass(eq=False)
class Res:
    """A resource as rules see it: plain properties and property dependencies as URNs."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)
    parent: str = ""

    def get(self, *path: str | int) -> Any:
        """``props[p0][p1]...``; None when a step is missing or of the wrong type; an unknown sentinel stops."""
        value: Any = self.props
        for step in path:
            if is_unknown(value):
                return value
            if isinstance(step, str) and isinstance(value, dict):
                value = value.get(step)
            elif isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
            else:
                return None
        return value


class Stack:
    """The stack's resources (outputs) with lookups by type and URN."""

    def __init__(self, resources: Iterable[Res]):
        self.resources = list(resources)
        self._by_urn = {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[Res]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str) -> Res | None:
        return self._by_urn.get(urn)

    def linked(self, res: Res, key: str, *types: str) -> list[Res]:
        """Resources of ``types`` that ``res`` points at through input ``key``: property dependencies first
        (known on a first preview), else a known value equal to their id, ARN or name."""
        found = [r for urn in res.deps.get(key, []) if (r := self.by_urn(urn)) is not None and r.type in types]
        if found:
            return found
        value = text(res.props.get(key))
        if value is None:
            return []
        return [r for r in self.of_type(*types)
                if value in {text(r.props.get(k)) for k in ("id", "arn", "name", "family")} - {None}]


def stack_settings() -> tuple[StackSettings | None, str]:
    """The stack's settings (tier presets applied) from the config the engine gives packs, or why not."""
    try:
        from accunode.settings import runtime_settings

        return runtime_settings(), ""
    except SettingsError as error:
        return None, f"the stack's settings are invalid: {error}"
    except Exception as error:  # no runtime, malformed PULUMI_CONFIG: the rule says so instead of crashing
        return None, f"the stack's settings could not be read ({type(error).__name__}: {error})"


def _raw_environment() -> str | None:
    try:
        import pulumi

        return pulumi.Config(NAMESPACE).get("environment")
    except Exception:  # malformed config: behave as if unset
        return None


class Context:
    """What a check may ask of the run: its config, the stack's settings and environment."""

    def __init__(self, config: Mapping[str, Any] | None):
        self.config: Mapping[str, Any] = config or {}
        self.unknowns: list[str] = []
        self.skipped: str | None = None
        self._settings: tuple[StackSettings | None, str] | None = None

    @property
    def settings(self) -> StackSettings | None:
        return self._load()[0]

    @property
    def settings_problem(self) -> str:
        return self._load()[1]

    def _load(self) -> tuple[StackSettings | None, str]:
        if self._settings is None:
            self._settings = stack_settings()
        return self._settings

    @property
    def environment(self) -> str:
        """Policy config, else the stack's settings, else its raw config, else prod."""
        settings = self.settings
        for value in (self.config.get("environment"), settings.environment if settings else None,
                      _raw_environment()):
            if isinstance(value, str) and value in ENVIRONMENTS:
                return value
        return DEFAULT_ENVIRONMENT

    def setting(self, key: str, default: Any) -> Any:
        """A policy config value, or ``default`` when absent (the engine fills schema defaults; tests may not)."""
        value = self.config.get(key)
        return default if value is None else value

    def per_environment(self, key: str, defaults: Mapping[str, Any]) -> Any:
        """``config[key][environment]`` over ``defaults[environment]``."""
        configured = self.config.get(key)
        environment = self.environment
        if isinstance(configured, Mapping) and environment in configured:
            return configured[environment]
        return defaults.get(environment)

    def skip(self, reason: str) -> None:
        """Mark the rule not applicable to this run (reported only when nothing was found)."""
        self.skipped = reason

    def unknown(self, what: str) -> None:
        if what not in self.unknowns:
            self.unknowns.append(what)


ResourceCheck = Callable[[Res, Context], Iterable[str]]
StackCheck = Callable[[Stack, Context], Iterable[tuple[Res | None, str]]]


@dataclass(frozen=True)
class Rule:
    """One cost rule. ``id`` is the policy name users configure; it never changes."""

    id: str
    area: str
    description: str
    severity: Severity
    check: ResourceCheck | StackCheck
    types: tuple[str, ...] = ()  # resource rules: the types checked (empty: every type)
    stack: bool = False
    enforcement: EnforcementLevel = MANDATORY
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # config schema properties

    def policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        properties = {"environment": ENVIRONMENT_SCHEMA, **{k: dict(v) for k, v in self.settings.items()}}
        common = {"name": self.id, "description": self.description, "enforcement_level": self.enforcement,
                  "config_schema": PolicyConfigSchema(properties=properties), "severity": self.severity,
                  "tags": ["cost", self.area]}
        if self.stack:
            return StackValidationPolicy(validate=self._validate_stack, **common)
        return ResourceValidationPolicy(validate=self._validate_resource, **common)

    def _validate_resource(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if self.types and args.resource_type not in self.types:
            return
        ctx = Context(args.get_config())
        res = Res(args.resource_type, args.name, args.urn, _props(args.props))
        messages = self._guarded(lambda: list(self.check(res, ctx)))  # type: ignore[arg-type]
        for message in messages:
            report_violation(message, None)
        if not messages and (ctx.skipped or ctx.unknowns):
            args.not_applicable(ctx.skipped or _unknown_reason(ctx))

    def _validate_stack(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = Context(args.get_config())
        stack = Stack(stack_resource(r) for r in args.resources)
        findings = self._guarded(lambda: [(None, m) if isinstance(m, str) else m
                                          for m in self.check(stack, ctx)])  # type: ignore[arg-type]
        for finding in findings:
            res, message = finding if isinstance(finding, tuple) else (None, finding)
            report_violation(message, res.urn if res is not None else None)
        if not findings and (ctx.skipped or ctx.unknowns):
            args.not_applicable(ctx.skipped or _unknown_reason(ctx))

    def _guarded(self, run: Callable[[], list[Any]]) -> list[Any]:
        """The check's findings, or one message naming the rule and the error if it raised."""
        try:
            return run()
        except Exception as error:  # a rule bug must not abort the whole preview; it shows up as a violation
            return [f"internal error in rule {self.id} ({type(error).__name__}: {error}); nothing was checked. "
                    "Report this to the owners of policies/cost."]


def _props(props: Any) -> dict[str, Any]:
    value = plain(props)
    return value if isinstance(value, dict) else {}


def stack_resource(resource: Any) -> Res:
    """A stack policy's ``PolicyResource`` as a :class:`Res` (parent and dependencies as URNs)."""
    deps: dict[str, list[str]] = {}
    for key, items in (getattr(resource, "property_dependencies", None) or {}).items():
        deps[key] = [d.urn for d in items if isinstance(getattr(d, "urn", None), str)]
    parent = getattr(resource, "parent", None)
    return Res(resource.resource_type, resource.name, resource.urn, _props(resource.props), deps,
               getattr(parent, "urn", "") or "")


def _unknown_reason(ctx: Context) -> str:
    return "not checked: unknown during preview: " + ", ".join(ctx.unknowns[:5])
