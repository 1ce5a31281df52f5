"""A change preview: this preview against an earlier ``--json`` output (e.g. the base branch's).

What neither ``pulumi preview`` without cloud state nor a cost tool alone gives in one diff:
resources to create, update (with the changed property paths), delete and leave unchanged; policy
findings that are new and that are resolved; the monthly cost before, after and the delta.

Offline there is no provider ``Diff``, so an update cannot be told from a replacement: whether a
changed property forces one is the provider's call (its schema's ``ForceNew``), so every changed
resource is listed as an update of the named paths and the comparison says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPLACEMENT_NOTE = ("replacements cannot be predicted offline: whether a changed property replaces the resource "
                    "is the provider's decision (pulumi preview against the stack's state shows it)")


class CompareError(ValueError):
    """The --compare-to file cannot be used; ``str()`` names the file and what is wrong."""


@dataclass
class Finding:
    pack: str
    policy: str
    level: str
    urn: str
    message: str

    @property
    def key(self) -> tuple[str, str, str]:
        return self.pack, self.policy, self.urn

    @property
    def resource(self) -> str:
        from accunode.engine.report import display_type

        parts = self.urn.split("::")
        return f"{display_type(parts[2].rsplit('$', 1)[-1])}: {parts[3]}" if len(parts) == 4 else self.urn


@dataclass
class ChangeSet:
    stack: str
    base_label: str
    create: list[str] = field(default_factory=list)  # URNs
    update: dict[str, list[str]] = field(default_factory=dict)  # URN -> changed property paths
    delete: list[str] = field(default_factory=list)
    unchanged: int = 0
    new_findings: list[Finding] = field(default_factory=list)
    resolved_findings: list[Finding] = field(default_factory=list)
    cost_before: float | None = None
    cost_after: float | None = None
    cost_by_component: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (before, after)
    base_error: str = ""  # the base preview failed (its findings may be incomplete)

    @property
    def cost_delta(self) -> float | None:
        if self.cost_before is None or self.cost_after is None:
            return None
        return round(self.cost_after - self.cost_before, 2)

    @property
    def counts(self) -> dict[str, int]:
        return {"create": len(self.create), "update": len(self.update), "delete": len(self.delete),
                "same": self.unchanged}

    def summary(self) -> str:
        """One line: what changes, policies and cost."""
        counts = self.counts
        parts = [f"{counts[k]} to {k}" for k in ("create", "update", "delete") if counts[k]] or ["no resource changes"]
        findings = f"{len(self.new_findings)} new, {len(self.resolved_findings)} resolved policy findings"
        delta = self.cost_delta
        cost = f"; cost {_money_delta(delta)}/month" if delta is not None else ""
        return f"against {self.base_label}: {', '.join(parts)}; {findings}{cost}"

    def to_json(self) -> dict[str, Any]:
        def finding(f: Finding) -> dict[str, str]:
            return {"policyPack": f.pack, "policy": f.policy, "enforcementLevel": f.level, "urn": f.urn,
                    "message": f.message}

        return {
            "base": self.base_label, "changeSummary": self.counts,
            "create": list(self.create), "update": [{"urn": u, "changed": p} for u, p in self.update.items()],
            "delete": list(self.delete), "replacements": REPLACEMENT_NOTE,
            "policy": {"new": [finding(f) for f in self.new_findings],
                       "resolved": [finding(f) for f in self.resolved_findings]},
            "cost": {"before": self.cost_before, "after": self.cost_after, "delta": self.cost_delta,
                     "byComponent": {k: {"before": b, "after": a, "delta": round(a - b, 2)}
                                     for k, (b, a) in self.cost_by_component.items()}},
            "baseError": self.base_error or None,
        }


def load_base(path: Path) -> list[dict[str, Any]]:
    """The preview documents in an earlier ``--json`` output: one stack's, or ``{"stacks": [...]}``."""
    from accunode.engine.files import FileError, read_json

    try:
        document = read_json(path)
    except FileError as error:
        raise CompareError(f"--compare-to {error}") from None
    documents = document.get("stacks") if isinstance(document, dict) and "stacks" in document else [document]
    if not isinstance(documents, list) or not all(isinstance(d, dict) and isinstance(d.get("stack"), str)
                                                  and isinstance(d.get("resources"), list) for d in documents):
        raise CompareError(f"--compare-to {path.name}: not an `accunode preview --json` output "
                           "(expected an object with \"stack\" and \"resources\")")
    return documents


def base_for(documents: list[dict[str, Any]], stack: str) -> dict[str, Any] | None:
    return next((d for d in documents if d.get("stack") == stack), None)


def changed_paths(before: Any, after: Any, prefix: str = "") -> Iterator[str]:
    """Property paths whose values differ, in Pulumi's path syntax (``tags.team``, ``ingress[0].fromPort``)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in before or key not in after:
                yield path
            else:
                yield from changed_paths(before[key], after[key], path)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            yield from changed_paths(b, a, f"{prefix}[{i}]")
    elif before != after:
        yield prefix or "(value)"


def _findings(document: Mapping[str, Any]) -> dict[tuple[str, str, str], Finding]:
    found: dict[tuple[str, str, str], Finding] = {}
    for d in document.get("diagnostics") or []:
        if isinstance(d, dict):
            f = Finding(str(d.get("policyPack", "")), str(d.get("policy", "")), str(d.get("enforcementLevel", "")),
                        str(d.get("urn", "")), str(d.get("message", "")))
            found.setdefault(f.key, f)
    return found


def _cost(document: Mapping[str, Any]) -> tuple[float | None, dict[str, float]]:
    cost = document.get("cost")
    if not isinstance(cost, dict):
        return None, {}
    total = cost.get("totalMonthlyCost", cost.get("monthly"))
    by_component = {str(k): float(v) for k, v in (cost.get("byComponent") or {}).items()
                    if isinstance(v, int | float)}
    return (float(total) if isinstance(total, int | float) else None), by_component


def compare(base: Mapping[str, Any], current: Mapping[str, Any], base_label: str) -> ChangeSet:
    """``current`` (this preview's JSON document) against ``base`` (the same stack's earlier one)."""
    change = ChangeSet(stack=str(current.get("stack")), base_label=base_label,
                       base_error=str(base.get("error") or ""))
    before = {r["urn"]: r for r in base.get("resources") or [] if isinstance(r, dict) and "urn" in r}
    after = {r["urn"]: r for r in current.get("resources") or [] if isinstance(r, dict) and "urn" in r}
    for urn, resource in after.items():
        if urn not in before:
            change.create.append(urn)
            continue
        paths = list(changed_paths(before[urn].get("inputs") or {}, resource.get("inputs") or {}))
        if paths:
            change.update[urn] = paths
        else:
            change.unchanged += 1
    change.delete = [urn for urn in before if urn not in after]
    old, new = _findings(base), _findings(current)
    change.new_findings = [f for k, f in new.items() if k not in old]
    change.resolved_findings = [f for k, f in old.items() if k not in new]
    change.cost_before, components_before = _cost(base)
    change.cost_after, components_after = _cost(current)
    for name in sorted(set(components_before) | set(components_after)):
        b, a = components_before.get(name, 0.0), components_after.get(name, 0.0)
        if round(a - b, 2):
            change.cost_by_component[name] = (b, a)
    return change


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def _money_delta(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{'+' if value > 0 else '-' if value < 0 else '±'}${abs(value):,.2f}"


def _short(urn: str) -> str:
    from accunode.engine.report import display_type

    parts = urn.split("::")
    return f"{display_type(parts[2].rsplit('$', 1)[-1])} {parts[3]}" if len(parts) == 4 else urn


def text_lines(change: ChangeSet) -> list[str]:
    """The comparison for the console."""
    lines = [f"Changes against {change.base_label}:"]
    for urn in change.create:
        lines.append(f"    + create   {_short(urn)}")
    for urn, paths in change.update.items():
        lines.append(f"    ~ update   {_short(urn)}  [{', '.join(paths)}]")
    for urn in change.delete:
        lines.append(f"    - delete   {_short(urn)}")
    lines.append(f"    {change.unchanged} unchanged; {REPLACEMENT_NOTE}")
    for f in change.new_findings:
        lines.append(f"    new       [{f.level}]  {f.policy}  ({f.resource})")
    for f in change.resolved_findings:
        lines.append(f"    resolved  [{f.level}]  {f.policy}  ({f.resource})")
    lines.append(f"    cost: {_money(change.cost_before)} -> {_money(change.cost_after)} per month "
                 f"({_money_delta(change.cost_delta)})")
    if change.base_error:
        lines.append(f"    note: the base preview failed ({change.base_error.splitlines()[0]}); "
                     "its findings may be incomplete")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(changes: list[tuple[ChangeSet | None, str, str]]) -> str:
    """A pull-request comment: per stack (change set or None, stack, verdict line), one section.

    Starts with a hidden marker so a workflow can find its earlier comment and update it in place.
    """
    out = ["<!-- accunode-change-preview -->", "## Offline change preview", ""]
    for change, stack, verdict_line in changes:
        out.append(f"### Stack `{stack}`")
        out.append("")
        out.append(f"**{_cell(verdict_line)}**")
        out.append("")
        if change is None:
            out += ["_No base preview to compare with (no --compare-to, or the base has no such stack)._", ""]
            continue
        counts = change.counts
        out += ["| create | update | delete | unchanged | new findings | resolved findings | monthly cost |",
                "|---:|---:|---:|---:|---:|---:|---|",
                f"| {counts['create']} | {counts['update']} | {counts['delete']} | {counts['same']} | "
                f"{len(change.new_findings)} | {len(change.resolved_findings)} | "
                f"{_money(change.cost_before)} → {_money(change.cost_after)} ({_money_delta(change.cost_delta)}) |",
                ""]
        if change.create or change.update or change.delete:
            out += ["<details><summary>Resources</summary>", "", "| | resource | changed properties |",
                    "|---|---|---|"]
            out += [f"| + create | `{_cell(_short(u))}` | |" for u in change.create]
            out += [f"| ~ update | `{_cell(_short(u))}` | {_cell(', '.join(f'`{p}`' for p in paths))} |"
                    for u, paths in change.update.items()]
            out += [f"| - delete | `{_cell(_short(u))}` | |" for u in change.delete]
            out += ["", f"_{REPLACEMENT_NOTE[0].upper() + REPLACEMENT_NOTE[1:]}._", "", "</details>", ""]
        if change.new_findings or change.resolved_findings:
            out += ["| | level | policy | resource |", "|---|---|---|---|"]
            out += [f"| 🆕 new | {f.level} | `{_cell(f.policy)}` | `{_cell(f.resource)}` |"
                    for f in change.new_findings]
            out += [f"| ✅ resolved | {f.level} | `{_cell(f.policy)}` | `{_cell(f.resource)}` |"
                    for f in change.resolved_findings]
            out.append("")
        if change.cost_by_component:
            out += ["| component | before | after | delta |", "|---|---:|---:|---:|"]
            out += [f"| {_cell(name)} | {_money(b)} | {_money(a)} | {_money_delta(round(a - b, 2))} |"
                    for name, (b, a) in change.cost_by_component.items()]
            out.append("")
        if change.base_error:
            out += [f"_The base preview failed ({_cell(change.base_error.splitlines()[0])}); "
                    "its findings may be incomplete._", ""]
    return "\n".join(out).rstrip() + "\n"
