"""A cache of captured graphs, for repeated previews of an unchanged stack."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accunode.engine.capture import capture_stack
from accunode.engine.graph import ResourceGraph
from accunode.engine.project import find_project_dir

CACHE_DIR = Path(".accunode") / "cache"
_NOT_PROGRAM = {"venv", ".venv", ".git", "tests", "policies", "benchmarks", "docs", ".accunode", "__pycache__"}
_ENGINE_MODULES = ("capture.py", "monitor.py", "fakecloud.py", "project.py", "graph.py")
_SDKS = ("pulumi", "pulumi_aws", "pulumi_random", "pulumi_awsx")


def program_files(project_dir: Path, stacks: list[str]) -> list[Path]:
    """What decides a stack's graph on disk: the program's Python sources (not its tests, packs, venv
    or docs), ``Pulumi.yaml`` and the stack files. ``--watch`` polls these; the cache hashes them."""
    files = []
    for folder, subfolders, names in os.walk(project_dir):
        subfolders[:] = sorted(d for d in subfolders if d not in _NOT_PROGRAM and not d.startswith("."))
        files += [Path(folder) / name for name in sorted(names) if name.endswith(".py")]
    return [*files, project_dir / "Pulumi.yaml", *(project_dir / f"Pulumi.{stack}.yaml" for stack in stacks)]


def capture_key(stack: str, project_dir: Path, *, preview: bool, config_overrides: Mapping[str, Any] | None,
                extra: Any = None) -> str:
    """A hash of everything that decides the graph: the program's Python sources and project files,
    the stack file, the overrides, the mode, this module and the SDK versions."""
    from importlib import metadata

    digest = hashlib.sha256()
    for path in program_files(project_dir, [stack]):
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    for module in _ENGINE_MODULES:  # the code that records the graph
        digest.update((Path(__file__).parent / module).read_bytes())
    for sdk in _SDKS:
        try:
            digest.update(f"{sdk}={metadata.version(sdk.replace('_', '-'))}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{sdk}=absent".encode())
    digest.update(json.dumps([stack, preview, dict(config_overrides or {}), extra], sort_keys=True,
                             default=str).encode())
    return digest.hexdigest()


def capture_stack_cached(stack: str, project_dir: Path | None = None, *, preview: bool = False,
                         config_overrides: Mapping[str, Any] | None = None, **options: Any
                         ) -> tuple[ResourceGraph, bool]:
    """``capture_stack`` through an on-disk cache in ``<project>/.accunode/cache``; returns (graph, hit).

    A program that fails is never cached (its error is raised as usual).
    """
    project_dir = find_project_dir(project_dir)
    key = capture_key(stack, project_dir, preview=preview, config_overrides=config_overrides,
                      extra={k: v for k, v in options.items() if k != "files"})
    path = project_dir / CACHE_DIR / f"{key}.json"
    if path.is_file():
        try:
            return ResourceGraph.from_json(path.read_text()), True
        except (ValueError, TypeError, KeyError):
            path.unlink(missing_ok=True)  # unreadable entry: capture again
    graph = capture_stack(stack, project_dir, preview=preview, config_overrides=config_overrides, **options)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(graph.to_json())
    temporary.replace(path)
    return graph, False
