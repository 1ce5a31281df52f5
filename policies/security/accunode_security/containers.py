"""Containers: hardened Fargate task definitions and a scanned, immutable, pruned ECR repository.

``containerDefinitions`` reaches policies as a JSON string; it is parsed defensively. When the
program builds it from unknown outputs the whole string is unknown on a first preview and the rules
say so (not-applicable); AccuNode builds it from known names and ARNs so the rules run.
"""

from __future__ import annotations

import collections
import math
import re
from collections.abc import Iterator
from typing import Any

from . import _types as t
from ._frame import (
    CRITICAL,
    HIGH,
    MEDIUM,
    UNKNOWN,
    Context,
    Graph,
    Res,
    Rule,
    as_bool,
    as_str,
    dicts,
    get,
    known_strings,
    parse_json,
)

AREA = "containers"
ROOT_USERS = {"root", "0"}
# A name is secret-like when its last word (or last two) says so: DB_PASS, REDIS_AUTH, API_KEY,
# STRIPE_SECRET_KEY, dbPassword; qualifiers after it (_VALUE, _B64, _OLD) do not change that. A word
# that describes the secret (PASSWORD_MIN_LENGTH, TOKEN_TTL, SECRET_ARN, AUTH_ENABLED) does, so those
# are not secrets. KEY alone is not (MODEL_KEY is an S3 object key); its value's shape still counts.
SECRET_WORDS = {"PASSWORD", "PASSWD", "PWD", "PASS", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "AUTH",
                "CREDENTIAL", "CREDENTIALS", "APIKEY", "DSN", "PRIVATEKEY", "SALT", "PEPPER"}
SECRET_KEY_PREFIXES = {"API", "SECRET", "PRIVATE", "ACCESS", "SIGNING", "ENCRYPTION", "MASTER", "SESSION", "HMAC",
                       "LICENSE", "WEBHOOK", "CLIENT", "JWT", "AUTH", "APP", "ADMIN", "ACCOUNT", "SSH", "TLS"}
QUALIFIERS = {"VALUE", "B64", "BASE64", "RAW", "PLAIN", "PLAINTEXT", "CURRENT", "OLD", "NEW", "PRIMARY",
              "SECONDARY", "PROD", "STAGING", "DEV"}
SECRET_NAMES = {"DATABASE_URL", "DB_URL", "REDIS_URL", "CACHE_URL", "BROKER_URL", "CELERY_BROKER_URL",
                "CONNECTION_STRING", "SQLALCHEMY_DATABASE_URI", "DATABASE_URI", "MONGO_URL", "MONGODB_URI",
                "AMQP_URL", "SENTRY_DSN"}
# Two last words that name a connection string with its credentials (ANALYTICS_DATABASE_URL).
SECRET_PAIRS = {("CONNECTION", "STRING"), ("DATABASE", "URL"), ("DATABASE", "URI"), ("DB", "URL"), ("DB", "URI"),
                ("REDIS", "URL"), ("BROKER", "URL"), ("CACHE", "URL"), ("AMQP", "URL"), ("MONGODB", "URI")}
SECRET_VALUE_PATTERNS = (
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@", re.IGNORECASE),  # URL with [user]:password
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\b(ghp|gho|ghs|ghu|github_pat)_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # a JWT
    # key=value connection strings: Password=...; pwd=...; AccountKey=...; SharedAccessKey=...
    re.compile(r"(^|[;\s&?])(password|pwd|passwd|accountkey|sharedaccesskey|secret|token)\s*=\s*[^;&\s]{3,}",
               re.IGNORECASE),
)
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9+/=_\-.]{24,}$")
MIN_TOKEN_ENTROPY = 4.0  # bits per character; English words and ids stay well below, random base64 above


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)  # dbPassword -> db_Password
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.upper()) if w]


def secret_looking_name(name: str) -> bool:
    """Whether a variable or parameter name says it holds a secret (see SECRET_WORDS)."""
    if name.upper().replace("-", "_") in SECRET_NAMES:
        return True
    words = _words(name)
    while words and (words[-1] in QUALIFIERS or words[-1].isdigit()):
        words.pop()
    if not words:
        return False
    if words[-1] in SECRET_WORDS or tuple(words[-2:]) in SECRET_PAIRS:
        return True
    return words[-1] == "KEY" and len(words) > 1 and words[-2] in SECRET_KEY_PREFIXES


def _entropy(value: str) -> float:
    counts = collections.Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def high_entropy_token(value: str) -> bool:
    """A random-looking token: long, one word, upper and lower case and digits, high entropy. Hex digests
    (git SHAs, image digests) and paths, URLs and ARNs are not tokens."""
    text = value.strip()
    if not TOKEN_SHAPE.match(text) or re.fullmatch(r"[0-9a-fA-F]+", text) or text.count("/") > 2:
        return False
    if not (re.search(r"[a-z]", text) and re.search(r"[A-Z]", text) and re.search(r"[0-9]", text)):
        return False  # names such as accunode-prod-models-123456789012 are one case
    return _entropy(text) >= MIN_TOKEN_ENTROPY


def secret_looking_value(value: str) -> bool:
    return any(pattern.search(value) for pattern in SECRET_VALUE_PATTERNS) or high_entropy_token(value)


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


def _environment_findings(owner: str, environment: Any, ctx: Context) -> Iterator[str]:
    if environment is UNKNOWN:
        ctx.unknown(f"{owner}.environment")
    for variable in dicts(environment):
        name, value = as_str(variable.get("name")), variable.get("value")
        if name is UNKNOWN:
            ctx.unknown(f"{owner}.environment name")
            continue
        label = name or "(unnamed)"
        if name and secret_looking_name(name):
            yield (f"{owner} passes {label} in plain environment; move it to secrets (valueFrom an SSM "
                   "SecureString or Secrets Manager ARN).")
        elif isinstance(value, str) and secret_looking_value(value):
            yield (f"{owner} environment {label} holds a value that looks like a credential; move it to secrets "
                   "(valueFrom an SSM SecureString or Secrets Manager ARN).")


def _overrides(res: Res, ctx: Context) -> list[tuple[str, Any]]:
    """(label, environment) of the container overrides an EventBridge target passes in its ``input``."""
    document = parse_json(res.get("input"))
    if document is UNKNOWN:
        ctx.unknown("input")
    return [(f"container override {_name(o, i)}", o.get("environment"))
            for i, o in enumerate(dicts(get(document, "containerOverrides")))]


def check_no_plaintext_secrets(res: Res, ctx: Context) -> Iterator[str]:
    if res.type == t.EVENT_TARGET:
        found = _overrides(res, ctx)
    elif res.type == t.LAMBDA_FUNCTION:
        variables = res.get("environment", "variables")
        found = [("function", UNKNOWN if variables is UNKNOWN else
                  [{"name": k, "value": v} for k, v in variables.items()] if isinstance(variables, dict) else [])]
    else:
        found = [(f"container {_name(c, i)}", c.get("environment")) for i, c in enumerate(containers(res, ctx))]
    for owner, environment in found:
        yield from _environment_findings(owner, environment, ctx)


ALLOWED_CAPABILITIES: frozenset[str] = frozenset()  # Fargate accepts only SYS_PTRACE; add it per stack in config


def check_capabilities(res: Res, ctx: Context) -> Iterator[str]:
    allowed = {c.upper() for c in known_strings(ctx.config.get("allowedAdd"))} | ALLOWED_CAPABILITIES
    for index, container in enumerate(containers(res, ctx)):
        capabilities = get(container, "linuxParameters", "capabilities")
        if capabilities is UNKNOWN:
            ctx.unknown(f"{_name(container, index)}.linuxParameters.capabilities")
            continue
        dropped = {c.upper() for c in known_strings(get(capabilities, "drop"))}
        added = sorted({c.upper() for c in known_strings(get(capabilities, "add"))} - allowed)
        if "ALL" not in dropped:
            yield (f"container {_name(container, index)} keeps the default Linux capabilities; set "
                   "linuxParameters.capabilities.drop to [\"ALL\"].")
        if added:
            yield (f"container {_name(container, index)} adds capabilities {', '.join(added)}; remove them from "
                   "linuxParameters.capabilities.add.")


EXEC_PATHS = {t.ECS_SERVICE: ("enableExecuteCommand",), t.EVENT_TARGET: ("ecsTarget", "enableExecuteCommand"),
              t.SCHEDULE: ("target", "ecsParameters", "enableExecuteCommand"),
              t.PIPE: ("targetParameters", "ecsTaskParameters", "enableExecuteCommand")}


def check_exec_disabled(res: Res, ctx: Context) -> Iterator[str]:
    value = as_bool(res.get(*EXEC_PATHS[res.type]))
    if value is UNKNOWN:
        ctx.unknown("enableExecuteCommand")
    elif value is True:
        yield ("enable_execute_command is true, so anyone with ecs:ExecuteCommand gets a shell in prod tasks; set "
               "it to false (use it in dev or staging, or for a break-glass task with audit logging).")


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
         "Environment variables (containers, EventBridge container overrides, Lambda functions) must not carry "
         "secrets, by name or by value; use the secrets block.",
         CRITICAL, check_no_plaintext_secrets, types=(t.TASK_DEFINITION, t.EVENT_TARGET, t.LAMBDA_FUNCTION)),
    Rule("ecs-container-drop-capabilities", AREA,
         "Containers must drop all Linux capabilities and add none (unless allowed in config).",
         MEDIUM, check_capabilities, types=(t.TASK_DEFINITION,),
         settings={"allowedAdd": {"type": "array", "items": {"type": "string"},
                                  "description": "Capabilities containers may add (e.g. SYS_PTRACE)."}}),
    Rule("ecs-exec-disabled-in-prod", AREA,
         "ECS Exec (enable_execute_command) is off in prod for services and every other way to run a task.",
         HIGH, check_exec_disabled, types=tuple(EXEC_PATHS), prod_only=True),
    Rule("ecs-container-logging", AREA, "Every container must send its logs to a log driver.",
         MEDIUM, check_logging, types=(t.TASK_DEFINITION,)),
    Rule("ecr-scan-on-push", AREA, "ECR repositories must scan images on push.",
         MEDIUM, check_ecr_scan_on_push, types=(t.ECR_REPOSITORY,)),
    Rule("ecr-immutable-tags", AREA, "ECR repositories must use immutable image tags.",
         MEDIUM, check_ecr_immutable, types=(t.ECR_REPOSITORY,)),
    Rule("ecr-lifecycle-policy", AREA, "ECR repositories must have a lifecycle policy with rules.",
         MEDIUM, check_ecr_lifecycle, stack=True),
]
