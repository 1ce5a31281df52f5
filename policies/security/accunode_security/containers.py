"""Containers: hardened Fargate task definitions and a scanned, immutable, pruned ECR repository.

``containerDefinitions`` reaches policies as a JSON string; it is parsed defensively. When the
program builds it from unknown outputs the whole string is unknown on a first preview and the rules
say so (not-applicable); AccuNode builds it from known names and ARNs so the rules run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import _types as t
from ._frame import CRITICAL, HIGH, MEDIUM, UNKNOWN, Context, Graph, Res, Rule, as_bool, as_str, dicts, parse_json

AREA = "containers"
ROOT_USERS = {"root", "0"}
SECRET_NAME_WORDS = {"PASSWORD", "PASSWD", "PWD", "SECRET", "SECRETS", "TOKEN", "KEY", "APIKEY", "CREDENTIAL",
                     "CREDENTIALS", "PRIVATE", "DSN"}
SECRET_NAMES = {"DATABASE_URL", "DB_URL", "REDIS_URL", "CACHE_URL", "BROKER_URL", "CELERY_BROKER_URL",
                "CONNECTION_STRING", "SQLALCHEMY_DATABASE_URI"}
# A name ending like this names *where* a secret is, not the secret (AWS_KMS_KEY_ID, TOKEN_PARAMETER_ARN).
REFERENCE_SUFFIXES = ("ID", "ARN", "NAME", "PREFIX", "PATH", "REGION", "HOST", "PORT", "ENABLED", "TTL", "FILE")
SECRET_VALUE_PATTERNS = (
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@"),  # URL with [user]:password
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\bsk_live_[A-Za-z0-9]{16,}\b"),
)


def containers(res: Res, ctx: Context) -> list[dict[str, Any]]:
    """The container definitions of a task definition; notes why none could be read."""
    parsed = parse_json(res.get("containerDefinitions"))
    if parsed is UNKNOWN:
        ctx.unknown("containerDefinitions")
        return []
    if isinstance(parsed, dict):
        parsed = [parsed]
    if not isinstance(parsed, list):
        ctx.unknown("containerDefinitions (not a JSON list of containers)")
        return []
    found = list(dicts(parsed))
    if not found and parsed:
        ctx.unknown("containerDefinitions (no container objects)")
    return found


def _name(container: dict[str, Any], index: int) -> str:
    name = container.get("name")
    return name if isinstance(name, str) and name else f"#{index}"


def check_non_root(res: Res, ctx: Context) -> Iterator[str]:
    for index, container in enumerate(containers(res, ctx)):
        user = container.get("user")
        if user is UNKNOWN:
            ctx.unknown(f"{_name(container, index)}.user")
            continue
        text = str(user).strip() if isinstance(user, str | int) and not isinstance(user, bool) else ""
        if not text:
            yield (f"container {_name(container, index)} sets no user, so it runs as the image's user (often "
                   "root); set user to a non-root uid:gid such as \"1000:1000\".")
        elif text.split(":")[0].strip().lower() in ROOT_USERS:
            yield f"container {_name(container, index)} runs as {text!r}; set user to a non-root uid:gid."


def check_read_only_root(res: Res, ctx: Context) -> Iterator[str]:
    for index, container in enumerate(containers(res, ctx)):
        value = as_bool(container.get("readonlyRootFilesystem"))
        if value is UNKNOWN:
            ctx.unknown(f"{_name(container, index)}.readonlyRootFilesystem")
        elif value is not True:
            yield (f"container {_name(container, index)} has a writable root filesystem; set "
                   "readonlyRootFilesystem: true and mount a volume for scratch space (e.g. /tmp).")


def check_not_privileged(res: Res, ctx: Context) -> Iterator[str]:
    for index, container in enumerate(containers(res, ctx)):
        value = as_bool(container.get("privileged"))
        if value is UNKNOWN:
            ctx.unknown(f"{_name(container, index)}.privileged")
        elif value is True:
            yield f"container {_name(container, index)} is privileged; remove privileged: true."


def secret_looking_name(name: str) -> bool:
    upper = name.upper()
    words = [w for w in re.split(r"[^A-Z0-9]+", upper) if w]
    if upper in SECRET_NAMES:
        return True
    if not words or words[-1] in REFERENCE_SUFFIXES:
        return False
    return bool(set(words) & SECRET_NAME_WORDS) or upper.endswith(("PASSWORD", "TOKEN", "SECRET"))


def secret_looking_value(value: str) -> bool:
    return any(pattern.search(value) for pattern in SECRET_VALUE_PATTERNS)


def check_no_plaintext_secrets(res: Res, ctx: Context) -> Iterator[str]:
    for index, container in enumerate(containers(res, ctx)):
        environment = container.get("environment")
        if environment is UNKNOWN:
            ctx.unknown(f"{_name(container, index)}.environment")
        for variable in dicts(environment):
            name, value = as_str(variable.get("name")), variable.get("value")
            if name is UNKNOWN:
                ctx.unknown(f"{_name(container, index)}.environment name")
                continue
            label = name or "(unnamed)"
            if name and secret_looking_name(name):
                yield (f"container {_name(container, index)} passes {label} in plain environment; move it to "
                       "secrets (valueFrom an SSM SecureString or Secrets Manager ARN).")
            elif isinstance(value, str) and secret_looking_value(value):
                yield (f"container {_name(container, index)} environment {label} holds a value that looks like a "
                       "credential; move it to secrets (valueFrom an SSM SecureString or Secrets Manager ARN).")


def check_logging(res: Res, ctx: Context) -> Iterator[str]:
    for index, container in enumerate(containers(res, ctx)):
        driver = container.get("logConfiguration")
        driver = driver.get("logDriver") if isinstance(driver, dict) else driver
        if driver is UNKNOWN:
            ctx.unknown(f"{_name(container, index)}.logConfiguration")
        elif not (isinstance(driver, str) and driver):
            yield (f"container {_name(container, index)} has no log driver; set logConfiguration with "
                   "logDriver \"awslogs\" and a log group that has retention.")


def check_ecr_scan_on_push(res: Res, ctx: Context) -> Iterator[str]:
    value = as_bool(res.get("imageScanningConfiguration", "scanOnPush"))
    if value is UNKNOWN:
        ctx.unknown("imageScanningConfiguration.scanOnPush")
    elif value is not True:
        yield "image scanning on push is off; set image_scanning_configuration.scan_on_push=True."


def check_ecr_immutable(res: Res, ctx: Context) -> Iterator[str]:
    value = res.get("imageTagMutability")
    if value is UNKNOWN:
        ctx.unknown("imageTagMutability")
    elif value != "IMMUTABLE":
        shown = value if isinstance(value, str) else "MUTABLE (the default)"
        yield f"image tags are {shown}; set image_tag_mutability=\"IMMUTABLE\" so a tag always means one image."


def check_ecr_lifecycle(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    policies = graph.of_type(t.ECR_LIFECYCLE_POLICY)
    for repo in graph.of_type(t.ECR_REPOSITORY):
        attached = [p for p in policies if repo in graph.linked(p, "repository", t.ECR_REPOSITORY)]
        if not attached:
            yield repo, (f"ECR repository {repo.name} has no lifecycle policy; add aws.ecr.LifecyclePolicy that "
                         "keeps the last N tagged images and expires untagged ones.")
            continue
        for policy in attached:
            document = parse_json(policy.get("policy"))
            if document is UNKNOWN:
                ctx.unknown(f"{policy.name}.policy")
            elif not (isinstance(document, dict) and isinstance(document.get("rules"), list) and document["rules"]):
                yield repo, (f"lifecycle policy {policy.name} of ECR repository {repo.name} has no rules; add rules "
                             "that keep the last N tagged images and expire untagged ones.")


RULES = [
    Rule("ecs-container-non-root", AREA, "Containers must run as a non-root user (user set, not root or 0).",
         HIGH, check_non_root, types=(t.TASK_DEFINITION,)),
    Rule("ecs-container-read-only-root", AREA, "Containers must have a read-only root filesystem.",
         MEDIUM, check_read_only_root, types=(t.TASK_DEFINITION,)),
    Rule("ecs-container-not-privileged", AREA, "Containers must not run privileged.",
         CRITICAL, check_not_privileged, types=(t.TASK_DEFINITION,)),
    Rule("ecs-container-no-plaintext-secrets", AREA,
         "Container environment variables must not carry secrets; use the secrets block.",
         CRITICAL, check_no_plaintext_secrets, types=(t.TASK_DEFINITION,)),
    Rule("ecs-container-logging", AREA, "Every container must send its logs to a log driver.",
         MEDIUM, check_logging, types=(t.TASK_DEFINITION,)),
    Rule("ecr-scan-on-push", AREA, "ECR repositories must scan images on push.",
         MEDIUM, check_ecr_scan_on_push, types=(t.ECR_REPOSITORY,)),
    Rule("ecr-immutable-tags", AREA, "ECR repositories must use immutable image tags.",
         MEDIUM, check_ecr_immutable, types=(t.ECR_REPOSITORY,)),
    Rule("ecr-lifecycle-policy", AREA, "ECR repositories must have a lifecycle policy with rules.",
         MEDIUM, check_ecr_lifecycle, stack=True),
]
