"""What AWS sells that this platform can use: instance classes, node types and Fargate task sizes.

Settings validate against this catalogue, alarm thresholds derive from it (RDS ``max_connections``
depends on instance memory) and the cost model proposes Graviton equivalents from it. Prices are
not here: they live in the price book (``accunode/costs/prices``), which must cover every entry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceClass:
    name: str
    vcpu: int
    memory_gib: float
    arm64: bool
    graviton_equivalent: str | None = None


def _classes(*rows: InstanceClass) -> dict[str, InstanceClass]:
    return {row.name: row for row in rows}


RDS_CLASSES: dict[str, InstanceClass] = _classes(
    InstanceClass("db.t3.micro", 2, 1, False, "db.t4g.micro"),
    InstanceClass("db.t3.small", 2, 2, False, "db.t4g.small"),
    InstanceClass("db.t3.medium", 2, 4, False, "db.t4g.medium"),
    InstanceClass("db.t3.large", 2, 8, False, "db.t4g.large"),
    InstanceClass("db.t3.xlarge", 4, 16, False, "db.t4g.xlarge"),
    InstanceClass("db.t3.2xlarge", 8, 32, False, "db.t4g.2xlarge"),
    InstanceClass("db.t4g.micro", 2, 1, True),
    InstanceClass("db.t4g.small", 2, 2, True),
    InstanceClass("db.t4g.medium", 2, 4, True),
    InstanceClass("db.t4g.large", 2, 8, True),
    InstanceClass("db.t4g.xlarge", 4, 16, True),
    InstanceClass("db.t4g.2xlarge", 8, 32, True),
    InstanceClass("db.m6g.large", 2, 8, True),
    InstanceClass("db.m7g.large", 2, 8, True),
    InstanceClass("db.r6g.large", 2, 16, True),
)

CACHE_NODE_TYPES: dict[str, InstanceClass] = _classes(
    InstanceClass("cache.t3.micro", 2, 0.5, False, "cache.t4g.micro"),
    InstanceClass("cache.t3.small", 2, 1.37, False, "cache.t4g.small"),
    InstanceClass("cache.t3.medium", 2, 3.09, False, "cache.t4g.medium"),
    InstanceClass("cache.t4g.micro", 2, 0.5, True),
    InstanceClass("cache.t4g.small", 2, 1.37, True),
    InstanceClass("cache.t4g.medium", 2, 3.09, True),
    InstanceClass("cache.m6g.large", 2, 6.38, True),
    InstanceClass("cache.r6g.large", 2, 13.07, True),
    InstanceClass("cache.r7g.large", 2, 13.07, True),
)

# CPU units -> allowed memory in MiB (AWS ECS developer guide, "Task size" table for Fargate Linux).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}


def fargate_size_is_valid(cpu: int, memory: int) -> bool:
    return memory in FARGATE_SIZES.get(cpu, ())


def describe_fargate_sizes() -> str:
    """A one-line summary of the allowed CPU/memory pairs, for error messages."""
    parts = []
    for cpu, memories in FARGATE_SIZES.items():
        parts.append(f"cpu {cpu}: memory {memories[0]}-{memories[-1]} (step {_step(memories)})"
                     if len(memories) > 3 else f"cpu {cpu}: memory {', '.join(map(str, memories))}")
    return "; ".join(parts)


def _step(values: tuple[int, ...]) -> int:
    return values[1] - values[0]


def rds_max_connections(instance_class: str) -> int:
    """PostgreSQL's default ``max_connections`` on RDS: LEAST(DBInstanceClassMemory / 9531392, 5000).

    DBInstanceClassMemory is the class memory less what RDS reserves for the OS; we use the nominal
    memory, which slightly overestimates the limit (an alarm at 80% of it fires a little late, never
    early). A parameter group that sets ``max_connections`` explicitly should override this.
    """
    memory_bytes = RDS_CLASSES[instance_class].memory_gib * 1024**3
    return min(int(memory_bytes // 9531392), 5000)


def cache_memory_bytes(node_type: str) -> int:
    return int(CACHE_NODE_TYPES[node_type].memory_gib * 1024**3)
