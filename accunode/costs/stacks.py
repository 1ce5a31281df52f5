"""From a stack (or a tier) to an estimate: capture the program, read its settings, price it.

The cheaper variants are real configurations: each is captured again with a few config keys
changed, so settings validation and the components' own checks apply to it like to any stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accunode import catalog
from accunode.costs import Estimate, estimate_for, items_from_graph
from accunode.engine.capture import capture_stack, find_project_dir, stack_names
from accunode.engine.graph import ResourceGraph
from accunode.settings import NAMESPACE, TIERS, StackSettings, settings_from_config

REFERENCE_STACK = "prod"  # tiers are priced as the prod stack at that tier


def settings_of(graph: ResourceGraph) -> StackSettings:
    return settings_from_config(graph.stack, graph.config)


def estimate_graph(graph: ResourceGraph) -> Estimate:
    return estimate_for(items_from_graph(graph), settings_of(graph))


@dataclass(frozen=True)
class Target:
    """A stack, or a tier priced as the reference stack at that tier."""

    stack: str
    overrides: dict[str, Any]
    label: str

    @classmethod
    def parse(cls, name: str, project_dir: Path | None = None) -> Target:
        stacks = stack_names(find_project_dir(project_dir))
        if name in stacks:
            return cls(name, {}, name)
        tier = name.removeprefix("tier:")
        if tier in TIERS:
            return cls(REFERENCE_STACK, {f"{NAMESPACE}:tier": tier}, f"tier {tier}")
        raise ValueError(f"{name!r} is neither a stack ({', '.join(stacks)}) nor a tier ({', '.join(TIERS)})")


def capture_target(target: Target, project_dir: Path | None = None) -> ResourceGraph:
    return capture_stack(target.stack, project_dir, config_overrides=target.overrides)


def estimate_target(target: Target, project_dir: Path | None = None) -> Estimate:
    estimate = estimate_graph(capture_target(target, project_dir))
    estimate.stack = target.label
    return estimate


def _section(graph: ResourceGraph, key: str) -> dict[str, Any]:
    raw = graph.config.get(f"{NAMESPACE}:{key}")
    return json.loads(raw) if isinstance(raw, str) and raw.startswith("{") else {}


def cheaper_variants(graph: ResourceGraph, project_dir: Path | None = None,
                     base_overrides: dict[str, Any] | None = None) -> list[tuple[str, Estimate]]:
    """The same capacity for less: ARM64 Fargate, Graviton classes, Spot and scale-to-zero workers."""
    settings = settings_of(graph)
    worker = _section(graph, "worker")
    graviton_db = catalog.RDS_CLASSES[settings.database.instance_class].graviton_equivalent
    graviton_cache = catalog.CACHE_NODE_TYPES[settings.cache.node_type].graviton_equivalent
    graviton: dict[str, Any] = {}
    if graviton_db:
        graviton[f"{NAMESPACE}:database"] = {**_section(graph, "database"), "instanceClass": graviton_db}
    if graviton_cache:
        graviton[f"{NAMESPACE}:cache"] = {**_section(graph, "cache"), "nodeType": graviton_cache}
    arm = {f"{NAMESPACE}:cpuArchitecture": "arm64", f"{NAMESPACE}:worker": {**worker, "spot": False}}
    spot = {f"{NAMESPACE}:cpuArchitecture": "x86_64", f"{NAMESPACE}:worker": {**worker, "spot": True}}
    zero = {"minCount": 0, "desiredCount": 0}
    variants: list[tuple[str, dict[str, Any]]] = []
    if settings.cpu_architecture != "arm64":
        variants.append(("ARM64 (Graviton) Fargate tasks", arm))
    if graviton:
        variants.append((f"Graviton database and cache ({graviton_db or '-'}, {graviton_cache or '-'})", graviton))
    if not settings.worker.spot:
        variants.append(("Fargate Spot for the worker (x86_64 only)", spot))
    if not settings.is_prod and settings.worker.min_count > 0:
        variants.append(("Worker scales to zero when the queue is empty",
                         {f"{NAMESPACE}:worker": {**worker, **zero}}))
    combined_zero = zero if not settings.is_prod else {}
    combos = [
        ("All of the above with ARM64", {**graviton, **arm,
                                         f"{NAMESPACE}:worker": {**worker, "spot": False, **combined_zero}}),
        ("All of the above with Spot", {**graviton, **spot,
                                        f"{NAMESPACE}:worker": {**worker, "spot": True, **combined_zero}}),
    ]
    results = []
    for label, overrides in variants + combos:
        variant = capture_stack(graph.stack, project_dir, config_overrides={**(base_overrides or {}), **overrides})
        results.append((label, estimate_graph(variant)))
    best_combo = min(results[-2:], key=lambda item: item[1].total)
    return [*results[:-2], ("Cheapest combination: " + best_combo[0].removeprefix("All of the above with "),
                            best_combo[1])]
