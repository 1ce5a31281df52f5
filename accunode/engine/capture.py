"""Run the Pulumi program (or any function) under a recording mock monitor; return its resource graph.

This is the one place the project emulates the engine's side of a deployment; the pieces live in
:mod:`~accunode.engine.project` (the files), :mod:`~accunode.engine.fakecloud` (ids, outputs,
invoke answers), :mod:`~accunode.engine.monitor` (the recording monitor) and
:mod:`~accunode.engine.cache`. Tests, the cost
model and the offline preview all read what it records. Divergences from the real engine
(numbered as in docs/offline-preview.md) and how they are handled:

1. URNs: the monitor returns engine-style URNs (full parent type chain, Stack type excluded), so
   parents, dependencies and property dependencies recorded by the SDK are engine URNs already.
2. Default providers: one ``pulumi:providers:<pkg>::default_<version>`` per package and version is
   synthesized (inputs: the package's config without namespace, plus ``version``) and referenced
   from each custom resource's ``provider`` as ``<urn>::<id>``.
3. Stack exports: the program runs inside ``run_in_stack`` so ``RegisterResourceOutputs`` of the
   Stack carries the exports; component outputs are recorded the same way.
4. Remote components (awsx): recorded as the component only; the program uses none in the
   platform (see components/) so nothing the policies or the cost model need is hidden.
5. Provider ``Check`` (auto-names, defaults) is not emulated: auto-named resources (target groups,
   ``namePrefix`` security groups and parameter group) have no ``name`` offline; policies link them by
   id and ARN. ``__``-prefixed keys are dropped as the engine does for Analyze.
6./7. ``preview=True`` emulates a first preview: new resources get no id, so dependents receive the
   engine's unknown sentinel; their outputs are the inputs plus every computed attribute as unknown
   (what the provider's preview Create returns). ``dry_run``: ``is_dry_run()`` (true in a preview).
8. Resource references are collapsed to the referenced id (or URN) *before* the SDK's mock monitor
   could rehydrate them (which hangs), and never echoed back as references.
9. Options: custom timeouts parsed as Go durations into seconds (one the engine cannot parse fails the
   program with its message), deleteBeforeReplace kept with its flag, no aliases (the engine sends
   only the old-state URN a resource was matched through, and there is no state offline).
10. Read resources (``.get()``, StackReference) are answered but excluded from the graph.
"""

from __future__ import annotations

import os
import runpy
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from accunode.engine.fakecloud import ACCOUNT_ID, AVAILABILITY_ZONES, FakeCloud, OfflineValues
from accunode.engine.graph import ResourceGraph
from accunode.engine.monitor import RecordingMonitor
from accunode.engine.project import (
    SECRET_PLACEHOLDER,
    StackFileError,
    StackFiles,
    config_string,
    find_project_dir,
    load_stack_config,
    project_name,
    pulumi_stack_name_problem,
    stack_names,
)
from accunode.engine.sdk import load_sdk

__all__ = ["ACCOUNT_ID", "AVAILABILITY_ZONES", "SECRET_PLACEHOLDER", "CaptureError", "OfflineValues",
           "StackFileError", "StackFiles", "capture_stack", "config_string", "find_project_dir",
           "load_stack_config", "project_name", "pulumi_stack_name_problem", "run_program", "stack_names"]


class CaptureError(RuntimeError):
    """The program failed. ``str()`` is the message a user should see (no traceback).

    ``graph`` holds what was registered before the failure (None when the run never started).
    """

    def __init__(self, message: str, graph: ResourceGraph | None = None):
        super().__init__(message)
        self.graph = graph



# --------------------------------------------------------------------------------------------
# Running things
# --------------------------------------------------------------------------------------------
_RUN_LOCK = threading.Lock()


def run_program(
    fn: Callable[[], Any],
    *,
    stack: str = "test",
    project: str = "accunode",
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
    preview: bool = False,
    organization: str = "organization",
    dry_run: bool | None = None,
    offline: OfflineValues | None = None,
) -> ResourceGraph:
    """Run ``fn`` as a Pulumi program under the recording mocks and return what it registered.

    ``config`` keys are namespaced (``{"accunode:environment": "prod"}``); values as the CLI passes
    them (strings; objects as JSON strings). Raises CaptureError with a plain message when the
    program fails (a ``pulumi.RunError`` message is passed through untouched).

    ``preview``: a first preview (no resource exists: computed outputs unknown). ``dry_run``: what
    ``pulumi.runtime.is_dry_run()`` answers; true in every preview (default: ``preview``, so unit
    tests of a deployment see false). ``offline``: the invoke answers (account, region, zones).
    """
    load_sdk()
    import pulumi
    import pulumi.runtime
    from pulumi.runtime import settings as pulumi_settings
    from pulumi.runtime.stack import run_in_stack
    from pulumi.runtime.sync_await import _sync_await

    config = {k: config_string(v) if not isinstance(v, str) else v for k, v in (config or {}).items()}
    region = config.get("aws:region", "us-east-1")
    graph = ResourceGraph(project=project, stack=stack, organization=organization, preview=preview,
                          config=dict(config), secret_keys=list(secret_keys or []))
    with _RUN_LOCK:  # the SDK's runtime state is process-global
        pulumi.runtime.set_all_config(dict(config), list(secret_keys or []))
        cloud = FakeCloud(preview, region, offline)
        monitor = RecordingMonitor(cloud, graph, config)
        pulumi.runtime.set_mocks(cloud, project=project, stack=stack,  # type: ignore[arg-type]
                                 preview=preview if dry_run is None else dry_run,
                                 monitor=monitor, organization=organization)
        pulumi_settings.ROOT.set(None)
        try:
            _sync_await(run_in_stack(fn))
            if monitor.errors:
                raise CaptureError(monitor.errors[0], graph)
        except pulumi.RunError as error:
            raise CaptureError(str(error), graph) from None
        except CaptureError as error:
            raise CaptureError(str(error), graph) from None
        except Exception as error:
            if monitor.errors:
                raise CaptureError(monitor.errors[0], graph) from None
            raise CaptureError(f"the program failed: {type(error).__name__}: {error}", graph) from error
        finally:
            pulumi_settings.ROOT.set(None)
    return graph


def capture_stack(
    stack: str,
    project_dir: Path | None = None,
    *,
    preview: bool = False,
    config_overrides: Mapping[str, Any] | None = None,
    files: StackFiles | None = None,
    dry_run: bool | None = None,
    offline: OfflineValues | None = None,
    reload: bool = False,
) -> ResourceGraph:
    """Run ``__main__.py`` for ``Pulumi.<stack>.yaml`` and return the resource graph.

    ``config_overrides`` (namespaced keys) are laid over the stack file, e.g.
    ``{"accunode:tier": "high"}``; a value of None removes the key. ``files``: the stack's files
    already read (then ``project_dir`` and ``config_overrides`` are taken from it). ``reload``: forget
    the program's own modules first, so a changed source is run as changed (``--watch``).
    """
    if files is None:
        files = StackFiles.read(stack, project_dir, config_overrides)
    project_dir = files.project_dir
    program = project_dir / "__main__.py"
    if reload:
        forget_modules(project_dir)

    def run() -> None:
        cwd = Path.cwd()
        os.chdir(project_dir)
        if str(project_dir) not in sys.path:
            sys.path.insert(0, str(project_dir))
        try:
            runpy.run_path(str(program), run_name="__main__")
        finally:
            os.chdir(cwd)

    return run_program(run, stack=stack, project=files.project, config=files.config,
                       secret_keys=files.secret_keys, preview=preview, dry_run=dry_run, offline=offline)


def forget_modules(project_dir: Path) -> list[str]:
    """Drop the modules loaded from the project's own sources from ``sys.modules``: not its venv, and not
    this engine (which keeps running with the modules it has; its classes must stay the ones it catches)."""
    root = project_dir.resolve()
    engine = Path(__file__).resolve().parent
    gone = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        if path.is_relative_to(root) and not path.is_relative_to(engine) and not any(
                part in {"venv", ".venv", "site-packages"} for part in path.relative_to(root).parts):
            del sys.modules[name]
            gone.append(name)
    return gone


def __getattr__(name: str) -> Any:
    """The capture cache moved to accunode.engine.cache; old imports keep working."""
    if name in ("CACHE_DIR", "capture_key", "capture_stack_cached"):
        from accunode.engine import cache

        return getattr(cache, name)
    raise AttributeError(name)
