"""What the docs promise is there: every runnable ``accunode`` command in README.md,
docs/offline-preview.md and ``--help`` runs as written, and the README's figures are the code's."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
from pathlib import Path

import pytest

from accunode.command import ExitCode
from tests.cli.conftest import REPO, accunode

DOCS = ("README.md", "docs/offline-preview.md")
pytestmark = pytest.mark.slow


def documented_commands() -> list[str]:
    """``accunode …`` lines of the docs' bash blocks and of every command's --help examples."""
    commands: list[str] = []
    for doc in DOCS:
        for block in re.findall(r"```bash\n(.*?)```", (REPO / doc).read_text(), re.DOTALL):
            for line in block.splitlines():
                line = line.split(" #", 1)[0].strip()
                for part in line.split("&&"):
                    part = part.strip().removeprefix("venv/bin/")
                    if part.startswith("accunode "):
                        commands.append(part)
    for parser in _subparsers().values():
        commands += [line.strip() for line in (parser.epilog or "").splitlines()
                     if line.strip().startswith("accunode ")]
    # Not runnable offline: the input is the user's AWS bill (Cost Explorer export).
    return [c for c in dict.fromkeys(commands) if "--against" not in c]


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    from accunode.cli import build_parser

    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_docs_have_runnable_commands() -> None:
    commands = documented_commands()
    assert any(c.startswith("accunode preview --stack prod") for c in commands), commands
    assert any("--policy-pack-config docs/examples/strict-security.json" in c for c in commands), commands


def test_the_docs_point_only_inside_the_repository() -> None:
    for doc in DOCS:
        text = (REPO / doc).read_text()
        assert "shared/" not in text, f"{doc} points outside the repository"
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not target.startswith("http"):
                assert (REPO / Path(doc).parent / target).exists(), f"{doc} links to missing {target}"
        for path in re.findall(r"(docs/examples/[\w./-]+)", text):
            assert (REPO / path).is_file(), f"{doc} names missing {path}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("Pulumi.yaml", "__main__.py", *(p.name for p in REPO.glob("Pulumi.*.yaml"))):
        shutil.copy(REPO / name, tmp_path / name)
    for folder in ("components", "policies", "docs"):
        (tmp_path / folder).symlink_to(REPO / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", documented_commands())
def test_every_documented_command_runs_as_written(command: str, workdir: Path) -> None:
    run = accunode(*shlex.split(command)[1:])
    assert run.code in (ExitCode.OK, ExitCode.FAILED), run.text[-2000:]
    assert "Traceback" not in run.text and "internal error" not in run.text


def test_the_readme_tier_figures_are_the_cost_models() -> None:
    from accunode.costs.stacks import Target, estimate_target

    readme = (REPO / "README.md").read_text()
    rows = re.findall(r"^\| (minimal|light|moderate|high|enterprise) \|.*\| \$([\d,.]+) \| \$[\d,.]+ \|$", readme,
                      re.MULTILINE)
    assert len(rows) == 5, rows
    for tier, figure in rows:
        ours = estimate_target(Target.parse(tier)).total
        assert f"{ours:,.2f}" == figure, f"README says ${figure} for {tier}; `accunode cost --all-tiers`: ${ours:,.2f}"
