"""``accunode cost`` and ``accunode prices refresh``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    cost = subparsers.add_parser(
        "cost", help="price a stack (or every tier) line by line",
        description="Monthly cost of a stack, line by line, from the price book and the tier's usage profile.",
        epilog="examples:\n  accunode cost --stack prod\n  accunode cost --all-tiers --chart tiers.png\n"
               "  accunode cost diff --base dev --head prod --format markdown\n"
               "  accunode cost --stack prod --against cost-and-usage.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    cost.add_argument("--stack", default="prod", help="stack to price (Pulumi.<stack>.yaml), or a tier name")
    cost.add_argument("--all-tiers", action="store_true",
                      help="the deployment review's tiers side by side: its figure, ours, and why they differ")
    _output_options(cost)
    cost.add_argument("--chart", metavar="FILE.png", help="write stacked bars by tier (or variant) and category")
    cost.add_argument("--no-alternatives", action="store_true", help="skip the cheaper-configuration section")
    cost.add_argument("--against", metavar="FILE", help="compare with a Cost Explorer export grouped by SERVICE "
                      "(`aws ce get-cost-and-usage ... --group-by Type=DIMENSION,Key=SERVICE` JSON, or CSV)")
    cost.set_defaults(handler=_cost)
    actions = cost.add_subparsers(dest="cost_command", metavar="diff")
    diff = actions.add_parser("diff", help="what changes between two stacks or tiers, and by how much")
    diff.add_argument("--base", required=True, help="stack or tier")
    diff.add_argument("--head", required=True, help="stack or tier")
    _output_options(diff)
    diff.set_defaults(handler=_diff)

    prices = subparsers.add_parser("prices", help="manage the price book")
    prices_actions = prices.add_subparsers(dest="prices_command", required=True, metavar="refresh")
    refresh = prices_actions.add_parser(
        "refresh", help="rebuild the price book from the AWS Price List API (needs AWS credentials)")
    refresh.add_argument("--region", default="us-east-1")
    refresh.add_argument("--output", metavar="FILE", help="where to write it (default: the packaged price book)")
    refresh.set_defaults(handler=_refresh)


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json", "markdown"), default="table")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _emit(args: argparse.Namespace, table: Any, markdown: str, data: dict[str, Any]) -> None:
    if args.format == "json":
        print(json.dumps(data, indent=2))
    elif args.format == "markdown":
        print(markdown, end="")
    else:
        table(_console())


def _cost(args: argparse.Namespace) -> int:
    from accunode.costs import report
    from accunode.costs.bill import BillError, compare_bill
    from accunode.costs.stacks import Target, capture_target, cheaper_variants, estimate_graph, estimate_target
    from accunode.engine.capture import CaptureError
    from accunode.settings import TIERS

    try:
        if args.all_tiers:
            tiers = {tier: estimate_target(Target.parse(tier)) for tier in TIERS}
            if args.chart:
                _chart(args.chart, tiers, documented=True)
            _emit(args, lambda console: report.print_tiers(console, tiers), report.tiers_markdown(tiers),
                  report.tiers_json(tiers))
            return 0
        target = Target.parse(args.stack)
        graph = capture_target(target)
        estimate = estimate_graph(graph)
        estimate.stack = target.label
        if args.against:
            bill = compare_bill(estimate, Path(args.against))
            _emit(args, lambda console: report.print_bill(console, estimate, bill),
                  report.bill_markdown(estimate, bill), {"stack": estimate.stack, "bill": bill.to_dict()})
            return 0
        alternatives = [] if args.no_alternatives or estimate.problem else \
            cheaper_variants(graph, base_overrides=target.overrides)
    except (CaptureError, ValueError, BillError) as error:
        return _fail(str(error))
    if args.chart:
        _chart(args.chart, {estimate.stack: estimate, **{label: alt for label, alt in alternatives}})
    _emit(args, lambda console: report.print_estimate(console, estimate, alternatives),
          report.estimate_markdown(estimate, alternatives), report.estimate_json(estimate, alternatives))
    return 0


def _diff(args: argparse.Namespace) -> int:
    from accunode.costs import report
    from accunode.costs.stacks import Target, estimate_target
    from accunode.engine.capture import CaptureError

    try:
        base, head = (estimate_target(Target.parse(name)) for name in (args.base, args.head))
    except (CaptureError, ValueError) as error:
        return _fail(str(error))
    _emit(args, lambda console: report.print_diff(console, base, head), report.diff_markdown(base, head),
          report.diff_json(base, head))
    return 0


def _chart(path: str, estimates: dict[str, Any], documented: bool = False) -> None:
    from accunode.costs.chart import stacked_bars

    stacked_bars(estimates, Path(path), documented=documented)
    print(f"chart written to {path}", file=sys.stderr)


def _refresh(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    from rich.progress import track

    from accunode.costs.pricebook import PRICES_DIR, load_price_book
    from accunode.costs.refresh import PRICING_ENDPOINT_REGION, refresh

    try:
        current = load_price_book(args.region)
    except FileNotFoundError:
        current = load_price_book("us-east-1")
    client = boto3.client("pricing", region_name=PRICING_ENDPOINT_REGION)
    try:
        document, missing = refresh(current, client, args.region,
                                    progress=lambda q: track(q, description=f"Pricing {args.region}",
                                                             console=_console(stderr=True)))
    except (BotoCoreError, ClientError) as error:
        return _fail(f"the Price List API failed: {error}")
    output = Path(args.output) if args.output else PRICES_DIR / f"{args.region}.json"
    output.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {output} ({len(document['prices'])} prices)")
    if missing:
        print(f"kept from the previous book (no API row): {', '.join(missing)}", file=sys.stderr)
    return 0


def _console(stderr: bool = False) -> Any:
    """A console that keeps table rows on one line when output is piped (CI logs, files)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else 160)
