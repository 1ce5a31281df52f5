"""The offline preview side by side with checkov on the same stack, in one run: figures, not a test.

1. ``accunode preview --stack prod --no-cache``: a cold one-shot preview in a fresh process (imports,
   the program, both packs booted, analysis, cost, report).
2. ``accunode preview --stack prod --stack dev --stack staging --no-cache`` in one process, against
   three separate cold previews.
3. A ``--watch`` re-preview after a small edit of the program (an export added), packs and SDK loaded,
   on a copy of the program (the repository is not touched).
4. The yardstick: ``checkov -f plan.json --framework terraform_plan`` in a fresh process, on the
   Terraform-plan translation of the same prod stack that benchmarks/checkov_plan.py makes (the one
   the security pack's checkov comparison uses). checkov scans a ready plan; the preview also runs
   the program. checkov is not a dependency of the project: put it in a venv of its own
   (``python3 -m venv /tmp/checkov && /tmp/checkov/bin/pip install checkov``) and pass
   ``--checkov /tmp/checkov/bin/checkov``, or have it on PATH; without it that part is skipped.

Run: ``venv/bin/python benchmarks/bench_versus_checkov.py [--runs 5] [--checkov PATH]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STACKS = ("prod", "dev", "staging")


def _run(command: list[str], ok: tuple[int, ...] = (0, 1)) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return elapsed


def preview_times(runs: int, stacks: tuple[str, ...]) -> list[float]:
    flags = [f for s in stacks for f in ("--stack", s)]
    return [_run([sys.executable, "-m", "accunode.cli", "preview", *flags, "--no-cache"]) for _ in range(runs)]


def watch_times(edits: int) -> tuple[float, list[float]]:
    """The first preview and each re-preview after an edit, in one watch session on a copy of the program."""
    from accunode.engine.preview import PreviewOptions, PreviewSession
    from accunode.engine.watch import Round, watch

    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "accunode"
        copy.mkdir()
        for name in ("__main__.py", "Pulumi.yaml", "Pulumi.prod.yaml"):
            shutil.copy(ROOT / name, copy / name)
        shutil.copytree(ROOT / "components", copy / "components", ignore=shutil.ignore_patterns("__pycache__"))
        packs = [str(ROOT / "policies" / p) for p in ("security", "cost")]
        rounds: list[Round] = []

        def on_round(round_: Round) -> None:
            rounds.append(round_)
            with open(copy / "__main__.py", "a", encoding="utf-8") as program:
                program.write(f"\npulumi.export('benchEdit{round_.number}', {round_.number})\n")

        with PreviewSession(["prod"], PreviewOptions(project_dir=copy, policy_packs=packs)) as session:
            watch(session, on_round, max_rounds=edits + 1, poll=0.02, idle_timeout=30)
        for round_ in rounds:
            if round_.reports[0].exit_code not in (0, 1):
                raise SystemExit(f"watch round {round_.number} failed: {round_.reports[0].error}")
        return rounds[0].seconds, [r.seconds for r in rounds[1:]]


def checkov_times(checkov: str, runs: int) -> tuple[list[float], int]:
    import json

    from benchmarks.checkov_plan import plan

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "plan.json"
        data = plan("prod")
        path.write_text(json.dumps(data))
        command = [checkov, "-f", str(path), "--framework", "terraform_plan", "--quiet", "--compact",
                   "--skip-download", "-o", "json"]
        _run(command, ok=(0, 1))  # checkov's first run in a venv compiles its bytecode: not timed
        return [_run(command, ok=(0, 1)) for _ in range(runs)], len(data["planned_values"]["root_module"]["resources"])


def _median(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, {len(times)} runs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkov", default=shutil.which("checkov"), help="the checkov executable")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    cold = preview_times(args.runs, ("prod",))
    print(f"1. accunode preview --stack prod, cold one-shot: {_median(cold)}")
    three = preview_times(args.runs, STACKS)
    separate = [sum(statistics.median(preview_times(max(1, args.runs // 2), (s,))) for s in STACKS)]
    print(f"2. three stacks in one call: {_median(three)}; three separate calls: {separate[0]:.2f} s "
          f"(one call takes x{statistics.median(three) / separate[0]:.2f} of three)")
    first, again = watch_times(args.runs)
    print(f"3. --watch: first preview {first:.2f} s in the session; re-preview after a small edit: {_median(again)} "
          f"(plus up to 0.2 s until the poll sees the change)")
    if not args.checkov:
        print("4. checkov: not installed (see the module docstring); skipped, no ratio")
        return
    checkov, count = checkov_times(args.checkov, args.runs)
    print(f"4. checkov on the Terraform-plan translation of prod ({count} resources): {_median(checkov)}")
    ratio = statistics.median(cold) / statistics.median(checkov)
    print(f"ratio, cold one-shot preview / checkov: {ratio:.2f}; "
          f"watch re-preview / checkov: {statistics.median(again) / statistics.median(checkov):.2f}")


if __name__ == "__main__":
    main()
