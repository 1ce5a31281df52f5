"""Sizes allowed per environment: database and cache classes, Multi-AZ and replicas, Fargate task sizes.

The defaults follow the tier presets (accunode/settings.py): dev runs the minimal tier, staging the
moderate one, and only prod may be Multi-AZ or larger. Each limit is policy config per environment.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from accunode import catalog

from ._frame import MEDIUM, Context, Res, Rule, is_unknown, number, text

RDS = "aws:rds/instance:Instance"
REDIS = "aws:elasticache/replicationGroup:ReplicationGroup"
TASK = "aws:ecs/taskDefinition:TaskDefinition"

# None: no limit. Memory is the class's nominal memory (catalog), the figure that drives its price.
DATABASE_MAX_MEMORY_GIB: dict[str, float | None] = {"dev": 4, "staging": 16, "prod": None}
CACHE_MAX_MEMORY_GIB: dict[str, float | None] = {"dev": 3.09, "staging": 6.38, "prod": None}
FARGATE_MAX: dict[str, dict[str, float] | None] = {
    "dev": {"cpu": 1024, "memory": 4096}, "staging": {"cpu": 2048, "memory": 8192}, "prod": None}
REDUNDANT_ENVIRONMENTS = ("staging", "prod")  # where Multi-AZ databases and cache replicas are allowed


def _per_environment_schema(description: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "description": description,
            "properties": {env: {**value, "type": [value["type"], "null"]} for env in ("dev", "staging", "prod")},
            "additionalProperties": False}


REDUNDANT_SCHEMA = {"type": "array", "items": {"type": "string", "enum": ["dev", "staging", "prod"]},
                    "description": "Environments where Multi-AZ databases and cache replicas are allowed."}


def _redundancy_allowed(ctx: Context) -> bool:
    allowed = ctx.config.get("redundantEnvironments")
    allowed = allowed if isinstance(allowed, list) else REDUNDANT_ENVIRONMENTS
    return ctx.environment in allowed


def _class_checks(res: Res, ctx: Context, key: str, classes: Mapping[str, catalog.InstanceClass],
                  limit: float | None, setting: str) -> Iterator[str]:
    value = res.get(key)
    if is_unknown(value):
        ctx.unknown(key)
        return
    name = text(value)
    if name is None:
        return
    known = classes.get(name)
    if known is None:
        yield (f"{name} is not in the catalogue of classes this platform supports ({', '.join(classes)}); "
               f"set {setting} to one of them.")
    elif limit is not None and known.memory_gib > limit:
        allowed = ", ".join(c.name for c in classes.values() if c.memory_gib <= limit)
        yield (f"{name} ({known.memory_gib:g} GiB) is larger than {ctx.environment} allows ({limit:g} GiB); "
               f"set {setting} to one of {allowed}.")


def database_size(res: Res, ctx: Context) -> Iterator[str]:
    limit = number(ctx.per_environment("maxMemoryGib", DATABASE_MAX_MEMORY_GIB))
    yield from _class_checks(res, ctx, "instanceClass", catalog.RDS_CLASSES, limit, "accunode:database.instanceClass")
    multi_az = res.get("multiAz")
    if is_unknown(multi_az):
        ctx.unknown("multiAz")
    elif multi_az is True and not _redundancy_allowed(ctx):
        yield (f"A Multi-AZ database in {ctx.environment} doubles the instance and storage price for no user-facing "
               "benefit; set accunode:database.multiAz to false.")


def cache_size(res: Res, ctx: Context) -> Iterator[str]:
    limit = number(ctx.per_environment("maxMemoryGib", CACHE_MAX_MEMORY_GIB))
    yield from _class_checks(res, ctx, "nodeType", catalog.CACHE_NODE_TYPES, limit, "accunode:cache.nodeType")
    nodes = res.get("numCacheClusters")
    if is_unknown(nodes):
        ctx.unknown("numCacheClusters")
    elif (count := number(nodes)) is not None and count > 1 and not _redundancy_allowed(ctx):
        yield (f"{count:g} cache nodes in {ctx.environment} pay for replicas it does not need; "
               "set accunode:cache.numNodes to 1.")


def fargate_size(res: Res, ctx: Context) -> Iterator[str]:
    raw_cpu, raw_memory = res.get("cpu"), res.get("memory")
    for key, value in (("cpu", raw_cpu), ("memory", raw_memory)):
        if is_unknown(value):
            ctx.unknown(key)
    cpu, memory = number(raw_cpu), number(raw_memory)
    if cpu is None or memory is None:
        return
    if not catalog.fargate_size_is_valid(int(cpu), int(memory)):
        yield (f"{cpu:g} CPU units with {memory:g} MiB is not a Fargate task size; pick one of "
               f"{catalog.describe_fargate_sizes()}.")
        return
    limits = ctx.per_environment("maxSize", FARGATE_MAX)
    if not isinstance(limits, Mapping):
        return
    max_cpu, max_memory = number(limits.get("cpu")), number(limits.get("memory"))
    if (max_cpu is not None and cpu > max_cpu) or (max_memory is not None and memory > max_memory):
        allowed = f"{'any' if max_cpu is None else f'{max_cpu:g}'} CPU units, " \
                  f"{'any' if max_memory is None else f'{max_memory:g}'} MiB"
        yield (f"A task of {cpu:g} CPU units and {memory:g} MiB is larger than {ctx.environment} allows "
               f"({allowed}); lower the service's cpu and memory (accunode:api / accunode:worker).")


RULES = [
    Rule("database-size-allowed", "sizing",
         "Database instance classes are in the catalogue and within the environment's size; Multi-AZ only where "
         "allowed (not dev).", MEDIUM, database_size, types=(RDS,),
         settings={"maxMemoryGib": _per_environment_schema("Largest class memory (GiB) per environment; null: any.",
                                                           {"type": "number"}),
                   "redundantEnvironments": REDUNDANT_SCHEMA}),
    Rule("cache-size-allowed", "sizing",
         "Cache node types are in the catalogue and within the environment's size; replicas only where allowed "
         "(not dev).", MEDIUM, cache_size, types=(REDIS,),
         settings={"maxMemoryGib": _per_environment_schema("Largest node memory (GiB) per environment; null: any.",
                                                           {"type": "number"}),
                   "redundantEnvironments": REDUNDANT_SCHEMA}),
    Rule("fargate-size-allowed", "sizing",
         "Fargate task sizes are valid and within the environment's largest allowed size.", MEDIUM, fargate_size,
         types=(TASK,),
         settings={"maxSize": _per_environment_schema(
             "Largest task per environment (cpu in CPU units, memory in MiB); null: any.",
             {"type": "object", "properties": {"cpu": {"type": "number"}, "memory": {"type": "number"}}})}),
]
