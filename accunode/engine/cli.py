"""``accunode preview``: the offline ``pulumi preview --policy-pack`` (see docs/offline-preview.md)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from accunode.command import CommandError

DEFAULT_PACKS = ("policies/security", "policies/cost")  # under the project, when no --policy-pack is given

EXAMPLES = """\
examples:
  accunode preview --stack prod
  accunode preview --stack prod --first-preview --sarif preview.sarif --json preview.json
  accunode preview --stack dev --policy-pack policies/security --policy-pack-config docs/examples/strict-security.json
  accunode preview --stack prod -c accunode:monthlyBudget=50
  accunode preview --stack prod --stack dev --stack staging --json out.json
  # a change preview against an earlier --json output (e.g. the base branch's out.json):
  #   accunode preview --stack prod --compare-to out.json --format markdown
  # preview again whenever the program or the stack file changes (Ctrl-C to stop):
  #   accunode preview --stack dev --watch
"""


def register(subparsers: Any) -> None:
    from accunode.command import add_config, add_format, add_json, add_stack, exit_code_table

    parser = subparsers.add_parser(
        "preview", help="offline `pulumi preview --policy-pack`: resources, policy results, cost",
        description="Run the Pulumi program for a stack under the offline engine, drive the policy packs over "
                    "gRPC as `pulumi preview --policy-pack` does, and report resources, violations and cost.",
        epilog=f"{exit_code_table()}\n\n{EXAMPLES}", formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack(parser, repeatable=True)
    parser.add_argument("--policy-pack", action="append", dest="policy_packs", metavar="DIR",
                        help=f"a policy pack directory (repeatable; default: {', '.join(DEFAULT_PACKS)})")
    parser.add_argument("--policy-pack-config", action="append", dest="policy_pack_configs", metavar="FILE",
                        default=[], help="JSON config for the --policy-pack at the same position (one per pack)")
    add_config(parser)
    parser.add_argument("--first-preview", action="store_true",
                        help="emulate the stack's first preview: computed outputs of new resources are unknown")
    add_format(parser, ("table", "json", "markdown"))
    add_json(parser)
    parser.add_argument("--compare-to", metavar="FILE",
                        help="compare with an earlier --json output (e.g. the base branch's): resources to create, "
                             "update, delete; policy findings new and resolved; monthly cost before and after "
                             "(--format markdown: a pull-request comment)")
    parser.add_argument("--watch", action="store_true",
                        help="keep the packs running and preview again whenever the program's sources or the "
                             "stack file change")
    parser.add_argument("--watch-rounds", type=int, default=None, help=argparse.SUPPRESS)  # tests, scripts
    parser.add_argument("--offline-account", metavar="ID",
                        help="the account id getCallerIdentity answers offline (default 123456789012)")
    parser.add_argument("--offline-region", metavar="REGION",
                        help="the region getRegion answers offline (default: the stack's aws:region)")
    parser.add_argument("--offline-zones", metavar="A,B,...",
                        help="the zones getAvailabilityZones answers offline (default: the region's a-d)")
    parser.add_argument("--sarif", metavar="FILE", help="write SARIF 2.1.0 for GitHub code scanning ('-': stdout)")
    parser.add_argument("--no-cache", action="store_true",
                        help="run the program even if an unchanged stack was captured before (.accunode/cache)")
    parser.add_argument("--project-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=handle)


class _Progress:
    """A spinner on a terminal's stderr; plain ``step...: done`` lines otherwise (like Pulumi's)."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.status: Any = None
        self.current = ""

    def step(self, message: str) -> None:
        if self.console.is_terminal:
            if self.status is None:
                self.status = self.console.status(message)
                self.status.start()
            else:
                self.status.update(message)
        else:
            if self.current:
                self.console.print(f"{self.current}: done", highlight=False, soft_wrap=True)
            self.console.print(f"{message}: starting", highlight=False, soft_wrap=True)
        self.current = message

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None
        elif self.current:
            self.console.print(f"{self.current}: done", highlight=False, soft_wrap=True)
        self.current = ""


def handle(args: argparse.Namespace) -> int:
    from accunode.command import ExitCode, check_outputs, print_error
    from accunode.engine.compare import CompareError, load_base
    from accunode.engine.preview import PreviewOptions, PreviewSession, UsageError

    stacks = list(dict.fromkeys(args.stack))
    try:
        check_outputs(json=(args.json, (".json",)), sarif=(args.sarif, (".sarif", ".json")))
        if args.sarif and len(stacks) > 1:
            raise CommandError("--sarif takes one stack (one SARIF run per stack); preview the stacks one at a time")
        if args.watch and (args.json or args.sarif or args.format != "table"):
            raise CommandError("--watch prints to the console; it takes no --json, --sarif or --format")
        base = load_base(Path(args.compare_to)) if args.compare_to else None
        offline = _offline_values(args)
    except (CommandError, CompareError) as error:
        print_error(str(error))
        return int(ExitCode.USAGE)
    options = PreviewOptions(project_dir=args.project_dir, policy_packs=args.policy_packs,
                             policy_pack_configs=tuple(args.policy_pack_configs), config=tuple(args.config),
                             first_preview=args.first_preview, cache=not args.no_cache and not args.watch,
                             offline=offline)
    progress = _Progress()
    session = PreviewSession(stacks, options, progress.step)
    try:
        try:
            session.start()
        except UsageError as error:
            progress.stop()
            print_error(str(error))
            from accunode.engine.report import PreviewReport

            reports = [PreviewReport(project_dir=args.project_dir or Path.cwd(), stack=s, error=str(error),
                                     error_code=int(ExitCode.USAGE)) for s in stacks]
            _write_files(reports, args)  # CI that uploads the SARIF still gets a run that says what went wrong
            return max(r.exit_code for r in reports)
        if args.watch:
            return _watch(session, args, base, progress)
        reports = session.preview_all()
    finally:
        progress.stop()  # idempotent; also on Ctrl-C
        session.close()
    return _emit(reports, args, base)


def _offline_values(args: argparse.Namespace) -> Any:
    from accunode.command import region_name
    from accunode.engine.fakecloud import OfflineValues

    if args.offline_account is not None and not re.fullmatch(r"[0-9]{12}", args.offline_account):
        raise CommandError(f"--offline-account {args.offline_account!r}: an AWS account id is 12 digits")
    region = ""
    if args.offline_region:
        try:
            region = region_name(args.offline_region)
        except argparse.ArgumentTypeError as error:
            raise CommandError(f"--offline-region: {error}") from None
    zones = tuple(z.strip() for z in (args.offline_zones or "").split(",") if z.strip())
    return OfflineValues(account_id=args.offline_account or OfflineValues().account_id, zones=zones, region=region)


def preview(stack: str, **kwargs: Any) -> Any:
    """One stack's preview as a PreviewReport (see accunode.engine.preview.preview)."""
    from accunode.engine.preview import preview as run

    return run(stack, **kwargs)


def _compare(reports: list[Any], base: Any) -> None:
    from accunode.engine.compare import base_for, compare
    from accunode.engine.report import to_json

    for report in reports:
        if report.graph is None:
            continue
        earlier = base_for(base, report.stack)
        if earlier is not None:
            report.change = compare(earlier, to_json(report, _cost_json(report)), "the base preview")


def _cost_json(report: Any) -> Any:
    return (lambda estimate: estimate.to_dict()) if report.cost is not None else None


def _usage_error(report: Any) -> bool:
    from accunode.command import ExitCode

    return bool(report.error) and report.error_code == int(ExitCode.USAGE)


def _emit(reports: list[Any], args: argparse.Namespace, base: Any) -> int:
    from rich.console import Console

    from accunode.command import print_error
    from accunode.engine.report import render, verdict

    if base is not None:
        _compare(reports, base)
    for report in reports:
        if _usage_error(report):  # bad input for this stack: nothing ran, said on stderr as for every command
            print_error(f"{report.stack}: {report.error}" if len(reports) > 1 else report.error)
    if args.format == "markdown":
        from accunode.command import write_output
        from accunode.engine.compare import markdown

        write_output("-", markdown([(r.change, r.stack, verdict(r)) for r in reports]))
    elif "-" not in (args.json, args.sarif) and args.format != "json":
        console = Console()
        for report in reports:
            if not _usage_error(report):
                render(report, console, _cost_renderer(report))
        if len(reports) > 1:  # one verdict line per stack, together at the end
            for report in reports:
                console.print(f"{report.stack}: {verdict(report)}", highlight=False, soft_wrap=True,
                              style="bold red" if report.exit_code else "bold green")
    _write_files(reports, args)
    return max(r.exit_code for r in reports)


def _cost_renderer(report: Any) -> Any:
    if report.cost is None:
        return None
    from accunode.costs.report import print_summary

    return print_summary


def _watch(session: Any, args: argparse.Namespace, base: Any, progress: _Progress) -> int:
    """Preview, then again after every change; until Ctrl-C (exit 130) or ``--watch-rounds``."""
    from rich.console import Console

    from accunode.engine.report import render, verdict
    from accunode.engine.watch import watch

    console = Console()
    worst = [0]

    def on_round(round_: Any) -> None:
        progress.stop()
        if base is not None:
            _compare(round_.reports, base)
        if round_.number > 1:
            changed = ", ".join(p.relative_to(session.project_dir).as_posix() for p in round_.changed)
            restarted = f"; packs restarted for {', '.join(round_.restarted)} (config changed)" \
                if round_.restarted else "; packs kept running"
            console.print(f"--- change in {changed}: previewed again in {round_.seconds:.2f}s{restarted}",
                          highlight=False, soft_wrap=True, style="dim")
        for report in round_.reports:
            if _usage_error(report):
                console.print(f"error: {report.stack}: {report.error}", highlight=False, soft_wrap=True,
                              style="bold red")
            elif round_.number == 1:
                render(report, console, _cost_renderer(report))
            else:
                console.print(verdict(report) if len(round_.reports) == 1 else f"{report.stack}: {verdict(report)}",
                              highlight=False, soft_wrap=True, style="bold red" if report.exit_code else "bold green")
                if report.change is not None:
                    from accunode.engine.compare import text_lines

                    for text in text_lines(report.change):
                        console.print(text, highlight=False, soft_wrap=True)
        worst[0] = max(r.exit_code for r in round_.reports)
        console.print(f"watching {session.project_dir.name}/ for changes (Ctrl-C to stop)", style="dim",
                      highlight=False)

    watch(session, on_round, max_rounds=args.watch_rounds)
    return worst[0]


def _write_files(reports: list[Any], args: argparse.Namespace) -> None:
    from accunode.command import dumps, write_output
    from accunode.engine.report import to_json
    from accunode.engine.sarif import to_sarif

    document: Any = None
    if args.json or args.format == "json":
        documents = []
        for report in reports:
            doc = to_json(report, _cost_json(report))
            if report.change is not None:
                doc["compare"] = report.change.to_json()
            documents.append(doc)
        document = dumps(documents[0] if len(documents) == 1 else {"stacks": documents})
    if args.format == "json" and args.json != "-":
        write_output("-", document)
    if args.json:
        write_output(args.json, document)
    if args.sarif:
        write_output(args.sarif, dumps(to_sarif(reports[0])))
