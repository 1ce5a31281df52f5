"""`--watch` (a change triggers a re-preview, the packs keep running) and several stacks in one call."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accunode.engine.preview import PreviewOptions, PreviewSession
from accunode.engine.report import verdict
from accunode.engine.watch import Round, watch
from tests.engine.conftest import TEST_PACK, TINY_PROJECT, run_preview

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the tiny program with a second stack whose flag breaks a mandatory policy."""
    copy = tmp_path / "project"
    shutil.copytree(TINY_PROJECT, copy, ignore=shutil.ignore_patterns("__pycache__", ".accunode"))
    (copy / "Pulumi.bad.yaml").write_text("config:\n  aws:region: us-east-1\n  tinyproj:flag: bad\n")
    return copy


def _session(project: Path, *stacks: str) -> PreviewSession:
    return PreviewSession(list(stacks), PreviewOptions(project_dir=project, policy_packs=[str(TEST_PACK)]))


def test_a_source_change_previews_again_with_the_same_pack_processes(project: Path) -> None:
    rounds: list[Round] = []
    pids: list[dict[str, list[int]]] = []
    program = project / "__main__.py"

    def on_round(round_: Round) -> None:
        rounds.append(round_)
        pids.append(session.pack_processes())
        if round_.number == 1:  # the edit a developer makes: one more resource, flagged
            program.write_text(program.read_text() + '\npulumi.CustomResource("tiny:index:Thing", "new", '
                               '{"flag": "bad"})\n')

    with _session(project, "test") as session:
        assert watch(session, on_round, max_rounds=2, poll=0.02, idle_timeout=30) == 2
        reused = session.stacks[0].packs.reused
    first, second = rounds
    assert first.reports[0].exit_code == 0 and verdict(first.reports[0]).startswith("Preview passed: 5 resources")
    assert second.changed == [program]
    assert second.reports[0].exit_code == 1
    assert verdict(second.reports[0]).startswith("Preview failed: 1 mandatory policy violation (flagged-resource); "
                                                 "6 resources")
    assert pids[0] == pids[1] and pids[0]["test"]  # the packs were not restarted
    assert second.restarted == []
    assert reused >= 5  # unchanged resources were answered without sending them again


def test_a_stack_file_change_restarts_only_that_stacks_packs(project: Path) -> None:
    rounds: list[Round] = []
    pids: list[dict[str, list[int]]] = []

    def on_round(round_: Round) -> None:
        rounds.append(round_)
        pids.append(session.pack_processes())
        if round_.number == 1:
            stack_file = project / "Pulumi.test.yaml"
            stack_file.write_text(stack_file.read_text().replace("tinyproj:flag: ok", "tinyproj:flag: bad"))

    with _session(project, "test", "bad") as session:
        watch(session, on_round, max_rounds=2, poll=0.02, idle_timeout=30)
    assert rounds[1].restarted == ["test"]
    assert pids[0]["bad"] == pids[1]["bad"] and pids[0]["test"] != pids[1]["test"]
    assert [r.exit_code for r in rounds[1].reports] == [1, 1]  # the new config reached program and packs


def test_watch_stops_when_idle_and_never_hangs(project: Path) -> None:
    with _session(project, "test") as session:
        assert watch(session, lambda _round: None, poll=0.02, idle_timeout=0.1) == 1


def test_cli_watch_prints_the_verdict_each_round(project: Path) -> None:
    run = run_preview("--stack", "test", "--project-dir", str(project), "--policy-pack", str(TEST_PACK), "--watch",
                      "--watch-rounds", "1")
    assert run.code == 0
    assert "Preview passed: 5 resources to create" in run.out and "watching project/ for changes" in run.out
    refused = run_preview("--stack", "test", "--project-dir", str(project), "--watch", "--json", "x.json")
    assert refused.code == 2 and "--watch prints to the console" in refused.err


def test_several_stacks_one_verdict_line_each_and_the_worst_exit_code(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.json"
    run = run_preview("--stack", "test", "--stack", "bad", "--project-dir", str(project), "--policy-pack",
                      str(TEST_PACK), "--json", str(out))
    assert run.code == 1
    verdicts = [line for line in run.out.splitlines() if line.startswith(("test: ", "bad: "))]
    assert verdicts[0].startswith("test: Preview passed")
    assert verdicts[1].startswith("bad: Preview failed: 1 mandatory policy violation (flagged-resource)")
    import json

    document = json.loads(out.read_text())
    assert [d["stack"] for d in document["stacks"]] == ["test", "bad"]
    assert [d["verdict"]["exitCode"] for d in document["stacks"]] == [0, 1]


def test_an_unknown_stack_among_several_is_a_usage_error_and_the_others_still_run(project: Path) -> None:
    run = run_preview("--stack", "test", "--stack", "nope", "--project-dir", str(project), "--policy-pack",
                      str(TEST_PACK))
    assert run.code == 2  # the worst
    assert "test: Preview passed" in run.out
    assert "error: nope: no stack file Pulumi.nope.yaml" in run.err


def test_several_stacks_share_the_sdk_and_boot_packs_per_stack(project: Path) -> None:
    with _session(project, "test", "bad") as session:
        reports = session.preview_all()
        pids = session.pack_processes()
    assert set(pids) == {"test", "bad"} and pids["test"] != pids["bad"]  # ConfigureStack carries the stack
    assert [r.stack for r in reports] == ["test", "bad"]
    assert [r.analysis.packs[0].key for r in reports] == ["accunode-test-pack@v1.2.3"] * 2


def test_an_edited_module_the_program_imports_is_run_as_edited(project: Path) -> None:
    (project / "tinyhelper.py").write_text('FLAG = "ok"\n')
    program = project / "__main__.py"
    program.write_text(program.read_text() + '\nimport tinyhelper\npulumi.CustomResource("tiny:index:Thing", '
                       '"helped", {"flag": tinyhelper.FLAG})\n')
    verdicts: list[str] = []

    def on_round(round_: Round) -> None:
        verdicts.append(verdict(round_.reports[0]))
        if round_.number == 1:
            (project / "tinyhelper.py").write_text('FLAG = "bad"  # edited\n')

    with _session(project, "test") as session:
        watch(session, on_round, max_rounds=2, poll=0.02, idle_timeout=30)
    assert verdicts[0].startswith("Preview passed")
    assert verdicts[1].startswith("Preview failed: 1 mandatory policy violation (flagged-resource)")


def test_forgetting_the_programs_modules_keeps_the_engines(tmp_path: Path) -> None:
    import sys

    from accunode.engine.capture import forget_modules

    (tmp_path / "tinyprogmod.py").write_text("X = 1\n")
    sys.path.insert(0, str(tmp_path))
    saved = dict(sys.modules)
    try:
        import tinyprogmod  # noqa: F401

        engine_root = Path(__file__).resolve().parents[2]
        gone = forget_modules(tmp_path) + forget_modules(engine_root)
        assert "tinyprogmod" in gone and "tinyprogmod" not in sys.modules
        assert "accunode.engine.capture" in sys.modules and "accunode.engine.capture" not in gone
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.update(saved)
        sys.modules.pop("tinyprogmod", None)
