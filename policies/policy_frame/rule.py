"""One rule frame for both packs: metadata, a pure check, and its CrossGuard policy.

A resource rule's check gets one :class:`Res` (plain inputs) and yields messages; a stack rule's
check gets the :class:`Graph` (plain outputs and property dependencies) and yields
``(resource or None, message)``. The frame adds what every rule needs the same way: type filtering,
the stack's environment and settings (prod-only rules), exemptions with their reasons, "not checked
during preview" as not-applicable, and a guard that turns an unexpected error into a violation naming
the rule instead of an RPC error that would abort the whole preview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

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

from .exemptions import EXEMPTION_LOG, EXEMPTIONS_SCHEMA, AppliedExemption, Exemption, exemption_for
from .graph import Graph, Res
from .stack import DEFAULT_ENVIRONMENT, ENVIRONMENTS, load_settings, stack_value
from .values import unwrap

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
LOW, MEDIUM, HIGH, CRITICAL = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL
ALL_TYPES: tuple[str, ...] = ("*",)  # a resource rule that looks at every resource type
MAX_LISTED_UNKNOWNS = 5

ENVIRONMENT_SCHEMA: dict[str, Any] = {
    "type": "string", "enum": list(ENVIRONMENTS),
    "description": "The stack's environment; defaults to the stack config accunode:environment, else prod.",
}


class Context:
    """What a check may ask of the run: its config, the stack's settings and environment, and a
    place to note what it could not check."""

    def __init__(self, config: Mapping[str, Any] | None):
        self.config: Mapping[str, Any] = config or {}
        self.unknowns: list[str] = []
        self.skipped: str | None = None
        self._settings: tuple[Any | None, str] | None = None

    def _load(self) -> tuple[Any | None, str]:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    @property
    def settings(self) -> Any | None:
        """The stack's ``accunode.settings.StackSettings`` (tier presets applied), or None."""
        return self._load()[0]

    @property
    def settings_problem(self) -> str:
        return self._load()[1]

    def stack_value(self, key: str) -> str | None:
        """A stack setting as text: effective when the settings are readable, else the raw config."""
        return stack_value(key, self.settings)

    @property
    def environment(self) -> str:
        """Policy config, else the stack's environment, else prod."""
        for value in (self.config.get("environment"), self.stack_value("environment")):
            if isinstance(value, str) and value in ENVIRONMENTS:
                return value
        return DEFAULT_ENVIRONMENT

    def setting(self, key: str, default: Any) -> Any:
        """A policy config value, or ``default`` when absent (the engine fills schema defaults; tests may not)."""
        value = self.config.get(key)
        return default if value is None else value

    def flag(self, key: str, stack_key: str | None = None, default: bool = False) -> bool:
        """A boolean: policy config ``key``, else the stack setting ``stack_key``, else ``default``."""
        value = self.config.get(key)
        if isinstance(value, bool):
            return value
        stack = self.stack_value(stack_key) if stack_key else None
        if stack is not None and stack.strip().lower() in {"true", "false"}:
            return stack.strip().lower() == "true"
        return default

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
        """Note that ``what`` could not be checked because its value is unknown (first preview)."""
        if what not in self.unknowns:
            self.unknowns.append(what)


ResourceCheck = Callable[[Res, Context], Iterable[str]]
StackCheck = Callable[[Graph, Context], Iterable[tuple[Res | None, str]]]


@dataclass(frozen=True)
class Rule:
    """One rule. ``id`` is the policy name users configure; it never changes. A pack subclasses this
    with its ``pack`` name (policy tags, exemption report) and ``owner`` (named in internal errors)."""

    pack: ClassVar[str] = "policies"
    owner: ClassVar[str] = "policies/"

    id: str
    area: str
    description: str
    severity: Severity
    check: ResourceCheck | StackCheck
    types: tuple[str, ...] = ()  # resource rules: the types checked, or ALL_TYPES
    stack: bool = False
    enforcement: EnforcementLevel = MANDATORY
    prod_only: bool = False
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # extra config schema properties

    def __post_init__(self) -> None:
        if not self.stack and not self.types:
            raise ValueError(f"resource rule {self.id} names no types (use ALL_TYPES for every type)")

    def applies_to(self, resource_type: str) -> bool:
        return self.types == ALL_TYPES or resource_type in self.types

    def config_schema(self) -> PolicyConfigSchema:
        properties: dict[str, dict[str, Any]] = {"exemptions": EXEMPTIONS_SCHEMA, "environment": ENVIRONMENT_SCHEMA}
        properties.update({k: dict(v) for k, v in self.settings.items()})
        return PolicyConfigSchema(properties=properties)

    def policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        common = {"name": self.id, "description": self.description, "enforcement_level": self.enforcement,
                  "config_schema": self.config_schema(), "severity": self.severity, "tags": [self.pack, self.area]}
        if self.stack:
            return StackValidationPolicy(validate=self._validate_stack, **common)
        return ResourceValidationPolicy(validate=self._validate_resource, **common)

    # -- adapters -------------------------------------------------------------------------------

    def _not_in_environment(self, ctx: Context) -> str | None:
        if self.prod_only and ctx.environment != "prod":
            return f"applies to prod only; this stack's environment is {ctx.environment}"
        return None

    def _validate_resource(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not self.applies_to(args.resource_type):
            return
        ctx = Context(args.get_config())
        skip = self._not_in_environment(ctx)
        if skip is not None:
            args.not_applicable(skip)
        res = Res(args.resource_type, args.name, args.urn, plain_props(args.props))
        messages, crashed = self._guarded(lambda: list(self.check(res, ctx)))  # type: ignore[arg-type]
        exemption = exemption_for(ctx.config, res.name, res.urn) if messages and not crashed else None
        if exemption is not None:
            self._record(res, exemption)
            args.not_applicable(f"exempted by '{exemption.resource}': {exemption.reason}")
        for message in messages:
            report_violation(message, None)
        if not messages and (ctx.skipped or ctx.unknowns):
            args.not_applicable(ctx.skipped or unknown_reason(ctx))

    def _validate_stack(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = Context(args.get_config())
        skip = self._not_in_environment(ctx)
        if skip is not None:
            args.not_applicable(skip)
        graph = Graph(stack_resource(r) for r in args.resources)
        findings, crashed = self._guarded(lambda: [(None, f) if isinstance(f, str) else f
                                                   for f in self.check(graph, ctx)])  # type: ignore[arg-type]
        if crashed:
            report_violation(findings[0], None)
            return
        reported = 0
        for res, message in findings:
            exemption = exemption_for(ctx.config, res.name, res.urn) if res is not None else None
            if exemption is not None and res is not None:
                self._record(res, exemption)
                continue
            report_violation(message, res.urn if res is not None else None)
            reported += 1
        if not reported and (ctx.skipped or ctx.unknowns):
            args.not_applicable(ctx.skipped or unknown_reason(ctx))

    def _record(self, res: Res, exemption: Exemption) -> None:
        EXEMPTION_LOG.record(AppliedExemption(self.pack, self.id, res.urn, res.name, res.type, exemption.resource,
                                              exemption.reason))

    def _guarded(self, run: Callable[[], list[Any]]) -> tuple[list[Any], bool]:
        """The check's findings, or ([a message naming the rule and the error], True) if it raised."""
        try:
            return run(), False
        except Exception as error:  # a rule bug must not abort the whole preview; it shows up as a violation
            return [f"internal error in rule {self.id} ({type(error).__name__}: {error}); the resource was not "
                    f"checked. Report this to the owners of {self.owner}."], True


def plain_props(props: Any) -> dict[str, Any]:
    plain = unwrap(props)
    return plain if isinstance(plain, dict) else {}


def stack_resource(resource: Any) -> Res:
    """A stack policy's ``PolicyResource`` as a :class:`Res` (parent and dependencies as URNs)."""
    deps: dict[str, list[str]] = {}
    for key, items in (getattr(resource, "property_dependencies", None) or {}).items():
        deps[key] = [d.urn for d in items if isinstance(getattr(d, "urn", None), str)]
    parent = getattr(resource, "parent", None)
    return Res(resource.resource_type, resource.name, resource.urn, plain_props(resource.props), deps,
               getattr(parent, "urn", "") or "")


def unknown_reason(ctx: Context) -> str:
    listed = ", ".join(ctx.unknowns[:MAX_LISTED_UNKNOWNS])
    more = len(ctx.unknowns) - MAX_LISTED_UNKNOWNS
    return f"not checked: unknown during preview: {listed}" + (f" and {more} more" if more > 0 else "")


def exemptions_report(rule_type: type[Rule], rule_id: str) -> Rule:
    """The pack's advisory policy that reports every exemption applied in this run, with its reason.
    It must be the pack's last stack policy: the engine runs stack policies in the pack's order."""

    def check(graph: Graph, ctx: Context) -> Iterator[tuple[Res | None, str]]:
        for entry in EXEMPTION_LOG.take(rule_type.pack):
            res = graph.by_urn(entry.urn)
            if res is not None:
                yield res, (f"exempted from {entry.policy} by '{entry.pattern}': {entry.reason}. Remove the "
                            "exemption from the policy config once it is no longer needed.")

    return rule_type(rule_id, "exemptions", f"Exemptions from {rule_type.pack} policies are reported with their "
                     "reasons.", LOW, check, stack=True, enforcement=ADVISORY)
