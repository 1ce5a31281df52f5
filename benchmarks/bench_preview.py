"""How long the offline preview takes: figures, not a test.

1. ``accunode preview --stack prod`` end to end (a fresh process each run: imports, program, pack
   processes, analysis, report), median of several runs: cold (``--no-cache``: the program runs
   every time) and warm (the captured graph of the unchanged stack comes from .accunode/cache).
   Peak memory (max RSS) of the preview process is printed too.
2. The analyze+report part on prod and on a synthetic stack with N times the services (the
   subtrees of the service components replicated with renamed URNs), with the packs already
   booted; per-resource times show whether time grows faster than the resource count.

Run: ``venv/bin/python benchmarks/bench_preview.py [--runs 5] [--scale 20]``. Target (issue 7): prod
under 1.5 s on 2 cores, time growing no faster than the resource count.
"""

from __future__ import annotations

import argparse
import copy
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from accunode.engine.graph import Resource, ResourceGraph  # noqa: E402


def time_cli(runs: int, *flags: str) -> tuple[list[float], float]:
    """Wall times of ``runs`` fresh preview processes, and their largest max RSS in MiB."""
    import resource

    times, peak = [], 0.0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "accunode.cli", "preview", "--stack", "prod", *flags], cwd=ROOT,
                              capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        if done.returncode not in (0, 1):
            raise SystemExit(f"accunode preview failed with exit {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return times, peak


def service_roots(graph: ResourceGraph) -> list[Resource]:
    """The service components (type ending in Service); else every top-level component."""
    components = [r for r in graph.resources if not r.custom and r.type != "pulumi:pulumi:Stack"]
    services = [r for r in components if r.type.rsplit(":", 1)[-1].endswith("Service")]
    if services:
        return services
    stack = next(r.urn for r in graph.resources if r.type == "pulumi:pulumi:Stack")
    return [r for r in components if r.parent == stack]


def replicate_services(graph: ResourceGraph, times: int) -> ResourceGraph:
    """``graph`` plus ``times - 1`` renamed copies of every service subtree (URNs, parents, dependencies)."""
    synthetic = copy.deepcopy(graph)
    subtree = [r for root in service_roots(graph) for r in [root, *graph.descendants(root.urn)]]
    for copy_index in range(1, times):
        renamed = {r.urn: f"{r.urn.rsplit('::', 1)[0]}::{r.name}-x{copy_index}" for r in subtree}

        def remap(urn: str, renamed: dict[str, str] = renamed) -> str:
            return renamed.get(urn, urn)

        for original in subtree:
            clone = copy.deepcopy(original)
            clone.urn, clone.name = renamed[original.urn], f"{original.name}-x{copy_index}"
            clone.parent = remap(original.parent)
            clone.dependencies = [remap(u) for u in original.dependencies]
            clone.property_dependencies = {k: [remap(u) for u in v] for k, v in original.property_dependencies.items()}
            if clone.id:
                clone.id = f"{clone.id}-x{copy_index}"
            synthetic.resources.append(clone)
    return synthetic


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of this process and the given pack processes, from /proc (Linux)."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def time_analysis(graphs: dict[str, ResourceGraph], runs: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    from rich.console import Console

    from accunode.engine import capture
    from accunode.engine.analyzer import PolicyPacks, StackContext, stack_tags
    from accunode.engine.report import PreviewReport, render

    packs_dirs = [ROOT / "policies" / p for p in ("security", "cost") if (ROOT / "policies" / p).is_dir()]
    config, _ = capture.load_stack_config(ROOT, "prod")
    context = StackContext(project=capture.project_name(ROOT), stack="prod", config=config,
                           tags=stack_tags(ROOT, config))
    wall: dict[str, list[float]] = {name: [] for name in graphs}
    cpu: dict[str, list[float]] = {name: [] for name in graphs}
    with PolicyPacks.start(packs_dirs, [], context) as packs:
        packs.wait_ready()
        pids = [pack.host.process.pid for pack in packs._packs if pack.host.process is not None]
        for _ in range(runs):
            for name, graph in graphs.items():
                start, start_cpu = time.perf_counter(), _cpu_seconds(pids)
                report = PreviewReport(project_dir=ROOT, stack="prod", graph=graph, analysis=packs.analyze(graph))
                render(report, Console(file=io.StringIO(), width=160))
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(_cpu_seconds(pids) - start_cpu)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=20)
    args = parser.parse_args()

    from accunode.engine.capture import capture_stack

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for label, flags in (("cold, --no-cache", ("--no-cache",)), ("warm, cached graph", ())):
        cli, peak = time_cli(args.runs, *flags)
        print(f"accunode preview --stack prod ({label}): median {statistics.median(cli):.2f} s "
              f"(min {min(cli):.2f}, max {max(cli):.2f}, {args.runs} runs), peak RSS {peak:.0f} MiB")

    prod = capture_stack("prod", ROOT)
    roots = service_roots(prod)
    half = max(2, args.scale // 2)
    graphs = {"prod": prod, f"prod x{half} services": replicate_services(prod, half),
              f"prod x{args.scale} services": replicate_services(prod, args.scale)}
    print(f"replicated subtrees: {', '.join(r.name for r in roots)}")
    wall, cpu = time_analysis(graphs, args.runs)
    medians = {name: statistics.median(times) for name, times in wall.items()}
    cpu_medians = {name: statistics.median(times) for name, times in cpu.items()}
    for name, graph in graphs.items():
        print(f"analyze+report {name}: {len(graph)} resources, median {medians[name]:.2f} s wall "
              f"({1000 * medians[name] / len(graph):.1f} ms/resource), {cpu_medians[name]:.2f} s CPU "
              f"in this process and the packs ({1000 * cpu_medians[name] / len(graph):.1f} ms/resource)")
    # The replicated services are heavier than prod's average resource (task definitions), so growth is
    # judged between the two synthetic stacks, which differ only by more copies of the same services.
    # CPU time is the steadier measure on a shared machine.
    (small, small_graph), (large, large_graph) = list(graphs.items())[1:]
    print(f"x{half} -> x{args.scale}: resources x{len(large_graph) / len(small_graph):.2f}, "
          f"wall time x{medians[large] / medians[small]:.2f}, CPU time x{cpu_medians[large] / cpu_medians[small]:.2f}")


if __name__ == "__main__":
    main()
