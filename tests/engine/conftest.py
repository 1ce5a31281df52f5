"""Helpers for the offline-preview tests: run ``accunode preview`` in-process and capture its output."""

from __future__ import annotations

import argparse
import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TINY_PROJECT = HERE / "project"
TEST_PACK = HERE / "packs" / "testpack"


@dataclass
class PreviewRun:
    code: int
    out: str
    err: str


def run_preview(*argv: str) -> PreviewRun:
    """``accunode preview <argv>`` through the subcommand's own parser and handler."""
    from accunode.engine.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["preview", *argv])
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = args.handler(args)
    return PreviewRun(code, out.getvalue(), err.getvalue())


def run_tiny(*argv: str) -> PreviewRun:
    """A preview of the tiny test program (tests/engine/project) with the test pack."""
    return run_preview("--stack", "test", "--project-dir", str(TINY_PROJECT), "--policy-pack", str(TEST_PACK), *argv)
