"""The small frame every rule uses: metadata, a pure check function, and its CrossGuard policy.

A resource rule's check gets one :class:`Res` (plain inputs) and yields messages; a stack rule's
check gets the :class:`Graph` (plain outputs and property dependencies) and yields
``(resource, message)``. The frame adds what every rule needs the same way: type filtering, the
environment (prod-only rules), exemptions with their reasons, "not checked during preview" as
not-applicable, and a guard that turns an unexpected error into a violation naming the rule
instead of an RPC error that would abort the whole preview.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
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

from ._config import (
    ENVIRONMENT_SCHEMA,
    EXEMPTION_LOG,
    EXEMPTIONS_SCHEMA,
    AppliedExemption,
    Exemption,
    environment,
    exemption_for,
)
from ._props import UNKNOWN, as_list, get, unwrap

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
LOW, MEDIUM, HIGH, CRITICAL = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL
MAX_LISTED_UNKNOWNS = 5


@dataclass(eq=False)
class Res:
    """A resource as rules see it: plain props (unknowns are ``UNKNOWN``) and property dependencies as URNs."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)
    parent: str = ""

    def get(self, *path: str | int) -> Any:
        return get(self.props, *path)

    @property
    def identities(self) -> set[str]:
        """Strings other resources may use to point at this one once values are known (id, ARN, name)."""
        values = {self.urn}
        for key in ("id", "arn", "name", "bucket"):
            value = self.props.get(key)
            if isinstance(value, str) and value:
                values.add(value)
        return values


class Graph:
    """The stack's resources with lookups by type and by property dependency."""

    def __init__(self, resources: Iterable[Res]):
        self.resources = list(resources)
        self._by_urn = {r.urn: r for r in self.resources}

    def of_type(self, *types: str) -> list[Res]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str) -> Res | None:
        return self._by_urn.get(urn)

    def linked(self, res: Res, key: str, types: Iterable[str], value: Any = None) -> list[Res]:
        """Resources of ``types`` that ``res`` points at through input ``key``.

        First the engine's property dependencies (known even when ids are not, on a first preview),
        then, for values known as strings (``value``, default ``props[key]``), the resources whose
        id, ARN or name equals one of them (a stack whose resources already exist).
        """
        types = tuple(types)
        found = [r for urn in res.deps.get(key, []) if (r := self.by_urn(urn)) is not None and r.type in types]
        if found:
            return found
        raw = res.props.get(key) if value is None else value
        items = as_list(raw)
        wanted = {item for item in items if isinstance(item, str)} if items is not UNKNOWN else set()
        return [r for r in self.of_type(*types) if wanted & r.identities] if wanted else []


class Context:
    """What a check may ask of the run: its config, the environment, and a place to note unknowns."""

    def __init__(self, config: Mapping[str, Any] | None):
        self.config: Mapping[str, Any] = config or {}
        self.unknowns: list[str] = []
        self.skipped: str | None = None

    @property
    def environment(self) -> str:
        return environment(self.config)

    def skip(self, reason: str) -> None:
        """Mark the rule not applicable to this run (reported only when nothing was found)."""
        self.skipped = reason

    def unknown(self, what: str) -> None:
        """Note that ``what`` could not be checked because its value is unknown (first preview)."""
        if what not in self.unknowns:
            self.unknowns.append(what)


ResourceCheck = Callable[[Res, Context], Iterable[str]]
StackCheck = Callable[[Graph, Context], Iterable[tuple[Res, str]]]


@dataclass(frozen=True)
class Rule:
    """One security rule. ``id`` is the policy name users configure; it never changes."""

    id: str
    area: str
    description: str
    severity: Severity
    check: ResourceCheck | StackCheck
    types: tuple[str, ...] = ()  # resource rules: the types checked; empty for stack rules
    stack: bool = False
    enforcement: EnforcementLevel = MANDATORY
    prod_only: bool = False
    settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # extra config schema properties

    def config_schema(self) -> PolicyConfigSchema:
        properties: dict[str, dict[str, Any]] = {"exemptions": EXEMPTIONS_SCHEMA}
        if self.prod_only:
            properties["environment"] = ENVIRONMENT_SCHEMA
        properties.update({k: dict(v) for k, v in self.settings.items()})
        return PolicyConfigSchema(properties=properties)

    def policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        common = {
            "name": self.id,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "config_schema": self.config_schema(),
            "severity": self.severity,
            "tags": ["security", self.area],
        }
        if self.stack:
            return StackValidationPolicy(validate=self._validate_stack, **common)
        return ResourceValidationPolicy(validate=self._validate_resource, **common)

    # -- adapters -------------------------------------------------------------------------------

    def _not_in_environment(self, ctx: Context) -> str | None:
        if self.prod_only and ctx.environment != "prod":
            return f"applies to prod only; this stack's environment is {ctx.environment}"
        return None

    def _validate_resource(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in self.types:
            return
        ctx = Context(args.get_config())
        skip = self._not_in_environment(ctx)
        if skip is not None:
            args.not_applicable(skip)
        res = Res(args.resource_type, args.name, args.urn, _plain_props(args.props))
        messages, crashed = self._guarded(lambda: list(self.check(res, ctx)))  # type: ignore[arg-type]
        exemption = exemption_for(ctx.config, res.name, res.urn) if messages and not crashed else None
        if exemption is not None:
            self._record(res, exemption)
            args.not_applicable(f"exempted by '{exemption.resource}': {exemption.reason}")
        for message in messages:
            report_violation(message, None)
        if not messages and (ctx.skipped or ctx.unknowns):
            args.not_applicable(ctx.skipped or _unknown_reason(ctx))

    def _validate_stack(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = Context(args.get_config())
        skip = self._not_in_environment(ctx)
        if skip is not None:
            args.not_applicable(skip)
        graph = Graph(_stack_resource(r) for r in args.resources)
        findings, crashed = self._guarded(lambda: list(self.check(graph, ctx)))  # type: ignore[arg-type]
        if crashed:
            report_violation(findings[0], None)
            return
        reported = 0
        for res, message in findings:
            exemption = exemption_for(ctx.config, res.name, res.urn)
            if exemption is not None:
                self._record(res, exemption)
                continue
            report_violation(message, res.urn)
            reported += 1
        if not reported and (ctx.skipped or ctx.unknowns):
            args.not_applicable(ctx.skipped or _unknown_reason(ctx))

    def _record(self, res: Res, exemption: Exemption) -> None:
        EXEMPTION_LOG.record(AppliedExemption(self.id, res.urn, res.name, res.type, exemption.resource,
                                              exemption.reason))

    def _guarded(self, run: Callable[[], list[Any]]) -> tuple[list[Any], bool]:
        """The check's findings, or ([a message naming the rule and the error], True) if it raised."""
        try:
            return run(), False
        except Exception as error:  # a rule bug must not abort the whole preview; it shows up as a violation
            return [f"internal error in rule {self.id} ({type(error).__name__}: {error}); the resource was not "
                    "checked. Report this to the owners of policies/security."], True


def _plain_props(props: Any) -> dict[str, Any]:
    plain = unwrap(props)
    return plain if isinstance(plain, dict) else {}


def _stack_resource(resource: Any) -> Res:
    deps: dict[str, list[str]] = {}
    for key, items in (getattr(resource, "property_dependencies", None) or {}).items():
        deps[key] = [d.urn for d in items if isinstance(getattr(d, "urn", None), str)]
    parent = getattr(resource, "parent", None)
    return Res(resource.resource_type, resource.name, resource.urn, _plain_props(resource.props), deps,
               getattr(parent, "urn", "") or "")


def _unknown_reason(ctx: Context) -> str:
    listed = ", ".join(ctx.unknowns[:MAX_LISTED_UNKNOWNS])
    more = len(ctx.unknowns) - MAX_LISTED_UNKNOWNS
    return f"not checked: unknown during preview: {listed}" + (f" and {more} more" if more > 0 else "")

