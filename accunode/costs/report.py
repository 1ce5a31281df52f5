"""Cost reports as rich tables, GitHub markdown (fits a pull-request comment) and JSON."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from accunode.costs.bill import BillComparison
from accunode.costs.commitments import CommitmentView, commitments
from accunode.costs.document import CicdRow, Row, cicd_rows, compare, document_tiers, document_total
from accunode.costs.model import CostLine, Estimate
from accunode.costs.pricebook import PriceBook, load_price_book, price_book_or_empty

GITHUB_BOOK_REGION = "us-east-1"  # GitHub's rates do not depend on the AWS region; every book carries them


def money(value: float) -> str:
    return f"${value:,.2f}"


def span(low: float, high: float) -> str:
    return money(low) if round(low, 2) == round(high, 2) else f"{money(low)}–{money(high)}"


def _grouped(estimate: Estimate) -> dict[str, list[CostLine]]:
    groups: dict[str, list[CostLine]] = defaultdict(list)
    for line in sorted(estimate.lines, key=lambda x: (-x.monthly, x.item)):
        groups[line.component].append(line)
    return dict(sorted(groups.items(), key=lambda kv: -sum(x.monthly for x in kv[1])))


def _basis(line: CostLine) -> str:
    text = line.note or f"{line.quantity:g} {line.unit}"
    return text if not line.usage_based or "usage:" in text else f"{text} (usage-based)"


def _book(estimate: Estimate) -> PriceBook:
    return price_book_or_empty(estimate.region)


def cicd(estimate: Estimate) -> tuple[list[CicdRow], str]:
    """This stack's and the document's GitHub Actions minutes at the price book's dated rate."""
    book = _book(estimate)
    book = book if "github.actions_minute_linux" in book else load_price_book(GITHUB_BOOK_REGION)
    rate, free = book["github.actions_minute_linux"], book.rate("github.free_minutes")
    usage = estimate.usage_profile
    rows = cicd_rows(rate.price, free, usage.get("deployments_per_month", 0), usage.get("minutes_per_deployment", 0))
    return rows, f"${rate.price:g}/min since {rate.date} ({rate.note or rate.source}), {free:,.0f} free minutes"


def _cicd_cells(row: CicdRow) -> tuple[str, str, str, str, str]:
    return (row.label, f"{row.deployments:g}", f"{row.minutes:,.0f}",
            money(row.document) if row.document is not None else "—", money(row.ours))


def commitment_view(estimate: Estimate) -> CommitmentView:
    return commitments(estimate, _book(estimate))


def _commitment_cells(view: CommitmentView) -> list[tuple[str, ...]]:
    return [(o.label, ", ".join(o.resources), money(o.on_demand_monthly), money(o.committed_monthly),
             money(o.savings_monthly), money(o.upfront), str(o.break_even_month or "never"), o.confidence)
            for o in view.options]


COMMITMENT_COLUMNS = ("Option", "Covers", "On-demand/month", "Committed/month", "Saves/month", "Upfront",
                      "Break-even month", "Conf.")
EXPECTED = ("Expected: the task counts autoscaling settles at for the tier's usage profile (API: requests/day x "
            "vCPU-seconds per request at the CPU target; worker: jobs/day x seconds per job, or the queue depth), "
            "never below the minimum; the range runs from every service's minimum to its maximum.")
CICD_COLUMNS = ("Scenario", "Deployments/month", "Minutes", "Document", "Ours")


# ---- JSON -------------------------------------------------------------------------------------
def estimate_json(estimate: Estimate, alternatives: Sequence[tuple[str, Estimate]] = ()) -> dict[str, Any]:
    data = estimate.to_dict()
    data["cheaperAlternatives"] = [{"change": label, "totalMonthlyCost": alt.total,
                                    "savings": round(estimate.total - alt.total, 2)} for label, alt in alternatives]
    data["commitments"] = commitment_view(estimate).to_dict()
    rows, basis = cicd(estimate)
    data["cicd"] = {"basis": basis, "rows": [{"scenario": r.label, "deploymentsPerMonth": r.deployments,
                                              "minutes": r.minutes, "documentCost": r.document, "cost": r.ours}
                                             for r in rows]}
    return data


def tiers_json(tiers: dict[str, Estimate]) -> dict[str, Any]:
    return {tier: {"document": document_total(tier), "ours": est.total, "oursMin": est.total_min,
                   "oursMax": est.total_max,
                   "lines": [{"line": r.label, "spec": r.spec, "document": r.document, "ours": r.ours, "why": r.why}
                             for r in compare(tier, est)]}
            for tier, est in tiers.items()}


def diff_rows(base: Estimate, head: Estimate) -> list[tuple[str, str, float, float]]:
    """(component, item, base, head) for every line that changes, biggest change first."""
    def keyed(estimate: Estimate) -> dict[tuple[str, str], float]:
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for line in estimate.lines:
            totals[(line.component, line.item)] += line.monthly
        return totals

    old, new = keyed(base), keyed(head)
    rows = [(component, item, round(old.get((component, item), 0.0), 2), round(new.get((component, item), 0.0), 2))
            for component, item in {*old, *new}]
    return sorted((r for r in rows if r[2] != r[3]), key=lambda r: -abs(r[3] - r[2]))


def diff_json(base: Estimate, head: Estimate) -> dict[str, Any]:
    return {"base": {"name": base.stack, "total": base.total}, "head": {"name": head.stack, "total": head.total},
            "delta": round(head.total - base.total, 2),
            "changes": [{"component": c, "item": i, "base": b, "head": h, "delta": round(h - b, 2)}
                        for c, i, b, h in diff_rows(base, head)]}


# ---- markdown ---------------------------------------------------------------------------------
def estimate_markdown(estimate: Estimate, alternatives: Sequence[tuple[str, Estimate]] = ()) -> str:
    if estimate.problem:
        return f"### Monthly cost of `{estimate.stack}`: not estimated\n\n{problem_text(estimate)}\n"
    out = [f"### Monthly cost of `{estimate.stack}` ({estimate.tier} tier): **{money(estimate.total)}**",
           "", f"Range with autoscaling: {span(estimate.total_min, estimate.total_max)} · fixed "
           f"{money(estimate.fixed)} · usage {money(estimate.usage)}", "",
           "| Component | Item | Monthly | Range | Basis |", "|---|---|---:|---:|---|"]
    for component, lines in _grouped(estimate).items():
        for line in lines:
            basis = _basis(line)
            out.append(f"| {component} | {line.item} | {money(line.monthly)} | "
                       f"{span(line.monthly_min, line.monthly_max)} | {basis} |")
    out += ["", f"{len(estimate.free)} resources cost nothing by themselves (VPC, subnets, IAM, ...).",
            "", budget_blind_spot(estimate)]
    if estimate.unpriced:
        out.append("**Unpriced:** " + ", ".join(f"{n} ({t})" for t, n in estimate.unpriced))
    if alternatives:
        out += ["", "#### Cheaper, same capacity", "", "| Change | Monthly | Saves |", "|---|---:|---:|"]
        out += [f"| {label} | {money(alt.total)} | {money(estimate.total - alt.total)} |"
                for label, alt in alternatives]
    view = commitment_view(estimate)
    if view.options:
        out += ["", "#### Commitments: on-demand vs committed (RDS, ElastiCache reservations; Fargate Savings Plans)",
                "", "| " + " | ".join(COMMITMENT_COLUMNS) + " |", "|---|---|---:|---:|---:|---:|---:|---|"]
        out += ["| " + " | ".join(cells) + " |" for cells in _commitment_cells(view)]
        out += [f"- {note}" for note in view.notes]
    rows, basis = cicd(estimate)
    out += ["", f"#### CI/CD (GitHub Actions, {basis})", "", "| " + " | ".join(CICD_COLUMNS) + " |",
            "|---|---:|---:|---:|---:|"]
    out += ["| " + " | ".join(_cicd_cells(row)) + " |" for row in rows]
    out += ["", "Assumptions: " + "; ".join(estimate.assumptions)]
    return "\n".join(out) + "\n"


def tiers_markdown(tiers: dict[str, Estimate]) -> str:
    out = ["### The deployment review's cost table, recomputed", "",
           "| Tier | Document | Ours (expected) | Ours (range) |", "|---|---:|---:|---:|"]
    out += [f"| {tier} | {money(document_total(tier))} | {money(est.total)} | {span(est.total_min, est.total_max)} |"
            for tier, est in tiers.items()]
    out += ["", EXPECTED]
    for tier, est in tiers.items():
        out += ["", f"#### {document_tiers()['tiers'][tier]['label']}", "",
                "| Line | Document | Ours | Why |", "|---|---:|---:|---|"]
        out += [_md_row(r) for r in compare(tier, est)]
    return "\n".join(out) + "\n"


def _md_row(row: Row) -> str:
    document = money(row.document) if row.document is not None else "—"
    return f"| {row.title} | {document} | {money(row.ours)} | {row.why} |"


def diff_markdown(base: Estimate, head: Estimate) -> str:
    delta = head.total - base.total
    out = [f"### Cost diff: `{base.stack}` {money(base.total)} → `{head.stack}` {money(head.total)} "
           f"({'+' if delta >= 0 else '−'}{money(abs(delta))})", "",
           "| Component | Item | Base | Head | Change |", "|---|---|---:|---:|---:|"]
    out += [f"| {c} | {i} | {money(b)} | {money(h)} | {'+' if h >= b else '−'}{money(abs(h - b))} |"
            for c, i, b, h in diff_rows(base, head)]
    return "\n".join(out) + "\n"


# ---- rich tables ------------------------------------------------------------------------------
def budget_blind_spot(estimate: Estimate) -> str:
    return (f"The stack's AWS Budget (it counts costs tagged stack=<stack>) cannot see {money(estimate.untagged)} of "
            "this: Container Insights metrics and performance logs and the target-tracking alarms carry no tag.")


def problem_text(estimate: Estimate) -> str:
    """What could not be priced and why (a region without a price book): one paragraph, no figures."""
    kinds = sorted({type_ for type_, _ in estimate.unpriced})
    return (f"Not priced: {estimate.problem}. {len(estimate.unpriced)} resources are unpriced "
            f"({', '.join(kinds) or 'none'}); {len(estimate.free)} cost nothing by themselves.")


def print_estimate(console: Any, estimate: Estimate, alternatives: Sequence[tuple[str, Estimate]] = ()) -> None:
    from rich.table import Table

    if estimate.problem:
        console.print(f"[yellow]{problem_text(estimate)}[/]", soft_wrap=True)
        return

    table = Table(title=f"Monthly cost of {estimate.stack} ({estimate.tier} tier, {estimate.region})",
                  show_lines=False, title_justify="left")
    for column, justify in (("Component", "left"), ("Item", "left"), ("Monthly", "right"), ("Range", "right"),
                            ("Basis", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for component, lines in _grouped(estimate).items():
        subtotal = sum(x.monthly for x in lines)
        table.add_row(f"[bold]{component}[/]", "", f"[bold]{money(subtotal)}[/]", "", "")
        for line in lines:
            basis = _basis(line)
            table.add_row("", line.item, money(line.monthly), span(line.monthly_min, line.monthly_max), basis)
    table.add_section()
    table.add_row("[bold]Total[/]", f"fixed {money(estimate.fixed)} + usage {money(estimate.usage)}",
                  f"[bold]{money(estimate.total)}[/]", span(estimate.total_min, estimate.total_max), "")
    console.print(table)
    console.print(f"{len(estimate.free)} resources cost nothing by themselves (VPC, subnets, IAM, ...).")
    console.print(f"[dim]{budget_blind_spot(estimate)}[/]")
    if estimate.unpriced:
        console.print("[yellow]Unpriced:[/] " + ", ".join(f"{n} ({t})" for t, n in estimate.unpriced))
    if alternatives:
        alt = Table(title="Cheaper, same capacity", title_justify="left")
        alt.add_column("Change")
        alt.add_column("Monthly", justify="right")
        alt.add_column("Saves", justify="right")
        for label, other in alternatives:
            alt.add_row(label, money(other.total), money(estimate.total - other.total))
        console.print(alt)
    view = commitment_view(estimate)
    if view.options:
        committed = Table(title="Commitments: on-demand vs committed (covers the always-on capacity)",
                          title_justify="left")
        for column in COMMITMENT_COLUMNS:
            committed.add_column(column, justify="left" if column in ("Option", "Covers", "Conf.") else "right")
        for cells in _commitment_cells(view):
            committed.add_row(*cells)
        console.print(committed)
        for note in view.notes:
            console.print(f"[dim]{note}[/]")
    rows, basis = cicd(estimate)
    table_cicd = Table(title=f"CI/CD: GitHub Actions ({basis})", title_justify="left")
    for column in CICD_COLUMNS:
        table_cicd.add_column(column, justify="left" if column == "Scenario" else "right")
    for row in rows:
        table_cicd.add_row(*_cicd_cells(row))
    console.print(table_cicd)
    console.print("[dim]Assumptions: " + "; ".join(estimate.assumptions) + "[/]")


def print_tiers(console: Any, tiers: dict[str, Estimate]) -> None:
    from rich.table import Table

    summary = Table(title="The deployment review's tiers, recomputed", title_justify="left")
    for column in ("Tier", "Document", "Ours (expected)", "Ours (range)"):
        summary.add_column(column, justify="left" if column == "Tier" else "right")
    for tier, est in tiers.items():
        summary.add_row(tier, money(document_total(tier)), money(est.total), span(est.total_min, est.total_max))
    console.print(summary)
    console.print(f"[dim]{EXPECTED}[/]")
    for tier, est in tiers.items():
        table = Table(title=document_tiers()["tiers"][tier]["label"], title_justify="left")
        table.add_column("Line")
        table.add_column("Document", justify="right")
        table.add_column("Ours", justify="right")
        table.add_column("Why they differ")
        for row in compare(tier, est):
            table.add_row(row.title, money(row.document) if row.document is not None else "—", money(row.ours),
                          row.why)
        console.print(table)


def print_diff(console: Any, base: Estimate, head: Estimate) -> None:
    from rich.table import Table

    delta = head.total - base.total
    table = Table(title=f"{base.stack} {money(base.total)} → {head.stack} {money(head.total)} "
                        f"({'+' if delta >= 0 else '−'}{money(abs(delta))})", title_justify="left")
    for column in ("Component", "Item", "Base", "Head", "Change"):
        table.add_column(column, justify="left" if column in ("Component", "Item") else "right")
    for c, i, b, h in diff_rows(base, head):
        colour = "red" if h > b else "green"
        table.add_row(c, i, money(b), money(h), f"[{colour}]{'+' if h >= b else '−'}{money(abs(h - b))}[/]")
    console.print(table)


def print_summary(estimate: Estimate, console: Any) -> None:
    """The cost section of ``accunode preview``: total, range, components, largest lines."""
    from rich.text import Text

    def say(*parts: tuple[str, str] | str) -> None:
        text = Text()
        for part in parts:
            text.append(*(part if isinstance(part, tuple) else (part,)))
        console.print(text, soft_wrap=True, highlight=False)

    if estimate.problem:
        say(("Cost:", "bold magenta"), (" not estimated", "yellow"))
        say("    " + problem_text(estimate))
        return
    say(("Cost:", "bold magenta"), (f" monthly, {estimate.region} on-demand, {estimate.tier} tier usage", "dim"))
    say("    ", (money(estimate.total), "bold"), " expected · ", span(estimate.total_min, estimate.total_max),
        " with autoscaling · fixed ", money(estimate.fixed), " + usage ", money(estimate.usage))
    say("    " + " · ".join(f"{name} {money(total)}" for name, total in estimate.by("component").items()))
    say("    largest: " + ", ".join(f"{line.item} {money(line.monthly)} ({line.component})"
                                    for line in estimate.largest(3)))
    if estimate.unpriced:
        say(("    unpriced: ", "yellow"), ", ".join(f"{name} ({type_})" for type_, name in estimate.unpriced))
    say(("    every line and cheaper configurations: ", "dim"), f"accunode cost --stack {estimate.stack}")


# ---- estimate vs the bill ---------------------------------------------------------------------
def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '−'}{money(abs(value))}"


def _bill_cells(bill: BillComparison) -> list[tuple[str, str, str, str]]:
    return [(row.service, money(row.estimate) if row.estimate is not None else "—",
             money(row.actual) if row.actual is not None else "—", _signed(row.difference)) for row in bill.rows]


def _bill_title(estimate: Estimate, bill: BillComparison) -> str:
    return (f"{estimate.stack}: estimate {money(bill.estimate_total)} vs actual {money(bill.actual_total)} a month "
            f"({_signed(bill.actual_total - bill.estimate_total)}; {bill.months} month(s) of {bill.source})")


def bill_markdown(estimate: Estimate, bill: BillComparison) -> str:
    out = [f"### {_bill_title(estimate, bill)}", "", "| AWS service | Estimate | Actual | Difference |",
           "|---|---:|---:|---:|"]
    out += ["| " + " | ".join(cells) + " |" for cells in _bill_cells(bill)]
    return "\n".join(out) + "\n"


def print_bill(console: Any, estimate: Estimate, bill: BillComparison) -> None:
    from rich.table import Table

    table = Table(title=_bill_title(estimate, bill), title_justify="left")
    for column in ("AWS service", "Estimate", "Actual", "Difference"):
        table.add_column(column, justify="left" if column == "AWS service" else "right")
    for cells in _bill_cells(bill):
        table.add_row(*cells)
    console.print(table)
