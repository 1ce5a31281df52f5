"""``accunode preview``: the offline ``pulumi preview --policy-pack`` (see docs/offline-preview.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_PACKS = ("policies/security", "policies/cost")

EPILOG = """\
exit codes:
  0  preview passed (advisory violations allowed)
  1  a mandatory policy was violated (as `pulumi preview` since 3.227)
  2  bad usage or configuration: unknown stack, missing pack, invalid --policy-pack-config
     (the engine's "validating policy config: <pack> <version>  <policy>: <error>")
  3  the program failed (e.g. invalid stack settings) or a policy pack crashed
     (failed to start, raised in a policy, exited)

examples:
  accunode preview --stack prod
  accunode preview --stack prod --first-preview --sarif preview.sarif --json preview.json
  accunode preview --stack dev --policy-pack policies/security --policy-pack-config strict.json
  accunode preview --stack prod -c accunode:monthlyBudget=50
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "preview", help="offline `pulumi preview --policy-pack`: resources, policy results, cost",
        description="Run the Pulumi program for a stack under the offline engine, drive the policy packs over "
                    "gRPC as `pulumi preview --policy-pack` does, and report resources, violations and cost.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", "-s", required=True, help="the stack (Pulumi.<stack>.yaml)")
    parser.add_argument("--policy-pack", action="append", dest="policy_packs", metavar="DIR",
                        help=f"a policy pack directory (repeatable; default: {', '.join(DEFAULT_PACKS)})")
    parser.add_argument("--policy-pack-config", action="append", dest="policy_pack_configs", metavar="FILE",
                        default=[], help="JSON config for the --policy-pack at the same position (one per pack)")
    parser.add_argument("--config", "-c", action="append", dest="config", metavar="KEY=VALUE", default=[],
                        help="override a stack config value for this preview (e.g. accunode:tier=high)")
    parser.add_argument("--first-preview", action="store_true",
                        help="emulate the stack's first preview: computed outputs of new resources are unknown")
    parser.add_argument("--json", metavar="FILE", help="write the machine-readable result ('-' for stdout)")
    parser.add_argument("--sarif", metavar="FILE", help="write SARIF 2.1.0 for GitHub code scanning")
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


def _overrides(pairs: list[str], project: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--config expects KEY=VALUE, got {pair!r}")
        result[key if ":" in key else f"{project}:{key}"] = value
    return result


class UsageError(ValueError):
    """Bad flags or configuration (exit 2); ``str()`` is the message, one error per line."""


def handle(args: argparse.Namespace) -> int:
    from accunode.engine.report import EXIT_USAGE

    progress = _Progress()
    try:
        report = preview(args.stack, project_dir=args.project_dir, policy_packs=args.policy_packs,
                         policy_pack_configs=args.policy_pack_configs, config=args.config,
                         first_preview=args.first_preview, progress=progress.step, cache=not args.no_cache)
    except UsageError as error:
        progress.stop()
        for text in str(error).splitlines():
            print(f"error: {text}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        progress.stop()  # idempotent; also on Ctrl-C
    return _emit(report, args)


def preview(stack: str, *, project_dir: Path | None = None, policy_packs: list[str] | None = None,
            policy_pack_configs: list[str] | None = None, config: list[str] | None = None,
            first_preview: bool = False, progress: Any = None, cache: bool = False) -> Any:
    """One preview, as the command runs it, returned as a PreviewReport (raises UsageError).

    ``config`` holds ``KEY=VALUE`` overrides; ``progress`` is called with each step's description;
    ``cache`` reuses the graph of an identical earlier run (same sources, stack file, overrides, SDKs).
    """
    from accunode.engine import capture
    from accunode.engine.analyzer import PolicyPackError, PolicyPacks, StackContext, stack_tags
    from accunode.engine.policy_config import PolicyConfigError
    from accunode.engine.report import PreviewReport

    step = progress or (lambda _message: None)
    try:
        project_dir = capture.find_project_dir(project_dir)
        project = capture.project_name(project_dir)
        overrides = _overrides(config or [], project)
        stack_config, secret_keys = capture.load_stack_config(project_dir, stack)
    except (capture.CaptureError, ValueError) as error:
        raise UsageError(str(error)) from None
    stack_config.update(overrides)

    warnings: list[str] = []
    if policy_packs:
        pack_dirs = [Path(p) for p in policy_packs]
        missing = [str(p) for p in pack_dirs if not (p / "PulumiPolicy.yaml").is_file()]
        if missing:
            raise UsageError(f"no policy pack (PulumiPolicy.yaml) at {', '.join(missing)}")
    else:
        pack_dirs = []
        for default in DEFAULT_PACKS:
            if (project_dir / default / "PulumiPolicy.yaml").is_file():
                pack_dirs.append(project_dir / default)
            else:
                warnings.append(f"default policy pack {default} not found; skipped")
    configs = [Path(c) for c in policy_pack_configs or []]
    if configs and not policy_packs:  # the CLI's validatePolicyPackConfig
        raise UsageError('"--policy-pack-config" must be specified with "--policy-pack"')
    if configs and len(configs) != len(pack_dirs):
        raise UsageError('the number of "--policy-pack-config" flags must match the number of "--policy-pack" flags')
    absent = [str(c) for c in configs if not c.is_file()]
    if absent:
        raise UsageError(f"no such policy pack config file: {', '.join(absent)}")

    report = PreviewReport(project_dir=project_dir, stack=stack, first_preview=first_preview, warnings=warnings)
    context = StackContext(project=project, stack=stack, config=stack_config, secret_keys=secret_keys,
                           tags=stack_tags(project_dir, stack_config))
    step("Loading policy packs...")
    packs = PolicyPacks.start(pack_dirs, configs, context)
    try:
        step(f"Running the program for stack {stack}...")
        program_error: capture.CaptureError | None = None
        try:
            if cache:
                report.graph, _ = capture.capture_stack_cached(stack, project_dir, preview=first_preview,
                                                               config_overrides=overrides)
            else:
                report.graph = capture.capture_stack(stack, project_dir, preview=first_preview,
                                                     config_overrides=overrides)
        except capture.CaptureError as error:
            program_error, report.graph = error, error.graph
        step("Waiting for policy packs...")
        try:
            packs.wait_ready()
        except PolicyConfigError as error:
            raise UsageError(str(error)) from None
        if report.graph is not None:
            step(f"Analyzing {len(report.graph)} resources...")
            # As the engine: resources registered before a program failure were analyzed; AnalyzeStack
            # runs only when the program succeeded.
            report.analysis = packs.analyze(report.graph, analyze_stack=program_error is None)
        if program_error is not None:
            report.error = str(program_error)
        else:
            _add_cost(report)
    except PolicyPackError as error:
        report.error = f"policy pack {error.pack_dir.name if error.pack_dir else ''} failed: {error}"
        report.error_detail = error.output
    finally:
        packs.close()
    return report


def _add_cost(report: Any) -> None:
    """Price the graph with the cost model (the same estimate as `accunode cost` and the cost pack)."""
    try:
        from accunode.costs.stacks import estimate_graph
    except ImportError:
        report.cost_note = "the cost model (accunode.costs) is not available"
        return
    try:
        report.cost = estimate_graph(report.graph)
    except Exception as error:  # a cost-model failure must not hide the policy results
        report.cost_note = f"not estimated: {type(error).__name__}: {error}"


def _emit(report: Any, args: argparse.Namespace) -> int:
    from rich.console import Console

    from accunode.engine.report import render, to_json
    from accunode.engine.sarif import to_sarif

    cost_renderer = cost_json = None
    if report.cost is not None:
        from accunode.costs.report import print_summary

        cost_renderer, cost_json = print_summary, lambda estimate: estimate.to_dict()
    if args.json != "-":
        render(report, Console(), cost_renderer)
    if args.json:
        text = json.dumps(to_json(report, cost_json), indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.sarif:
        Path(args.sarif).write_text(json.dumps(to_sarif(report), indent=2) + "\n", encoding="utf-8")
    return report.exit_code
