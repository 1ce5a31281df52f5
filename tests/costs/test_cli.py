"""`accunode cost`: the stack report, the document's tiers next to ours, diffs, charts."""

from __future__ import annotations

import json

import pytest

from accunode.cli import main
from accunode.costs.document import compare, document_tiers, document_total
from accunode.costs.stacks import Target, estimate_target

# A stack in another region needs a certificate from that region (the settings refuse any other).
_CERTIFICATE = "arn:aws:acm:{region}:123456789012:certificate/5f0c7a4e-8d1b-4c3a-9e2f-1a2b3c4d5e6f"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_prod_json_includes_the_nat_gateway_public_ipv4_and_alb_capacity_lines(capsys):
    code, out = run(capsys, "cost", "--stack", "prod", "--format", "json", "--no-alternatives")
    assert code == 0
    data = json.loads(out)
    skus = {line["sku"] for line in data["lines"]}
    assert {"ec2.nat_gateway_hour", "ec2.nat_gateway_gb", "vpc.public_ipv4_hour", "elb.alb_lcu_hour"} <= skus
    assert data["totalMonthlyCost"] == pytest.approx(sum(line["monthlyCost"] for line in data["lines"]), abs=0.05)
    assert data["minMonthlyCost"] <= data["totalMonthlyCost"] <= data["maxMonthlyCost"]
    assert data["unpriced"] == []


def test_cheaper_alternatives_are_real_configurations_that_cost_less(capsys):
    code, out = run(capsys, "cost", "--stack", "prod", "--format", "json")
    assert code == 0
    data = json.loads(out)
    changes = {alt["change"]: alt for alt in data["cheaperAlternatives"]}
    assert "ARM64 (Graviton) Fargate tasks" in changes
    assert "Fargate Spot for the worker (x86_64 only)" in changes
    assert all(alt["savings"] > 0 for alt in changes.values())
    assert not any("scales to zero" in change for change in changes)  # not allowed in prod


def test_all_tiers_reproduces_the_documents_table_next_to_ours(capsys):
    code, out = run(capsys, "cost", "--all-tiers", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["minimal", "light", "moderate", "high", "enterprise"]  # every tier, light included
    assert [data[t]["document"] for t in data] == [84.81, 84.81, 158.19, 376.95, 1226.19]
    for tier, result in data.items():
        documented = [line["label"] for line in document_tiers()["tiers"][tier]["lines"]]
        shown = [line["line"] for line in result["lines"] if line["document"] is not None]
        assert shown == documented
        nat = next(line for line in result["lines"] if line["line"] == "NAT gateway")
        assert nat["document"] is None and nat["ours"] > 32 and "omitted by the document" in nat["why"]
        assert result["ours"] > result["document"]


def test_the_documents_rds_line_is_shown_against_the_real_price():
    rows = {row.label: row for row in compare("minimal", estimate_target(Target.parse("minimal")))}
    rds = rows["RDS PostgreSQL"]
    assert rds.title == "RDS PostgreSQL (db.t3.small)"
    assert (rds.document, rds.ours) == (16.79, 28.58)
    assert document_total("light") == document_total("minimal")


def test_markdown_fits_a_pull_request_comment(capsys):
    code, out = run(capsys, "cost", "--stack", "dev", "--format", "markdown", "--no-alternatives")
    assert code == 0
    assert out.startswith("### Monthly cost of `dev` (minimal tier)")
    assert "| Component | Item | Monthly | Range | Basis |" in out
    assert "#### CI/CD" in out


def test_diff_between_stacks_lists_what_changes(capsys):
    code, out = run(capsys, "cost", "diff", "--base", "dev", "--head", "staging", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["delta"] == pytest.approx(data["head"]["total"] - data["base"]["total"], abs=0.01)
    assert data["delta"] == pytest.approx(sum(change["delta"] for change in data["changes"]), abs=0.05)
    assert any(change["item"].startswith("Instance db.t3.medium") for change in data["changes"])


def test_diff_accepts_tiers(capsys):
    code, out = run(capsys, "cost", "diff", "--base", "light", "--head", "high", "--format", "markdown")
    assert code == 0
    assert "Cost diff: `tier light`" in out


def test_unknown_stack_or_tier_is_a_clear_error(capsys):
    assert main(["cost", "--stack", "nope"]) == 2
    assert "'nope' is neither a stack (dev, prod, staging) nor a tier" in capsys.readouterr().err


def test_chart_is_written_as_png(tmp_path, capsys):
    chart = tmp_path / "tiers.png"
    code, _ = run(capsys, "cost", "--all-tiers", "--format", "json", "--chart", str(chart))
    assert code == 0
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_chart_legend_hides_no_bar():
    from accunode.costs.chart import draw

    tiers = {tier: estimate_target(Target.parse(tier)) for tier in ("minimal", "light", "enterprise")}
    variants = {name: estimate_target(Target.parse(name)) for name in ("prod", "dev", "staging")}  # similar heights
    for estimates, documented in ((tiers, True), (variants, False)):
        figure, axes = draw(estimates, documented=documented)
        renderer = figure.canvas.get_renderer()
        legend = axes.get_legend().get_window_extent(renderer)
        bars = [patch.get_window_extent(renderer) for patch in axes.patches]
        assert bars and not any(legend.overlaps(bar) for bar in bars)
        assert len(axes.get_xticklabels()) == 3  # one bar per tier or stack


def test_preview_and_cost_reports_say_what_is_not_priced_without_a_price_book(stack_graph):
    from io import StringIO

    from rich.console import Console

    from accunode.costs.report import estimate_markdown, print_estimate, print_summary
    from accunode.costs.stacks import estimate_graph

    region = "ap-southeast-2"
    estimate = estimate_graph(stack_graph("prod", **{"aws:region": region,
                                                     "accunode:certificateArn": _CERTIFICATE.format(region=region)}))
    for render in (lambda c: print_summary(estimate, c), lambda c: print_estimate(c, estimate)):
        out = StringIO()
        render(Console(file=out, width=300))
        text = out.getvalue()
        assert "no price book for region ap-southeast-2" in text
        assert "accunode prices refresh --region ap-southeast-2" in text and "aws:rds/instance:Instance" in text
    assert "not estimated" in estimate_markdown(estimate)


def test_the_preview_verdict_never_shows_zero_dollars_for_a_region_it_cannot_price(stack_graph):
    from accunode.costs.stacks import estimate_graph
    from accunode.engine.report import format_cost_line

    region = "ap-southeast-2"
    unpriced = estimate_graph(stack_graph("dev", **{"aws:region": region}))
    priced = estimate_graph(stack_graph("dev"))
    assert format_cost_line(unpriced) == "monthly cost not estimated (see Cost above)"
    assert format_cost_line(unpriced.to_dict()) == format_cost_line(unpriced)
    assert format_cost_line(priced) == f"estimated ${priced.total:,.2f}/month"


def test_github_actions_minutes_use_the_price_books_dated_rate_and_the_stacks_usage(stack_graph):
    from accunode.costs.report import cicd
    from accunode.costs.stacks import estimate_graph

    estimate = estimate_graph(stack_graph("prod", **{"accunode:usage": {"deploymentsPerMonth": 100,
                                                                       "minutesPerDeployment": 40}}))
    rows, basis = cicd(estimate)
    assert "$0.006/min since 2026-01-01" in basis and "2,000 free minutes" in basis
    ours = rows[0]
    assert (ours.label, ours.minutes) == ("this stack (usage profile)", 4000)
    assert ours.ours == round((4000 - 2000) * 0.006, 2)
    document = {row.deployments: row for row in rows[1:]}
    assert (document[100].document, document[100].ours) == (8.0, round(1000 * 0.006, 2))  # 3 000 min - 2 000 free
    assert document[60].ours == 0  # 1 800 minutes are inside the free 2 000
