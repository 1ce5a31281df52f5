"""The ``accunode`` command in-process on a scratch copy of the project, with a stack file of the test's."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from accunode.command import ExitCode

REPO = Path(__file__).resolve().parents[2]
# A valid prod stack (the repository's), as stack-file lines.
PROD_STACK = (REPO / "Pulumi.prod.yaml").read_text()


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def accunode(*argv: str) -> Run:
    """``accunode <argv>`` as the console script runs it (argparse exits become the exit code)."""
    from accunode.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


def assert_refused(run: Run, *needles: str, code: ExitCode = ExitCode.USAGE) -> None:
    """Refused with the table's code, no traceback, and a message naming what was wrong."""
    assert run.code == code, run.text
    assert "Traceback" not in run.text, run.text
    for needle in needles:
        assert needle in run.err, run.err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project (program and components linked, no policy packs) as the working directory."""
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "components").symlink_to(REPO / "components")
    (tmp_path / "Pulumi.prod.yaml").write_text(PROD_STACK)
    monkeypatch.chdir(tmp_path)
    return tmp_path
