"""``accunode preview --watch``: preview again whenever the program's sources or a stack file change.

The session's packs stay up and the SDK stays imported, so a re-preview pays for the program's own
modules (forgotten and run again) and for the resources whose requests changed (the packs answered
the others before). Changes are found by polling modification times and sizes (no dependency; a
poll every 0.2 s costs nothing measurable). A changed stack file is read again; its packs restart
only if its config changed, because a pack gets the stack's config once, when it starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from accunode.engine.cache import program_files
from accunode.engine.preview import PreviewSession
from accunode.engine.report import PreviewReport

POLL_SECONDS = 0.2


def snapshot(files: list[Path]) -> dict[Path, tuple[int, int]]:
    state = {}
    for path in files:
        try:
            stat = path.stat()
        except OSError:
            continue
        state[path] = (stat.st_mtime_ns, stat.st_size)
    return state


@dataclass
class Round:
    """One preview of every stack in the loop."""

    number: int
    reports: list[PreviewReport]
    changed: list[Path]  # what triggered it (empty for the first)
    restarted: list[str]  # stacks whose packs restarted (their config changed)
    seconds: float


def watch(session: PreviewSession, on_round: Callable[[Round], None], *, max_rounds: int | None = None,
          poll: float = POLL_SECONDS, sleep: Callable[[float], None] = time.sleep,
          idle_timeout: float | None = None) -> int:
    """Preview every stack now, then again after each change, calling ``on_round`` each time.

    Returns the number of rounds; stops after ``max_rounds`` or when nothing changed for
    ``idle_timeout`` seconds (both for tests and scripts; by default it runs until interrupted).
    """
    stacks = [s.name for s in session.stacks]
    project_dir = session.project_dir
    stack_files = {project_dir / f"Pulumi.{name}.yaml": name for name in stacks}
    rounds = 0
    changed: list[Path] = []
    restarted: list[str] = []
    while True:
        state = snapshot(program_files(project_dir, stacks))
        started = time.perf_counter()
        reports = session.preview_all(reload=rounds > 0)
        rounds += 1
        on_round(Round(rounds, reports, changed, restarted, time.perf_counter() - started))
        if max_rounds is not None and rounds >= max_rounds:
            return rounds
        idle_since = time.monotonic()
        while True:
            sleep(poll)
            now = snapshot(program_files(project_dir, stacks))
            if now != state:
                changed = sorted(p for p in set(now) | set(state) if now.get(p) != state.get(p))
                break
            if idle_timeout is not None and time.monotonic() - idle_since > idle_timeout:
                return rounds
        restarted = [stack_files[p] for p in changed if p in stack_files and session.reread(stack_files[p])]
