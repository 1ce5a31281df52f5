"""What ``accunode preview`` prints: a resource tree like ``pulumi preview``'s, the ``Policies:``
section in the Pulumi 3.2xx progress-display format (``pkg/backend/display/progress.go
printPolicies``), the resource and cost summaries and a one-line verdict; and the same as JSON.

Rendering goes through rich so a terminal gets colour; piped output is the plain text.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accunode.command import ExitCode
from accunode.engine.analyzer import AnalysisResult, Diagnostic, PackInfo, urn_name, urn_type
from accunode.engine.graph import Resource, ResourceGraph

EXIT_OK = int(ExitCode.OK)
EXIT_MANDATORY = int(ExitCode.FAILED)
EXIT_USAGE = int(ExitCode.USAGE)
EXIT_FAILED = int(ExitCode.ERROR)

_LEVEL_RANK = {"remediate": 0, "mandatory": 1, "advisory": 2, "disabled": 3}
_SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "": 4}


def display_type(type_: str) -> str:
    """``tokens.Type.DisplayName``: ``aws:rds/instance:Instance`` -> ``aws:rds:Instance``."""
    parts = type_.split(":")
    if len(parts) != 3 or not parts[2]:
        return type_
    package, module, name = parts
    if "/" not in module:
        return type_
    head, file = module.rsplit("/", 1)
    if file != name[0].lower() + name[1:]:
        return type_
    return f"{package}:{head}:{name}"


def is_default_provider(resource: Resource) -> bool:
    """The engine hides default-provider steps from the display and the change counts."""
    return resource.type.startswith("pulumi:providers:") and resource.name.startswith("default")


@dataclass
class PreviewReport:
    """Everything one preview produced; ``exit_code`` follows the verdict."""

    project_dir: Path
    stack: str
    first_preview: bool = False
    graph: ResourceGraph | None = None
    analysis: AnalysisResult | None = None
    cost: Any = None  # the cost model's estimate, if available
    cost_note: str = ""  # why there is no cost figure
    error: str = ""  # the program or a policy pack failed: the message a user should see
    error_detail: str = ""
    error_code: int = EXIT_FAILED  # the exit code of ``error``: the program or a pack failed, or bad input
    warnings: list[str] = field(default_factory=list)
    offline: str = ""  # the invoke answers the program got (account, region, zones): offline values
    pack_crashed: bool = False  # a policy pack failed: the engine aborts the display (no Outputs)
    change: Any = None  # accunode.engine.compare.ChangeSet against --compare-to

    @property
    def shown_resources(self) -> list[Resource]:
        return [r for r in (self.graph.resources if self.graph else []) if not is_default_provider(r)]

    @property
    def mandatory(self) -> list[Diagnostic]:
        return self.analysis.mandatory if self.analysis else []

    @property
    def exit_code(self) -> int:
        if self.error:
            return self.error_code
        return EXIT_MANDATORY if self.mandatory else EXIT_OK

    @property
    def packs_ran(self) -> bool:
        """Whether every pack saw the whole stack (AnalyzeStack runs only after a successful program)."""
        return self.analysis is not None and not self.error

    def pack_path(self, pack: PackInfo) -> str:
        """The pack's directory relative to the project (or the working directory) when under it."""
        for base in (self.project_dir, Path.cwd()):
            try:
                return pack.path.resolve().relative_to(base.resolve()).as_posix()
            except ValueError:
                continue
        return pack.path.as_posix()


# --------------------------------------------------------------------------------------------
# Pieces
# --------------------------------------------------------------------------------------------
def resource_tree(resources: list[Resource]) -> Iterator[tuple[str, Resource]]:
    """(tree prefix, resource), children under their parent; the Stack first, siblings by type and name.

    Registration order depends on how the SDK's tasks interleave, so it can change between runs of an
    unchanged program; sorting siblings keeps the tree the same from run to run.
    """
    known = {r.urn for r in resources}
    children: dict[str, list[Resource]] = collections.defaultdict(list)
    roots: list[Resource] = []
    for resource in resources:
        (children[resource.parent] if resource.parent in known else roots).append(resource)
    def order(r: Resource) -> tuple[bool, str, str]:
        return r.type != "pulumi:pulumi:Stack", display_type(r.type), r.name

    roots.sort(key=order)
    for kids in children.values():
        kids.sort(key=order)

    def walk(resource: Resource, prefix: str, last: bool, depth: int) -> Iterator[tuple[str, Resource]]:
        yield (prefix + ("└─ " if last else "├─ ") if depth else ""), resource
        kids = children.get(resource.urn, [])
        inner = prefix + ("   " if last else "│  ") if depth else ""
        for i, child in enumerate(kids):
            yield from walk(child, inner, i == len(kids) - 1, depth + 1)

    for i, root in enumerate(roots):
        yield from walk(root, "", i == len(roots) - 1, 0)


def sorted_violations(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """progress.go's order: enforcement level, severity, policy name, then URN."""
    return sorted(diagnostics, key=lambda d: (_LEVEL_RANK.get(d.enforcement_level, 99),
                                              _SEVERITY_RANK.get(d.severity, 99), d.policy_name, d.urn))


def pack_status(pack: PackInfo, diagnostics: list[Diagnostic], complete: bool = True) -> str:
    """failed, warning, passed; ``not-run`` when the pack did not see the whole stack and found nothing
    mandatory in what it saw (a failure must never look like a pass)."""
    mine = [d for d in diagnostics if d.pack_key == pack.key]
    if any(d.mandatory for d in mine):
        return "failed"
    if not complete:
        return "not-run"
    return "warning" if mine else "passed"


def violation_heading(d: Diagnostic) -> tuple[str, str]:
    """(``[mandatory] [severity: high]  name``, ``  (aws:rds:Instance: db)``) as diff.go renders them."""
    severity = f" [severity: {d.severity}]" if d.severity else ""
    clause = f"  ({display_type(urn_type(d.urn))}: {urn_name(d.urn)})" if d.urn.startswith("urn:pulumi:") else ""
    return f"[{d.enforcement_level}]{severity}  {d.policy_name}", clause


def verdict(report: PreviewReport) -> str:
    if report.error:
        lines = report.error.splitlines()
        return f"Preview failed: {lines[0].rstrip(':')}" + (" (see the error above)" if len(lines) > 1 else "")
    analysis = report.analysis
    mandatory = report.mandatory
    advisory = analysis.advisory if analysis else []
    created = len(report.shown_resources)
    cost = f"; {format_cost_line(report.cost)}" if report.cost is not None else ""
    if mandatory:
        names = ", ".join(sorted({d.policy_name for d in mandatory}))
        return (f"Preview failed: {len(mandatory)} mandatory policy violation{'s' * (len(mandatory) != 1)} "
                f"({names}); {created} resources would be created{cost}")
    return (f"Preview passed: {created} resources to create, 0 mandatory violations, "
            f"{len(advisory)} advisory{cost}")


# The cost model (accunode.costs) renders its own summary; these hooks keep report.py decoupled.
def format_cost_line(cost: Any) -> str:
    total = _cost_total(cost)
    return f"estimated ${total:,.2f}/month" if total is not None else "cost estimated"


def _cost_total(cost: Any) -> float | None:
    for attribute in ("monthly_total", "total_monthly", "monthly", "total"):
        value = getattr(cost, attribute, None)
        if value is None and isinstance(cost, dict):
            value = cost.get(attribute)
        if isinstance(value, int | float):
            return float(value)
    return None


# --------------------------------------------------------------------------------------------
# Text output (rich)
# --------------------------------------------------------------------------------------------
def render(report: PreviewReport, console: Any, cost_renderer: Callable[[Any, Any], None] | None = None) -> None:
    """Print the whole report on ``console`` (a rich Console)."""
    from rich.text import Text

    def line(*parts: tuple[str, str] | str) -> None:
        text = Text()
        for part in parts:
            text.append(*(part if isinstance(part, tuple) else (part,)))
        console.print(text, soft_wrap=True, highlight=False)

    mode = " (first preview: computed outputs unknown)" if report.first_preview else ""
    line(("Previewing update ", "bold magenta"), (f"({report.stack})", "bold"), ("" + mode, "dim"))
    for warning in report.warnings:
        line(("warning: ", "yellow"), warning)
    if report.offline:
        line(("offline values: ", "dim"), (report.offline + " (not the real account's; --offline-*)", "dim"))
    line("")
    if report.graph is not None and report.graph.resources:
        _render_tree(report, line)
    if report.analysis is not None:
        _render_policies(report, line)
    _render_diagnostics(report, line)
    if report.graph is not None and not report.error and not report.pack_crashed:
        _render_outputs(report, line)
    # The engine ends the display after mandatory violations ("abruptly terminate the display so as
    # not to confuse"): no Resources summary then, nor after an error.
    if report.graph is not None and not report.error and not report.mandatory:
        _render_summary(report, line)
    if report.cost is not None:
        if cost_renderer is not None:
            cost_renderer(report.cost, console)
        else:
            line(("Cost:", "bold magenta"))
            line("    " + format_cost_line(report.cost))
        line("")
    elif report.cost_note:
        line(("Cost: ", "bold magenta"), (report.cost_note, "dim"))
        line("")
    style = "bold red" if report.exit_code else "bold green"
    line((verdict(report), style))


def _render_tree(report: PreviewReport, line: Callable[..., None]) -> None:
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for d in report.analysis.diagnostics if report.analysis else []:
        counts[d.urn][d.enforcement_level] += 1
    rows = list(resource_tree(report.shown_resources))
    type_width = max(len(prefix) + len(display_type(r.type)) for prefix, r in rows) + 2
    name_width = max(len(r.name) for _, r in rows) + 2
    line("     ", ("Type".ljust(type_width), "bold"), ("Name".ljust(name_width), "bold"), ("Plan", "bold"),
         ("       Info" if counts else "", "bold"))
    for prefix, resource in rows:
        info = ", ".join(f"{n} {level}" for level, n in sorted(counts.get(resource.urn, {}).items()))
        info_style = "red" if counts.get(resource.urn, {}).get("mandatory") else "yellow"
        line((" +   ", "green"), (prefix, "dim"), display_type(resource.type).ljust(type_width - len(prefix)),
             resource.name.ljust(name_width), ("create", "green"), ("     " + info if info else "", info_style))
    line("")


def _render_policies(report: PreviewReport, line: Callable[..., None]) -> None:
    analysis = report.analysis
    assert analysis is not None
    line(("Policies:", "bold magenta"))
    for pack in sorted(analysis.packs, key=lambda p: p.key):
        status = pack_status(pack, analysis.diagnostics, complete=report.packs_ran)
        mark = {"failed": "❌", "warning": "⚠️", "passed": "✅", "not-run": "⛔"}[status]
        note = "; not run on the whole stack: the preview failed" if status == "not-run" else ""
        line(f"    {mark} ", (pack.key, "magenta"), f" (local: {report.pack_path(pack)}{note})")
        remediated = collections.Counter(r.policy_name for r in analysis.remediations if r.pack_name == pack.name)
        for name in sorted(remediated):
            count = remediated[name]
            line("        - ", (f"[remediate]  {name}", "cyan"), f"  ({count} resource{'s' * (count != 1)})")
        for d in sorted_violations([d for d in analysis.diagnostics if d.pack_key == pack.key]):
            heading, clause = violation_heading(d)
            line("        - ", (heading, "red" if d.mandatory else "yellow"), clause)
            for text in d.message.rstrip("\n").split("\n"):
                line("          " + text)
    line("")


def _stack_urn(report: PreviewReport) -> str:
    if report.graph is not None:
        for resource in report.graph.resources:
            if resource.type == "pulumi:pulumi:Stack" and not resource.parent:
                return resource.urn
    return ""


def _render_diagnostics(report: PreviewReport, line: Callable[..., None]) -> None:
    """``printDiagnostics``: errors under the resource they belong to; a mandatory violation fails the
    preview with ``error: preview failed`` on the Stack row."""
    errors: list[str] = []
    if report.error:
        errors.append(report.error)
    elif report.mandatory:
        errors.append("preview failed")
    if not errors:
        return
    project = report.graph.project if report.graph is not None else ""
    line(("Diagnostics:", "bold magenta"))
    line(f"  pulumi:pulumi:Stack ({project + '-' if project else ''}{report.stack}):")
    for error in errors:
        first, *rest = error.splitlines() or [""]
        line("    ", ("error: ", "bold red"), first)
        for more in rest:
            line("    " + more)
    for detail in report.error_detail.splitlines():
        line(("      " + detail, "dim"))
    line("")


def output_text(value: Any, indent: int = 1) -> str:
    """A stack output as the display prints it in a preview: unknowns as ``output<string>``."""
    import json

    from accunode.engine.graph import UNKNOWN_ARRAY, UNKNOWN_BOOL, UNKNOWN_NUMBER, UNKNOWN_OBJECT, UNKNOWNS, is_secret

    if is_secret(value):
        return "[secret]"
    if isinstance(value, str) and value in UNKNOWNS:
        return {UNKNOWN_NUMBER: "output<number>", UNKNOWN_BOOL: "output<bool>", UNKNOWN_ARRAY: "output<array>",
                UNKNOWN_OBJECT: "output<object>"}.get(value, "output<string>")
    pad = "    " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        width = max(len(str(k)) for k in value)
        inner = "\n".join(f"{pad}{str(k) + ':':<{width + 1}} {output_text(v, indent + 1)}"
                           for k, v in sorted(value.items()))
        return "{\n" + inner + "\n" + "    " * indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = "\n".join(f"{pad}[{i}]: {output_text(v, indent + 1)}" for i, v in enumerate(value))
        return "[\n" + inner + "\n" + "    " * indent + "]"
    return json.dumps(value)


def _render_outputs(report: PreviewReport, line: Callable[..., None]) -> None:
    outputs = report.graph.outputs if report.graph is not None else {}
    if not outputs:
        return
    line(("Outputs:", "bold magenta"))
    width = max(len(k) for k in outputs)
    for key in sorted(outputs):
        for i, text in enumerate(output_text(outputs[key]).split("\n")):
            line(f"    {key + ':':<{width + 1}} {text}" if i == 0 else text)
    line("")


def _render_summary(report: PreviewReport, line: Callable[..., None]) -> None:
    shown = report.shown_resources
    line(("Resources:", "bold magenta"))
    line(("    + ", "green"), (f"{len(shown)} to create", "green"))
    by_type = collections.Counter(display_type(r.type) for r in shown if r.custom)
    digits = max((len(str(n)) for n in by_type.values()), default=1)
    cells = [f"{str(count).rjust(digits)} {type_}"
             for type_, count in sorted(by_type.items(), key=lambda item: (-item[1], item[0]))]
    width = max((len(cell) for cell in cells), default=0) + 3
    per_row = max(1, 108 // width)  # cloud resources by type, in columns, by count then name
    rows = (len(cells) + per_row - 1) // per_row
    for row in range(rows):
        line("        " + "".join(cells[row + col * rows].ljust(width) for col in range(per_row)
                                  if row + col * rows < len(cells)).rstrip())
    line("")


# --------------------------------------------------------------------------------------------
# JSON output
# --------------------------------------------------------------------------------------------
def masked(value: Any) -> Any:
    """Wire-form values for JSON: secrets as ``[secret]`` (as ``pulumi preview --json``), unknowns kept
    as the engine's sentinels."""
    from accunode.engine.graph import is_secret

    if is_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


def to_json(report: PreviewReport, cost_json: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """The machine-readable preview: resources, policy packs, diagnostics, cost, verdict."""
    analysis = report.analysis
    resources = [{"urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent, "custom": r.custom,
                  "op": "create", "inputs": masked(r.inputs)} for r in report.shown_resources]
    packs = [{"name": p.name, "version": p.version, "path": report.pack_path(p),
              "status": pack_status(p, analysis.diagnostics if analysis else [], complete=report.packs_ran),
              "policies": [{"name": x.name, "description": x.description,
                            "enforcementLevel": p.effective_level(x.name), "severity": x.severity,
                            "type": x.policy_type} for x in p.policies]}
             for p in (analysis.packs if analysis else [])]
    diagnostics = [{"policyPack": d.pack_name, "policyPackVersion": d.pack_version, "policy": d.policy_name,
                    "enforcementLevel": d.enforcement_level, "severity": d.severity, "urn": d.urn,
                    "resourceType": urn_type(d.urn), "resourceName": urn_name(d.urn),
                    "description": d.description, "message": d.message, "source": d.source}
                   for d in sorted_violations(analysis.diagnostics if analysis else [])]
    cost: Any = None
    if report.cost is not None:
        cost = cost_json(report.cost) if cost_json else {"monthly": _cost_total(report.cost)}
    return {
        "project": report.graph.project if report.graph else None,
        "stack": report.stack,
        "firstPreview": report.first_preview,
        "resources": resources,
        "changeSummary": {"create": len(resources)},
        "policyPacks": packs,
        "diagnostics": diagnostics,
        "remediations": [{"policyPack": r.pack_name, "policy": r.policy_name, "urn": r.urn}
                         for r in (analysis.remediations if analysis else [])],
        "notApplicable": [{"policyPack": pack, "policy": policy, "urn": urn, "reason": reason}
                          for pack, policy, urn, reason in (analysis.not_applicable if analysis else [])],
        "policyPacksRan": report.packs_ran,
        "cost": cost,
        "outputs": masked(report.graph.outputs) if report.graph is not None and not report.error else {},
        "offlineValues": report.offline or None,
        "error": report.error or None,
        "verdict": {"status": "error" if report.error else "failed" if report.mandatory else "passed",
                    "exitCode": report.exit_code, "message": verdict(report),
                    "mandatory": len(report.mandatory),
                    "advisory": len(analysis.advisory) if analysis else 0},
    }
