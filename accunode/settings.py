"""One typed, validated settings object per stack.

A stack picks an environment and a usage tier; the tier preset (sizes and counts from the
deployment review's growth table) fills every key the stack does not set. Validation runs
before any resource is registered and reports every problem at once, each naming its config
key (``accunode:<key>``) and what is allowed.

``StackSettings.from_mapping`` is pure (used by the cost CLI and tests); ``load_settings`` reads
``pulumi.Config("accunode")`` and turns errors into ``pulumi.RunError`` (no traceback).
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
import typing
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from accunode import awsrules, catalog
from accunode.costs.usage import UsageOverrides
from accunode.netplan import MAX_PREFIX, MIN_PREFIX, plan_subnets
from accunode.specs.deployment import PROGRESSIVE, STRATEGIES, DeploymentSpec, Strategy

NAMESPACE = "accunode"
PROJECT = "accunode"

Environment = Literal["dev", "staging", "prod"]
Tier = Literal["minimal", "light", "moderate", "high", "enterprise"]
TIERS: tuple[str, ...] = ("minimal", "light", "moderate", "high", "enterprise")
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
REQUIRED_IN_PROD = ("alertEmail", "githubRepository", "owner", "monthlyBudget", "imageTag")
# Keys that look like settings but are not: the stack name and region come from elsewhere.
HIDDEN_KEYS = {
    "stack": "the stack name comes from the stack itself (--stack, Pulumi.<stack>.yaml), not from config",
    "region": "the region is the AWS provider's: set aws:region instead",
}
# The API's release strategy when a stack does not set accunode:api.deployment.strategy. Blue/green
# rather than canary in prod: at the light tier's 10-50 requests a day a 10 % canary sees almost no
# requests, so its alarms cannot judge it; blue/green sends all traffic to the new revision while
# the old one keeps running for the bake, and an alarm moves traffic back within seconds.
DEFAULT_STRATEGY = {"prod": "blue-green", "other": "rolling"}
# Tags the program puts on resources itself (cost allocation and Name); a stack's tags cannot replace them.
PROGRAM_TAG_KEYS = ("project", "environment", "stack", "tier", "owner", "Name")
# Physical names are accunode-<stack>-<role>; the longest with a hard AWS limit is the load balancer's
# and target group's (accunode-<stack>-alb, accunode-<stack>-api: 32 characters).
STACK_NAME_MAX = awsrules.LOAD_BALANCER_NAME_MAX - len(f"{PROJECT}--alb")
_STACK_NAME = re.compile(rf"[a-z][a-z0-9-]{{0,{STACK_NAME_MAX - 1}}}")


def tag_problems(tags: Mapping[str, str]) -> list[str]:
    """AWS's tag rules for a stack's own tags, one line per offending tag (``<key>: <what>``)."""
    return awsrules.tag_set_problems(tags, PROGRAM_TAG_KEYS, "the program",
                                     "set by the program on every resource; use another key")

def stack_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a stack of this project (it is part of AWS resource names), or None."""
    if _STACK_NAME.fullmatch(name) and not name.endswith("-") and "--" not in name:
        return None
    shown = repr(name) if len(name) <= 40 else f"{name[:20]!r}... ({len(name)} characters)"
    return (f"stack name {shown} is not allowed; use 1-{STACK_NAME_MAX} lower-case letters, digits and single '-', "
            f"starting with a letter and not ending with '-' (it is part of AWS resource names such as "
            f"{PROJECT}-<stack>-alb, which AWS limits to {awsrules.LOAD_BALANCER_NAME_MAX} characters)")

LOG_RETENTION_DAYS = awsrules.LOG_RETENTION_DAYS  # kept importable from here for the settings' users

# The deployment review's growth table, as config-shaped presets. "minimal" is the document's
# current setup; "light" is the same setup with the document's autoscaling (API 1-10 tasks).
TIER_PRESETS: dict[str, dict[str, Any]] = {
    "minimal": {
        "api": {"cpu": 512, "memory": 1024, "minCount": 1, "desiredCount": 1, "maxCount": 2},
        "worker": {"cpu": 1024, "memory": 2048, "minCount": 1, "desiredCount": 1, "maxCount": 2},
        "database": {"instanceClass": "db.t3.small", "allocatedStorage": 20, "maxAllocatedStorage": 100,
                     "multiAz": False},
        "cache": {"nodeType": "cache.t3.micro", "numNodes": 1},
        "waf": False, "azCount": 2, "monthlyBudget": 250,
    },
    "light": {
        "api": {"cpu": 512, "memory": 1024, "minCount": 1, "desiredCount": 1, "maxCount": 10},
        "worker": {"cpu": 1024, "memory": 2048, "minCount": 1, "desiredCount": 1, "maxCount": 5},
        "database": {"instanceClass": "db.t3.small", "allocatedStorage": 20, "maxAllocatedStorage": 100,
                     "multiAz": False},
        "cache": {"nodeType": "cache.t3.micro", "numNodes": 1},
        "waf": False, "azCount": 2, "monthlyBudget": 300,
    },
    "moderate": {
        "api": {"cpu": 1024, "memory": 2048, "minCount": 1, "desiredCount": 1, "maxCount": 10},
        "worker": {"cpu": 2048, "memory": 4096, "minCount": 1, "desiredCount": 1, "maxCount": 5},
        "database": {"instanceClass": "db.t3.medium", "allocatedStorage": 50, "maxAllocatedStorage": 200,
                     "multiAz": False},
        "cache": {"nodeType": "cache.t3.small", "numNodes": 1},
        "waf": False, "azCount": 2, "monthlyBudget": 450,
    },
    "high": {
        "api": {"cpu": 2048, "memory": 4096, "minCount": 2, "desiredCount": 2, "maxCount": 4},
        "worker": {"cpu": 2048, "memory": 4096, "minCount": 3, "desiredCount": 3, "maxCount": 5},
        "database": {"instanceClass": "db.t3.large", "allocatedStorage": 100, "maxAllocatedStorage": 500,
                     "multiAz": False},
        "cache": {"nodeType": "cache.t3.medium", "numNodes": 1},
        "waf": False, "azCount": 2, "monthlyBudget": 1300,
    },
    "enterprise": {
        "api": {"cpu": 4096, "memory": 8192, "minCount": 10, "desiredCount": 10, "maxCount": 20},
        "worker": {"cpu": 4096, "memory": 8192, "minCount": 7, "desiredCount": 7, "maxCount": 14},
        "database": {"instanceClass": "db.t3.xlarge", "allocatedStorage": 200, "maxAllocatedStorage": 1000,
                     "multiAz": True},
        "cache": {"nodeType": "cache.r6g.large", "numNodes": 2},
        "waf": True, "azCount": 3, "monthlyBudget": 6000,
    },
}


class SettingsError(ValueError):
    """Invalid stack configuration. ``problems`` holds one line per offending key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack configuration:\n" + "\n".join(f"  - {p}" for p in problems))


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class DeploymentSettings(_Model):
    """How the API releases (``accunode:api.deployment``): ``rolling``, or ECS-native ``blue-green``,
    ``canary`` or ``linear`` with a bake time (accunode/specs/deployment.py says what each does)."""

    strategy: Strategy
    bake_minutes: int = Field(default=15, ge=0, le=awsrules.ECS_BAKE_MINUTES_MAX)
    canary_percent: float = Field(default=10.0, ge=awsrules.ECS_CANARY_PERCENT[0], le=awsrules.ECS_CANARY_PERCENT[1],
                                  allow_inf_nan=False)
    canary_bake_minutes: int = Field(default=10, ge=0, le=awsrules.ECS_BAKE_MINUTES_MAX)
    step_percent: float = Field(default=25.0, ge=awsrules.ECS_LINEAR_STEP_PERCENT[0],
                                le=awsrules.ECS_LINEAR_STEP_PERCENT[1], allow_inf_nan=False)
    step_bake_minutes: int = Field(default=5, ge=0, le=awsrules.ECS_BAKE_MINUTES_MAX)

    @field_validator("strategy", mode="before")
    @classmethod
    def _known_strategy(cls, value: Any) -> Any:
        if value not in STRATEGIES:
            close = difflib.get_close_matches(str(value), STRATEGIES, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ValueError(f"{value!r} is not allowed; {hint}allowed: {', '.join(STRATEGIES)}")
        return value

    @model_validator(mode="after")
    def _keys_of_the_strategy(self) -> DeploymentSettings:
        applies = {"bake_minutes": PROGRESSIVE, "canary_percent": ("canary",), "canary_bake_minutes": ("canary",),
                   "step_percent": ("linear",), "step_bake_minutes": ("linear",)}
        stray = [to_camel(key) for key in sorted(self.model_fields_set & set(applies))
                 if self.strategy not in applies[key]]
        if stray:
            many = len(stray) > 1
            raise ValueError(f"{', '.join(stray)} {'do' if many else 'does'} not apply to strategy {self.strategy}; "
                             f"remove {'them' if many else 'it'} or choose a strategy that uses "
                             f"{'them' if many else 'it'} (bakeMinutes: blue-green, canary, linear; "
                             "canaryPercent, canaryBakeMinutes: canary; stepPercent, stepBakeMinutes: linear)")
        return self

    def spec(self) -> DeploymentSpec:
        return DeploymentSpec(strategy=self.strategy, bake_minutes=self.bake_minutes,
                              canary_percent=self.canary_percent, canary_bake_minutes=self.canary_bake_minutes,
                              step_percent=self.step_percent, step_bake_minutes=self.step_bake_minutes)


class ServiceSettings(_Model):
    """One Fargate service: task size in CPU units / MiB, and its autoscaling range."""

    cpu: int
    memory: int
    min_count: int = Field(ge=0, le=100)
    desired_count: int = Field(ge=0, le=100)
    max_count: int = Field(ge=1, le=100)
    spot: bool = False
    deployment: DeploymentSettings | None = None
    """The API's release strategy; the worker takes no traffic and always rolls (with its circuit breaker)."""

    @model_validator(mode="after")
    def _check(self) -> ServiceSettings:
        if self.cpu not in catalog.FARGATE_SIZES:
            raise ValueError(f"cpu {self.cpu} is not a Fargate size; allowed: "
                             f"{', '.join(map(str, catalog.FARGATE_SIZES))}")
        if not catalog.fargate_size_is_valid(self.cpu, self.memory):
            allowed = catalog.FARGATE_SIZES[self.cpu]
            raise ValueError(f"memory {self.memory} MiB is not allowed with cpu {self.cpu}; allowed: "
                             f"{allowed[0]}-{allowed[-1]} MiB in steps of {allowed[1] - allowed[0]}")
        if not self.min_count <= self.desired_count <= self.max_count:
            raise ValueError(f"counts must satisfy minCount <= desiredCount <= maxCount, got "
                             f"{self.min_count} <= {self.desired_count} <= {self.max_count}")
        return self

    @property
    def vcpu(self) -> float:
        return self.cpu / 1024

    @property
    def memory_gib(self) -> float:
        return self.memory / 1024


class DatabaseSettings(_Model):
    instance_class: str
    allocated_storage: int = Field(ge=20, le=65536)
    max_allocated_storage: int = Field(ge=20, le=65536)
    multi_az: bool
    backup_retention_days: int = Field(ge=7, le=35)
    engine_version: str = "16"

    @field_validator("instance_class")
    @classmethod
    def _known_class(cls, value: str) -> str:
        if value not in catalog.RDS_CLASSES:
            raise ValueError(f"{value!r} is not a known RDS class; allowed: {', '.join(catalog.RDS_CLASSES)}")
        return value

    @field_validator("engine_version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        problem = awsrules.postgres_version_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _storage_range(self) -> DatabaseSettings:
        if self.max_allocated_storage < self.allocated_storage:
            raise ValueError(f"maxAllocatedStorage ({self.max_allocated_storage}) must be >= "
                             f"allocatedStorage ({self.allocated_storage})")
        return self


class CacheSettings(_Model):
    node_type: str
    num_nodes: int = Field(ge=1, le=6)

    @field_validator("node_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in catalog.CACHE_NODE_TYPES:
            raise ValueError(f"{value!r} is not a known ElastiCache node type; allowed: "
                             f"{', '.join(catalog.CACHE_NODE_TYPES)}")
        return value


class StackSettings(_Model):
    stack: str
    region: str = "us-east-1"
    environment: Environment
    tier: Tier = "light"
    az_count: int = Field(ge=2, le=3)
    vpc_cidr: str = "10.0.0.0/16"
    nat_strategy: Literal["single", "per-az"]
    alert_email: str | None = None
    github_repository: str | None = None
    deploy_branch: str = "prod"
    # One OIDC provider per account, created by the bootstrap project (bootstrap/); every stack reads it.
    github_oidc_provider: Literal["existing"] = "existing"
    monthly_budget: float = Field(gt=0, allow_inf_nan=False)
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    certificate_arn: str | None = None
    domain_name: str | None = None
    """The public hostname the certificate covers (DNS is managed outside the stack)."""
    image_tag: str = "dev"
    cpu_architecture: Literal["x86_64", "arm64"] = "x86_64"
    api: ServiceSettings
    worker: ServiceSettings
    database: DatabaseSettings
    cache: CacheSettings
    waf: bool
    log_retention_days: int = 30
    ecr_keep_images: int = Field(default=7, ge=1, le=1000)
    build_image: bool = False
    image_context: str = "app"
    # Replaces assumptions of the tier's usage profile in the cost model (accunode/costs/usage.py).
    usage: UsageOverrides = Field(default_factory=UsageOverrides)

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"{value!r} is not an IPv4 network in CIDR form, e.g. 10.0.0.0/16 ({error})") from None
        if not awsrules.is_rfc1918(network):
            raise ValueError(f"{value!r} is not a private (RFC 1918) range; use 10.0.0.0/8, 172.16.0.0/12 "
                             "or 192.168.0.0/16")
        if not MIN_PREFIX <= network.prefixlen <= MAX_PREFIX:
            raise ValueError(f"prefix /{network.prefixlen} is not allowed; allowed: /{MIN_PREFIX} to /{MAX_PREFIX}")
        return value

    @field_validator("alert_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", value):
            raise ValueError(f"{value!r} is not an email address")
        return value

    @field_validator("github_repository")
    @classmethod
    def _repository(cls, value: str | None) -> str | None:
        if value is not None and (problem := awsrules.github_repository_problem(value)):
            raise ValueError(problem)
        return value

    @field_validator("image_context")
    @classmethod
    def _context(cls, value: str) -> str:
        parts = value.replace("\\", "/").split("/")
        if not value.strip() or value.startswith("/") or ".." in parts or ":" in value:
            raise ValueError(f"{value!r} is not allowed; the image's build context is a folder inside the project, "
                             "as a relative path such as app")
        return value

    @field_validator("github_oidc_provider", mode="before")
    @classmethod
    def _oidc_provider(cls, value: Any) -> Any:
        if value == "create":
            raise ValueError("'create' is not allowed: an account holds one GitHub OIDC provider, created by the "
                             "bootstrap project (bootstrap/), and every stack reads it; allowed: existing")
        return value

    @field_validator("stack")
    @classmethod
    def _stack_name(cls, value: str) -> str:
        problem = stack_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("deploy_branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}", value) or "*" in value:
            raise ValueError(f"{value!r} is not allowed; use letters, digits, '.', '_', '-', '/' (no wildcards)")
        return value

    @field_validator("image_tag")
    @classmethod
    def _image_tag(cls, value: str) -> str:
        if not awsrules.IMAGE_TAG.fullmatch(value):
            raise ValueError(f"{value!r} is not an image tag ECR accepts; use 1-128 letters, digits, '_', '.' and "
                             "'-', starting with a letter, digit or '_'")
        return value

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None:  # it becomes the owner tag's value
            problem = awsrules.tag_text_problem(value, "the owner", awsrules.TAG_VALUE_MAX, minimum=1)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not awsrules.ACM_CERTIFICATE_ARN.fullmatch(value):
            raise ValueError(f"{value!r} is not an ACM certificate ARN "
                             "(arn:aws:acm:<region>:<12-digit account>:certificate/<id>)")
        return value

    @field_validator("usage")
    @classmethod
    def _finite_usage(cls, value: UsageOverrides) -> UsageOverrides:
        infinite = sorted(to_camel(k) for k, v in value.model_dump().items() if isinstance(v, float)
                          and not math.isfinite(v))
        if infinite:
            raise ValueError(f"{', '.join(infinite)}: must be a finite number")
        return value

    @field_validator("domain_name")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        label = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
        if value is not None and not re.fullmatch(rf"{label}(\.{label})+", value):
            raise ValueError(f"{value!r} is not a lower-case DNS hostname, e.g. api.example.com")
        return value

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"{value} is not a CloudWatch retention period; allowed: "
                             f"{', '.join(map(str, LOG_RETENTION_DAYS))}")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        problems = tag_problems(value)
        if problems:
            raise ValueError("\n".join(problems))
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> StackSettings:
        plan_subnets(self.vpc_cidr, self.az_count)  # raises ValueError when the subnets do not fit
        for role in ("api", "worker"):
            if getattr(self, role).spot and self.cpu_architecture == "arm64":
                raise ValueError(f"{role}.spot is not available with cpuArchitecture arm64 "
                                 "(Fargate Spot runs x86_64 tasks only); use one or the other")
        if self.certificate_arn and not self.domain_name:
            raise ValueError("certificateArn needs domainName: the hostname clients use and the certificate covers")
        match = awsrules.ACM_CERTIFICATE_ARN.fullmatch(self.certificate_arn or "")
        if match and match["region"] != self.region:
            raise ValueError(f"certificateArn: the certificate is in {match['region']} but the stack deploys to "
                             f"{self.region} (aws:region); a load balancer uses a certificate from its own region")
        if self.worker.deployment is not None:
            raise ValueError("worker.deployment is not a setting: the worker takes no traffic to shift, so it keeps "
                             "rolling updates with its circuit breaker; set api.deployment instead")
        if self.environment == "prod" and self.worker.min_count == 0:
            raise ValueError("worker.minCount 0 (scale to zero) is allowed only outside prod")
        if self.cache.num_nodes == 1 and self.environment == "prod" and self.tier == "enterprise":
            raise ValueError("cache.numNodes must be >= 2 for an enterprise prod stack (Multi-AZ failover)")
        return self

    # ---- derived values used by the program ----
    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @property
    def name_prefix(self) -> str:
        """Prefix for physical names: ``accunode-<stack>``."""
        return f"{PROJECT}-{self.stack}"

    @property
    def ssm_path(self) -> str:
        return f"/{PROJECT}/{self.stack}"

    @property
    def https(self) -> bool:
        return self.certificate_arn is not None

    @property
    def cost_tags(self) -> dict[str, str]:
        """Tags on every taggable resource: cost allocation first, then the stack's own."""
        base = {"project": PROJECT, "environment": self.environment, "stack": self.stack, "tier": self.tier}
        if self.owner:
            base["owner"] = self.owner
        return {**self.tags, **base}


def _parse_value(value: Any) -> Any:
    """Pulumi passes top-level config as strings and objects as JSON strings; undo that."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _effective_config(stack: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The stack's keys laid over the defaults of its environment and tier."""
    environment = values.get("environment")
    tier = values.get("tier", "light")
    preset = TIER_PRESETS.get(tier, TIER_PRESETS["light"]) if isinstance(tier, str) else TIER_PRESETS["light"]
    prod = environment == "prod"
    defaults = _merge(preset, {
        "stack": stack,
        "natStrategy": "per-az" if prod and tier in ("high", "enterprise") else "single",
        # prod releases the API blue/green with a bake (accunode/specs/deployment.py); elsewhere it rolls.
        "api": {"deployment": {"strategy": DEFAULT_STRATEGY["prod" if prod else "other"]}},
        # Outside prod a Multi-AZ database doubles the cost for no user-facing benefit.
        "database": {"multiAz": bool(preset["database"]["multiAz"]) and prod,
                     "backupRetentionDays": 14 if prod else 7},
    })
    return _merge(defaults, values)


def _location(loc: tuple[Any, ...]) -> str:
    return f"{NAMESPACE}:" + ".".join(to_camel(str(part)) if isinstance(part, str) else f"[{part}]" for part in loc)


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return sorted(f.alias or name for name, f in model.model_fields.items() if name not in HIDDEN_KEYS)


def _did_you_mean(key: str, allowed: list[str]) -> str:
    folded = {a.lower(): a for a in allowed}
    close = [folded[key.lower()]] if key.lower() in folded else difflib.get_close_matches(key, allowed, n=1,
                                                                                          cutoff=0.75)
    return f"did you mean {close[0]}? " if close else ""


def _describe(error: dict[str, Any]) -> str:
    loc = tuple(part for part in error["loc"] if part not in ("function-after",))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        parent = loc[:-1]
        model: type[BaseModel] = StackSettings
        for part in parent:
            annotation = model.model_fields[_field_name(model, str(part))].annotation
            # An optional sub-map (api.deployment: DeploymentSettings | None) names its model in the union.
            model = next((a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)),
                         annotation)  # type: ignore[assignment]
        allowed = _allowed_keys(model)
        hint = _did_you_mean(str(loc[-1]), allowed)
        return f"{_location(loc)}: unknown key; {hint}allowed keys: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{_location(loc)}: required"
    first = re.match(r"[a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)?", message)
    if not loc and first and first[0].split(".")[0] in _allowed_keys(StackSettings):  # a cross-field check
        return f"{NAMESPACE}:{message}"  # accunode:certificateArn needs domainName: ...
    if loc and "\n" in message:  # one line per entry (tags): accunode:tags.<key>: <what>
        return "\n".join(f"{_location(loc)}: {entry}" if re.match(r"\d+ tags; ", entry) else f"{_location(loc)}.{entry}"
                         for entry in message.splitlines())
    return f"{_location(loc) if loc else NAMESPACE}: {message}"


def _field_name(model: type[BaseModel], alias: str) -> str:
    for name, field in model.model_fields.items():
        if alias in (name, field.alias):
            return name
    return alias


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_secret(key: str, value: Any) -> bool:
    # accunode.engine.capture.SECRET_PLACEHOLDER: what a ``secure:`` value becomes offline
    return isinstance(value, str) and value == f"[secret:{NAMESPACE}:{key}]"


def _key_problems(values: Mapping[str, Any], environment: Any) -> list[str]:
    """Keys that are not settings (hidden, unknown, misspelled) and empty values, before anything else."""
    allowed = _allowed_keys(StackSettings)
    problems: list[str] = []
    typo_of: set[str] = set()
    for key, value in values.items():
        if key in HIDDEN_KEYS:
            problems.append(f"{NAMESPACE}:{key}: not a setting; {HIDDEN_KEYS[key]}")
        elif key not in allowed:
            hint = _did_you_mean(key, allowed)
            typo_of.update(a for a in allowed if hint == f"did you mean {a}? ")
            problems.append(f"{NAMESPACE}:{key}: unknown key; {hint}allowed keys: {', '.join(allowed)}")
        elif _is_secret(key, value):
            problems.append(f"{NAMESPACE}:{key}: stored as a secret (secure:), which cannot be read without the "
                            "stack's secrets provider; settings are not secrets: set it in plain text")
        elif _is_blank(value):
            shown = "null" if value is None else "empty" if value == "" else "blank"
            problems.append(f"{NAMESPACE}:{key}: {shown}; set a value or remove the key to use the default")
    if environment == "prod":
        problems += [f"{NAMESPACE}:{key}: required in prod" for key in REQUIRED_IN_PROD
                     if key not in values and key not in typo_of]
    elif "owner" not in values and "owner" not in typo_of and not _has_cost_center(values.get("tags")):
        # The cost pack's cost-allocation-tags policy requires an owner or cost-center tag on every resource.
        problems.append(f"{NAMESPACE}:owner: required unless {NAMESPACE}:tags sets cost-center (every resource "
                        "carries an owner or cost-center cost-allocation tag)")
    return problems


def _has_cost_center(tags: Any) -> bool:
    return isinstance(tags, Mapping) and not _is_blank(tags.get("cost-center"))


def validate_settings(stack: str, values: Mapping[str, Any], region: str = "us-east-1") -> StackSettings:
    """Build a stack's settings from its ``accunode:*`` keys (namespace stripped). Raises SettingsError."""
    parsed = {key: _parse_value(value) for key, value in values.items()}
    problems: list[str] = []
    problem = stack_name_problem(stack)
    if problem:
        problems.append(f"--stack: {problem}")
    if not awsrules.REGION.fullmatch(region or ""):
        problems.append(f"aws:region: {region!r} is not an AWS region name, e.g. us-east-1")
    environment = parsed.get("environment")
    if _is_blank(environment):
        if "environment" not in parsed:
            problems.append(f"{NAMESPACE}:environment: required; allowed: {', '.join(ENVIRONMENTS)}")
    elif environment not in ENVIRONMENTS:
        problems.append(f"{NAMESPACE}:environment: {environment!r} is not allowed; allowed: {', '.join(ENVIRONMENTS)}")
    tier = parsed.get("tier", "light")
    if not _is_blank(tier) and tier not in TIERS:
        problems.append(f"{NAMESPACE}:tier: {tier!r} is not allowed; allowed: {', '.join(TIERS)}")
    if problems:  # without a valid environment and tier there are no defaults to check the rest against
        raise SettingsError(problems + _key_problems(parsed, environment))
    problems = _key_problems(parsed, environment)
    # The other keys are still checked, so one run names every offending key.
    known = {k: v for k, v in parsed.items() if k not in HIDDEN_KEYS and k in _allowed_keys(StackSettings)
             and not _is_blank(v) and not _is_secret(k, v)}
    try:
        settings = StackSettings.model_validate({**_effective_config(stack, known), "region": region})
    except ValidationError as error:
        raise SettingsError(problems + [line for e in error.errors() for line in _describe(e).splitlines()]) from None
    if problems:
        raise SettingsError(problems)
    return settings


def settings_from_config(stack: str, config: Mapping[str, Any]) -> StackSettings:
    """Settings from a namespaced config map, as a stack file or PULUMI_CONFIG holds it
    (``{"accunode:tier": "light", "aws:region": "us-east-1", ...}``). Raises SettingsError."""
    prefix = f"{NAMESPACE}:"
    misspelled = [f"{key}: unknown namespace; did you mean {NAMESPACE}:{key.split(':', 1)[1]}?"
                  for key in config if ":" in key and _namespace_typo(key.split(":", 1)[0])]
    if misspelled:
        raise SettingsError(misspelled)
    values = {key.removeprefix(prefix): value for key, value in config.items() if key.startswith(prefix)}
    return validate_settings(stack, values, region=config.get("aws:region") or "us-east-1")


def _namespace_typo(namespace: str) -> bool:
    """A config namespace that is almost ours (``acunode``, ``Accunode``): its keys would be ignored."""
    return namespace != NAMESPACE and (namespace.lower() == NAMESPACE
                                       or difflib.SequenceMatcher(None, namespace.lower(), NAMESPACE).ratio() >= 0.8)


def runtime_settings() -> StackSettings:
    """Settings of the running stack from the Pulumi runtime's config (a program, or a policy pack,
    which the engine gives the stack's config in PULUMI_CONFIG). Raises SettingsError."""
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    return settings_from_config(pulumi.get_stack(), {**get_config_env(), **CONFIG.get()})


def load_settings() -> StackSettings:
    """Settings of the running Pulumi stack. Invalid config stops the program with a plain message."""
    import pulumi

    try:
        return runtime_settings()
    except SettingsError as error:
        raise pulumi.RunError(str(error)) from None
