"""The uncached preview never crashes on the SDK's first import (the pack-boot race).

The pack-boot threads and the capture both import the SDK lazily. Unguarded, the interleaving below
(threads importing ``pulumi.runtime.proto`` while the main thread imports ``pulumi``) fails with
``ImportError ... partially initialized module`` in about a third of fresh processes; through
``load_sdk`` it must never fail. Then the preview itself, uncached, several times in one process
and in fresh processes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.engine.conftest import run_preview

ROOT = Path(__file__).resolve().parents[2]

_INTERLEAVING = textwrap.dedent("""
    import threading
    from accunode.engine.sdk import load_sdk
    errors = []
    def boot():
        try:
            load_sdk()
            from google.protobuf import empty_pb2  # noqa: F401
            from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc  # noqa: F401
            import grpc  # noqa: F401
        except BaseException as error:
            errors.append(repr(error))
    threads = [threading.Thread(target=boot) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        load_sdk()
        import pulumi  # noqa: F401
        import pulumi.runtime  # noqa: F401
        from pulumi.runtime.stack import run_in_stack  # noqa: F401
    except BaseException as error:
        errors.append(repr(error))
    for thread in threads:
        thread.join()
    print(errors[0] if errors else "ok")
""")


def _fresh(code: str, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          check=False)


def test_first_sdk_import_from_three_threads_never_sees_a_partial_module():
    results = [_fresh(_INTERLEAVING) for _ in range(30)]
    failures = [r.stdout + r.stderr for r in results if r.returncode or r.stdout.strip() != "ok"]
    assert failures == []


def test_pack_boot_threads_start_after_the_sdk_is_loaded():
    code = textwrap.dedent("""
        import sys, threading
        from accunode.engine import analyzer
        seen = []
        original = threading.Thread.start
        def start(self):
            if self.name.startswith("pack-boot"):
                seen.append(all(m in sys.modules for m in ("pulumi.runtime.proto.analyzer_pb2", "grpc")))
            original(self)
        threading.Thread.start = start
        context = analyzer.StackContext(project="p", stack="s", config={}, tags={})
        packs = analyzer.PolicyPacks.start(["/nonexistent-pack"], [], context)
        packs.close()
        print(seen)
    """)
    result = _fresh(code)
    assert result.stdout.strip() == "[True]", result.stderr


@pytest.mark.slow
def test_uncached_preview_repeated_in_one_process_passes_every_time():
    codes = [run_preview("--stack", "dev", "--no-cache").code for _ in range(3)]
    assert codes == [0, 0, 0]


@pytest.mark.slow
def test_uncached_preview_in_fresh_processes_passes_every_time():
    accunode = Path(sys.executable).with_name("accunode")
    runs = [subprocess.run([str(accunode), "preview", "--stack", "dev", "--no-cache"], capture_output=True, text=True,
                           cwd=ROOT, timeout=180, check=False) for _ in range(4)]
    assert [(r.returncode, "Traceback" in r.stdout + r.stderr) for r in runs] == [(0, False)] * 4
