"""Benchmark: how long pricing takes once a stack is captured (target: well under a second).

    venv/bin/python benchmarks/bench_cost.py [--runs 20]

Prints the median and worst time of the capture and of the pricing alone, per stack and for the
enterprise tier (the largest graph), the commitments view's median, and the pricing's peak Python
memory. Figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

from accunode.costs import load_price_book
from accunode.costs.commitments import commitments
from accunode.costs.stacks import estimate_graph
from accunode.engine.capture import capture_stack

ROOT = Path(__file__).resolve().parents[1]
CASES = {"prod": {}, "dev": {}, "staging": {}, "prod@enterprise": {"accunode:tier": "enterprise"}}


def timed(fn, runs: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    capture_stack("prod", ROOT)  # warm imports, as a long-running process would be
    print(f"{'case':18} {'resources':>9} {'capture median':>15} {'price median':>13} {'price max':>10} "
          f"{'commit median':>14} {'price peak mem':>15} {'monthly':>10}")
    for case, overrides in CASES.items():
        stack = case.split("@")[0]
        capture_median, _, graph = timed(lambda s=stack, o=overrides: capture_stack(s, ROOT, config_overrides=o),
                                         max(3, args.runs // 4))
        price_median, price_max, estimate = timed(lambda g=graph: estimate_graph(g), args.runs)
        book = load_price_book(estimate.region)
        commit_median, _, _ = timed(lambda e=estimate, b=book: commitments(e, b), args.runs)
        tracemalloc.start()
        estimate_graph(graph)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{case:18} {len(graph):>9} {capture_median * 1000:>12.0f} ms {price_median * 1000:>10.1f} ms "
              f"{price_max * 1000:>7.1f} ms {commit_median * 1000:>11.2f} ms {peak / 1024:>11.0f} KiB "
              f"{estimate.total:>10.2f}")


if __name__ == "__main__":
    main()
