"""``accunode preview``: the offline ``pulumi preview --policy-pack`` (see docs/offline-preview.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from accunode.command import CommandError

DEFAULT_PACKS = ("policies/security", "policies/cost")

EXAMPLES = """\
examples:
  accunode preview --stack prod
  accunode preview --stack prod --first-preview --sarif preview.sarif --json preview.json
  accunode preview --stack dev --policy-pack policies/security --policy-pack-config docs/examples/strict-security.json
  accunode preview --stack prod -c accunode:monthlyBudget=50
"""


def register(subparsers: Any) -> None:
    from accunode.command import add_config, add_format, add_json, add_stack, exit_code_table

    parser = subparsers.add_parser(
        "preview", help="offline `pulumi preview --policy-pack`: resources, policy results, cost",
        description="Run the Pulumi program for a stack under the offline engine, drive the policy packs over "
                    "gRPC as `pulumi preview --policy-pack` does, and report resources, violations and cost.",
        epilog=f"{exit_code_table()}\n\n{EXAMPLES}", formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack(parser)
    parser.add_argument("--policy-pack", action="append", dest="policy_packs", metavar="DIR",
                        help=f"a policy pack directory (repeatable; default: {', '.join(DEFAULT_PACKS)})")
    parser.add_argument("--policy-pack-config", action="append", dest="policy_pack_configs", metavar="FILE",
                        default=[], help="JSON config for the --policy-pack at the same position (one per pack)")
    add_config(parser)
    parser.add_argument("--first-preview", action="store_true",
                        help="emulate the stack's first preview: computed outputs of new resources are unknown")
    add_format(parser)
    add_json(parser)
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


class UsageError(CommandError):
    """Bad flags or input (exit 2, nothing ran); ``str()`` is the message, one error per line."""


def handle(args: argparse.Namespace) -> int:
    from accunode.command import ExitCode, check_outputs, print_error

    try:
        check_outputs(json=(args.json, (".json",)), sarif=(args.sarif, (".sarif", ".json")))
    except CommandError as error:
        print_error(error)
        return int(error.code)
    progress = _Progress()
    try:
        report = preview(args.stack, project_dir=args.project_dir, policy_packs=args.policy_packs,
                         policy_pack_configs=args.policy_pack_configs, config=args.config,
                         first_preview=args.first_preview, progress=progress.step, cache=not args.no_cache)
    except UsageError as error:
        progress.stop()
        print_error(str(error))
        from accunode.engine.report import PreviewReport

        report = PreviewReport(project_dir=args.project_dir or Path.cwd(), stack=args.stack, error=str(error),
                               error_code=int(ExitCode.USAGE))
        _write_files(report, args)  # CI that uploads the SARIF still gets a run that says what went wrong
        return report.exit_code
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
    from accunode.command import config_overrides
    from accunode.engine import capture
    from accunode.engine.analyzer import PolicyPackError, PolicyPacks, StackContext, stack_tags
    from accunode.engine.policy_config import PolicyConfigError, load_policy_pack_config
    from accunode.engine.report import PreviewReport

    step = progress or (lambda _message: None)
    try:
        project_dir = capture.find_project_dir(project_dir)
        project = capture.project_name(project_dir)
        overrides = config_overrides(config or [], project)
        stack_config, secret_keys = capture.load_stack_config(project_dir, stack)
    except (capture.CaptureError, ValueError, CommandError) as error:
        raise UsageError(str(error)) from None
    stack_config.update(overrides)
    _check_settings(stack, project_dir, overrides)

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
    for pack_dir in pack_dirs:  # what the engine loads first (workspace.LoadPolicyPack), before anything runs
        try:
            project_file = capture.read_yaml_mapping(pack_dir / "PulumiPolicy.yaml")
        except capture.FileError as error:
            raise UsageError(f"{pack_dir}/{error}") from None
        if not project_file.get("runtime"):
            raise UsageError(f"{pack_dir}/PulumiPolicy.yaml: runtime: required (e.g. runtime: python)")
    configs = [Path(c) for c in policy_pack_configs or []]
    if configs and not policy_packs:  # the CLI's validatePolicyPackConfig
        raise UsageError('"--policy-pack-config" must be specified with "--policy-pack"')
    if configs and len(configs) != len(pack_dirs):
        raise UsageError('the number of "--policy-pack-config" flags must match the number of "--policy-pack" flags')
    absent = [str(c) for c in configs if not c.is_file()]
    if absent:
        raise UsageError(f"no such policy pack config file: {', '.join(absent)}")
    for config_file in configs:  # read before anything starts; the engine's schema checks follow at boot
        try:
            load_policy_pack_config(str(config_file))
        except (PolicyConfigError, ValueError) as error:
            raise UsageError(str(error)) from None
    try:
        tags = stack_tags(project_dir, stack_config)
    except (ValueError, AttributeError, TypeError):
        raise UsageError(f"Pulumi.{stack}.yaml: pulumi:tags: expected a mapping of tag names to text values") from None

    report = PreviewReport(project_dir=project_dir, stack=stack, first_preview=first_preview, warnings=warnings)
    context = StackContext(project=project, stack=stack, config=stack_config, secret_keys=secret_keys,
                           tags=tags)
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


def _check_settings(stack: str, project_dir: Path, overrides: dict[str, str]) -> None:
    """The stack's settings, validated before any pack starts or resource is registered (the program
    validates them again itself, as it does under the Pulumi CLI)."""
    from accunode.command import check_stack

    try:
        check_stack(stack, overrides, project_dir)
    except CommandError as error:
        raise UsageError(str(error)) from None


def _emit(report: Any, args: argparse.Namespace) -> int:
    from rich.console import Console

    from accunode.engine.report import render

    cost_renderer = None
    if report.cost is not None:
        from accunode.costs.report import print_summary

        cost_renderer = print_summary
    if "-" not in (args.json, args.sarif) and args.format != "json":
        render(report, Console(), cost_renderer)
    _write_files(report, args)
    return report.exit_code


def _write_files(report: Any, args: argparse.Namespace) -> None:
    from accunode.command import dumps, write_output
    from accunode.engine.report import to_json
    from accunode.engine.sarif import to_sarif

    cost_json = (lambda estimate: estimate.to_dict()) if report.cost is not None else None
    document = None
    if args.json or args.format == "json":
        document = dumps(to_json(report, cost_json))
    if args.format == "json" and args.json != "-":
        write_output("-", document)
    if args.json:
        write_output(args.json, document)
    if args.sarif:
        write_output(args.sarif, dumps(to_sarif(report)))
