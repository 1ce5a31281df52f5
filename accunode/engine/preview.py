"""The preview as a typed operation: validated inputs in, one PreviewReport per stack out.

``accunode preview`` (accunode/engine/cli.py) is a thin layer over :class:`PreviewSession`:

* the project's and each stack's files are read once (:class:`~accunode.engine.project.StackFiles`);
* the packs of every stack boot at once, in parallel, while the first program runs. A pack process
  serves one stack: the engine starts it with that stack's ``PULUMI_STACK``/``PULUMI_CONFIG`` in its
  environment and sends ``ConfigureStack`` with that stack's config once, so reusing one process
  for another stack would show its policies the wrong stack. The SDK is imported once per process;
* programs run one after the other in this process (the SDK's runtime state is process-global);
* a session can preview again (``--watch``) with the packs still running; only resources whose
  requests changed are sent to the packs again (policies are pure functions of the request).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accunode.command import CommandError, ExitCode
from accunode.engine.cli import DEFAULT_PACKS
from accunode.engine.fakecloud import OfflineValues
from accunode.engine.project import StackFiles, find_project_dir, project_name
from accunode.engine.report import PreviewReport


class UsageError(CommandError):
    """Bad flags or input (exit 2, nothing ran); ``str()`` is the message, one error per line."""


@dataclass(frozen=True)
class PreviewOptions:
    """What ``accunode preview`` takes besides the stacks."""

    project_dir: Path | None = None
    policy_packs: Sequence[str] | None = None  # None: the default packs under the project
    policy_pack_configs: Sequence[str] = ()
    config: Sequence[str] = ()  # KEY=VALUE overrides, for every stack
    first_preview: bool = False
    cache: bool = False
    offline: OfflineValues = field(default_factory=OfflineValues)


@dataclass
class _Stack:
    name: str
    files: StackFiles | None = None
    error: str = ""  # bad input for this stack (exit 2): previewed as an error, the others still run
    packs: Any = None  # PolicyPacks


class PreviewSession:
    """The packs and programs of one ``accunode preview`` call (use as a context manager)."""

    def __init__(self, stacks: Sequence[str], options: PreviewOptions | None = None,
                 progress: Callable[[str], None] | None = None):
        if not stacks:
            raise UsageError("--stack is required (repeat it to preview several stacks)")
        self.options = options or PreviewOptions()
        self.step = progress or (lambda _message: None)
        self.stacks = [_Stack(name) for name in dict.fromkeys(stacks)]  # each stack once, in the given order
        self.warnings: list[str] = []
        self.project_dir: Path = Path.cwd()
        self.pack_dirs: list[Path] = []
        self.configs: list[Path] = []

    # setup ---------------------------------------------------------------------------------
    def __enter__(self) -> PreviewSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Validate everything (raises UsageError for what concerns every stack), then boot the packs."""
        from accunode.command import config_overrides
        from accunode.engine.files import FileError

        options = self.options
        try:
            self.project_dir = find_project_dir(options.project_dir)
            overrides = config_overrides(list(options.config), project_name(self.project_dir))
        except (FileError, CommandError) as error:
            raise UsageError(str(error)) from None
        self._packs_and_configs()
        for stack in self.stacks:
            try:
                stack.files = StackFiles.read(stack.name, self.project_dir, overrides)
                _check_settings(stack.files)
            except (ValueError, CommandError) as error:
                stack.error = str(error)
        self.step("Loading policy packs...")
        for stack in self.stacks:
            if stack.files is not None:
                stack.packs = self._start_packs(stack.files)

    def _packs_and_configs(self) -> None:
        from accunode.engine.files import FileError, read_yaml_mapping
        from accunode.engine.policy_config import PolicyConfigError, load_policy_pack_config

        options = self.options
        if options.policy_packs:
            self.pack_dirs = [Path(p) for p in options.policy_packs]
            missing = [str(p) for p in self.pack_dirs if not (p / "PulumiPolicy.yaml").is_file()]
            if missing:
                raise UsageError(f"no policy pack (PulumiPolicy.yaml) at {', '.join(missing)}")
        else:
            for default in DEFAULT_PACKS:
                if (self.project_dir / default / "PulumiPolicy.yaml").is_file():
                    self.pack_dirs.append(self.project_dir / default)
                else:
                    self.warnings.append(f"default policy pack {default} not found; skipped")
        for pack_dir in self.pack_dirs:  # what the engine loads first (workspace.LoadPolicyPack)
            try:
                project_file = read_yaml_mapping(pack_dir / "PulumiPolicy.yaml")
            except FileError as error:
                raise UsageError(f"{pack_dir}/{error}") from None
            if not project_file.get("runtime"):
                raise UsageError(f"{pack_dir}/PulumiPolicy.yaml: runtime: required (e.g. runtime: python)")
        self.configs = [Path(c) for c in options.policy_pack_configs]
        if self.configs and not options.policy_packs:  # the CLI's validatePolicyPackConfig
            raise UsageError('"--policy-pack-config" must be specified with "--policy-pack"')
        if self.configs and len(self.configs) != len(self.pack_dirs):
            raise UsageError('the number of "--policy-pack-config" flags must match the number of '
                             '"--policy-pack" flags')
        absent = [str(c) for c in self.configs if not c.is_file()]
        if absent:
            raise UsageError(f"no such policy pack config file: {', '.join(absent)}")
        for config_file in self.configs:  # read before anything starts; the schema checks follow at boot
            try:
                load_policy_pack_config(str(config_file))
            except (PolicyConfigError, ValueError) as error:
                raise UsageError(str(error)) from None

    def _start_packs(self, files: StackFiles) -> Any:
        from accunode.engine.analyzer import PolicyPacks, StackContext

        context = StackContext(project=files.project, stack=files.stack, config=dict(files.config),
                               secret_keys=list(files.secret_keys), tags=dict(files.tags))
        return PolicyPacks.start(self.pack_dirs, self.configs, context)

    def close(self) -> None:
        for stack in self.stacks:
            if stack.packs is not None:
                stack.packs.close()
                stack.packs = None

    # re-reading a changed stack file (--watch) ---------------------------------------------------
    def reread(self, name: str) -> bool:
        """Read a stack's file again; returns whether its packs were restarted (their config changed:
        it is in the pack process's environment and in ConfigureStack, both sent once)."""
        from accunode.command import config_overrides

        stack = next(s for s in self.stacks if s.name == name)
        before = stack.files
        stack.error = ""
        try:
            overrides = config_overrides(list(self.options.config), project_name(self.project_dir))
            stack.files = StackFiles.read(name, self.project_dir, overrides)
            _check_settings(stack.files)
        except (ValueError, CommandError) as error:
            stack.error = str(error)
            return False
        same = before is not None and (before.config, before.secret_keys, before.tags) == \
            (stack.files.config, stack.files.secret_keys, stack.files.tags)
        if same and stack.packs is not None:
            return False
        if stack.packs is not None:
            stack.packs.close()
        stack.packs = self._start_packs(stack.files)
        return True

    def pack_processes(self) -> dict[str, list[int]]:
        """The pack process ids per stack (to show that a re-preview reused them)."""
        return {s.name: s.packs.process_ids() for s in self.stacks if s.packs is not None}

    # previewing ----------------------------------------------------------------------------
    def preview_all(self, *, reload: bool = False) -> list[PreviewReport]:
        return [self.preview(stack.name, reload=reload) for stack in self.stacks]

    def preview(self, name: str, *, reload: bool = False) -> PreviewReport:
        """One stack's preview. ``reload``: run the program's sources afresh (no cache, modules forgotten)
        and reuse earlier Analyze results for unchanged requests."""
        from accunode.engine import capture
        from accunode.engine.cache import capture_stack_cached
        from accunode.engine.packhost import PolicyPackError
        from accunode.engine.policy_config import PolicyConfigError

        stack = next(s for s in self.stacks if s.name == name)
        options = self.options
        report = PreviewReport(project_dir=self.project_dir, stack=name, first_preview=options.first_preview,
                               warnings=list(self.warnings))
        if stack.error or stack.files is None:
            report.error, report.error_code = stack.error, int(ExitCode.USAGE)
            return report
        files = stack.files
        report.offline = options.offline.describe(files.config.get("aws:region", "us-east-1"))
        self.step(f"Running the program for stack {name}...")
        program_error: capture.CaptureError | None = None
        run = {"preview": options.first_preview, "files": files, "dry_run": True, "offline": options.offline}
        try:
            if options.cache and not reload:
                report.graph, _ = capture_stack_cached(name, self.project_dir, config_overrides=files.overrides,
                                                       **run)
            else:
                report.graph = capture.capture_stack(name, self.project_dir, reload=reload, **run)
        except capture.CaptureError as error:
            program_error, report.graph = error, error.graph
        self.step("Waiting for policy packs...")
        try:
            stack.packs.wait_ready()
        except PolicyConfigError as error:
            report.graph, report.error, report.error_code = None, str(error), int(ExitCode.USAGE)
            return report
        except PolicyPackError as error:  # the engine loads packs before the program: nothing else is shown
            report.graph = None
            report.error = f"policy pack {error.pack_dir.name if error.pack_dir else ''} failed: {error}"
            report.error_detail, report.pack_crashed = error.output, True
            return report
        try:
            if report.graph is not None:
                self.step(f"Analyzing {len(report.graph)} resources...")
                # As the engine: resources registered before a program failure were analyzed; AnalyzeStack
                # runs only when the program succeeded.
                report.analysis = stack.packs.analyze(report.graph, analyze_stack=program_error is None)
        except PolicyPackError as error:
            report.error = f"policy pack {error.pack_dir.name if error.pack_dir else ''} failed: {error}"
            report.error_detail, report.pack_crashed = error.output, True
            return report
        if program_error is not None:
            report.error = str(program_error)
        else:
            _add_cost(report)
        return report


def _check_settings(files: StackFiles) -> None:
    """The stack's settings, validated before any pack starts or resource is registered (the program
    validates them again itself, as it does under the Pulumi CLI)."""
    from accunode.command import check_stack

    check_stack(files.stack, files=files)


def _add_cost(report: PreviewReport) -> None:
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


def preview(stack: str, *, project_dir: Path | None = None, policy_packs: list[str] | None = None,
            policy_pack_configs: list[str] | None = None, config: list[str] | None = None,
            first_preview: bool = False, progress: Callable[[str], None] | None = None,
            cache: bool = False, offline: OfflineValues | None = None) -> PreviewReport:
    """One stack's preview, as the command runs it (raises UsageError for bad input)."""
    options = PreviewOptions(project_dir=project_dir, policy_packs=policy_packs,
                             policy_pack_configs=tuple(policy_pack_configs or ()), config=tuple(config or ()),
                             first_preview=first_preview, cache=cache, offline=offline or OfflineValues())
    with PreviewSession([stack], options, progress) as session:
        report = session.preview(stack)
    if report.error_code == int(ExitCode.USAGE) and report.error:
        raise UsageError(report.error)
    return report
