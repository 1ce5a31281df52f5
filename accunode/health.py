"""``accunode health``: a read-only check of a deployed stack, the deployment review's "Quick Health
Check" made one command. ECS services (running vs desired, a failed or rolling-back deployment), the
API's progressive release (strategy, stage, traffic split, bake time left, a rollback that happened),
ALB target health, ``/health`` latency against the review's 200 ms, RDS and Redis status, alarms in
ALARM and the dead-letter queue's depth.

The stack outputs say what to look at (``OUTPUTS``); ``__main__.py`` exports them. Judges are pure
functions of the AWS responses, one collector per service calls boto3 (describe/get only), and the
renderer prints a table or JSON. Exit codes are every command's (accunode.command): 0 healthy,
1 unhealthy, 2 bad input (flags, outputs, credentials), 3 when AWS cannot be asked (unreachable,
access denied): a check that could not run says nothing about the stack, so it is never "unhealthy".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LATENCY_BUDGET_MS = 200.0  # the review: "Health Check: Responding in <200ms"
PROBES = 3  # the median of three probes is judged, so one slow TLS handshake does not fail a deploy
WAIT_INTERVAL_SECONDS = 15.0
# States in which the resource serves traffic; anything else (stopped, failed, modifying...) is unhealthy.
DB_SERVING = frozenset({"available", "backing-up", "storage-optimization"})
REDIS_SERVING = frozenset({"available", "snapshotting"})
TARGET_SERVING = frozenset({"healthy", "initial", "draining"})  # initial/draining: a rollout in progress

# The stack outputs the check reads, by role. Required unless marked optional.
OUTPUTS = {
    "cluster": "clusterName",
    "services": "serviceNames",  # {"api": ..., "worker": ...}
    "target_group": "targetGroupArn",
    "alb_dns": "albDnsName",
    "db": "dbIdentifier",
    "redis": "redisReplicationGroupId",
    "dlq": "dlqUrl",
}
OPTIONAL_OUTPUTS = {
    "url": "apiUrl",  # the public base URL; without it the probe uses http://<albDnsName>
    "alarms": "alarmNames",  # alarms that must exist
    "deployment": "apiDeployment",  # {"strategy": "blue-green", "bakeMinutes": 15, ...}: the API's releases
}
PROGRESSIVE = frozenset({"blue-green", "canary", "linear"})
# A rollback this recent still fails the check (the release did not land); an older one is only noted.
RECENT_ROLLBACK_HOURS = 24.0


class ConfigError(Exception):
    """The check cannot start: no outputs, missing outputs, no credentials."""


class Unreachable(Exception):
    """AWS could not be asked (no connection, timeout, access denied): the check did not run."""


# botocore error codes that mean "we may not ask", not "the resource is unhealthy".
_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure",
                     "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
                     "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidSignatureException"})


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Targets:
    """What to look at, from the stack outputs."""

    cluster: str
    services: tuple[str, ...]
    target_group_arn: str
    url: str
    db_identifier: str
    redis_group_id: str
    dlq_url: str
    alarm_prefix: str
    alarm_names: tuple[str, ...] = ()
    api_service: str = ""
    release_strategy: str = "rolling"
    alternate_target_group_arn: str = ""
    """A progressive API's second group: after a release the tasks serve from either, so both are judged."""


def targets_from_outputs(stack: str, outputs: Mapping[str, Any], url: str | None = None) -> Targets:
    if not isinstance(outputs, Mapping):
        raise ConfigError(f"stack outputs must be a JSON object of output names to values (as `pulumi stack "
                          f"output --json` prints), got {type(outputs).__name__}")
    missing = [name for name in OUTPUTS.values() if not outputs.get(name)]
    if missing:
        raise ConfigError(f"stack {stack!r} does not export {', '.join(missing)} (needed by accunode health)")
    wrong = [name for role, name in OUTPUTS.items() if role != "services" and not isinstance(outputs[name], str)]
    wrong += [name for name in OPTIONAL_OUTPUTS.values() if name == "apiUrl" and name in outputs
              and not isinstance(outputs[name], str)]
    if wrong:
        raise ConfigError(f"outputs {', '.join(wrong)} must be text")
    services = outputs[OUTPUTS["services"]]
    if not isinstance(services, Mapping) or not services or not all(isinstance(v, str) for v in services.values()):
        raise ConfigError(f"output {OUTPUTS['services']} must map roles to ECS service names")
    alarms = outputs.get(OPTIONAL_OUTPUTS["alarms"]) or []
    if not isinstance(alarms, list) or not all(isinstance(a, str) for a in alarms):
        raise ConfigError(f"output {OPTIONAL_OUTPUTS['alarms']} must be a list of alarm names")
    release = outputs.get(OPTIONAL_OUTPUTS["deployment"]) or {}
    if not isinstance(release, Mapping) or not isinstance(release.get("strategy", "rolling"), str):
        raise ConfigError(f"output {OPTIONAL_OUTPUTS['deployment']} must be an object with a strategy")
    base = url or outputs.get(OPTIONAL_OUTPUTS["url"]) or f"http://{outputs[OUTPUTS['alb_dns']]}"
    from accunode.settings import PROJECT

    return Targets(
        cluster=outputs[OUTPUTS["cluster"]], services=tuple(services.values()),
        target_group_arn=outputs[OUTPUTS["target_group"]], url=base.rstrip("/"),
        db_identifier=outputs[OUTPUTS["db"]], redis_group_id=outputs[OUTPUTS["redis"]],
        dlq_url=outputs[OUTPUTS["dlq"]], alarm_prefix=f"{PROJECT}-{stack}-",
        alarm_names=tuple(outputs.get(OPTIONAL_OUTPUTS["alarms"]) or ()), api_service=services.get("api", ""),
        release_strategy=release.get("strategy", "rolling"),
        alternate_target_group_arn=release.get("alternateTargetGroupArn") or "")


# ---- judges: pure functions of AWS responses ----------------------------------------------------
def judge_service(service: Mapping[str, Any]) -> Check:
    name = f"ECS service {service.get('serviceName', '?')}"
    running, desired = service.get("runningCount", 0), service.get("desiredCount", 0)
    deployments = service.get("deployments") or []
    failed = [d for d in deployments if d.get("rolloutState") == "FAILED"]
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), {})
    counts = f"running {running}/{desired}"
    if service.get("status") != "ACTIVE":
        return Check(name, False, f"status {service.get('status')}")
    if failed:
        reason = failed[0].get("rolloutStateReason") or "no reason given"
        return Check(name, False, f"{counts}; deployment {failed[0].get('id')} FAILED, rolling back ({reason})")
    if primary.get("rolloutState") == "IN_PROGRESS":
        return Check(name, False, f"{counts}; deployment {primary.get('id')} in progress")
    if running < desired:
        return Check(name, False, f"{counts}; fewer tasks running than desired")
    return Check(name, True, counts if desired else "scaled to zero")


def _minutes_since(moment: Any, now: datetime) -> float | None:
    return (now - moment).total_seconds() / 60 if isinstance(moment, datetime) else None


def _traffic(weights: Iterable[tuple[str, int]]) -> str:
    return ", ".join(f"{name} {weight} %" for name, weight in weights)


def judge_release(deployment: Mapping[str, Any], strategy: str, now: datetime,
                  weights: Iterable[tuple[str, int]] = ()) -> Check:
    """The API's latest ECS service deployment (``DescribeServiceDeployments``): in progress (which stage,
    the production rule's split, bake time left), done, stopped, or rolled back."""
    name = f"API release ({strategy})"
    status = deployment.get("status", "UNKNOWN")
    arn = str(deployment.get("serviceDeploymentArn", "?")).rsplit("/", 1)[-1]
    stage = deployment.get("lifecycleStage")
    split = _traffic(weights)
    if status in ("PENDING", "IN_PROGRESS"):
        detail = f"deployment {arn} in progress, stage {stage or 'unknown'}"
        if split:
            detail += f"; production traffic: {split}"
        bake = (deployment.get("deploymentConfiguration") or {}).get("bakeTimeInMinutes")
        since = _minutes_since(deployment.get("updatedAt"), now)
        if stage == "BAKE_TIME" and isinstance(bake, int) and since is not None:
            # ECS does not report when the bake began; updatedAt is the deployment's last change, which
            # in BAKE_TIME is the end of the production traffic shift.
            detail += f"; about {max(0.0, bake - since):.0f} of {bake} bake minutes left"
        return Check(name, False, detail)
    if status.startswith("ROLLBACK"):
        reason = (deployment.get("rollback") or {}).get("reason") or deployment.get("statusReason") or "no reason given"
        finished = _minutes_since(deployment.get("finishedAt") or deployment.get("updatedAt"), now)
        old = status == "ROLLBACK_SUCCESSFUL" and finished is not None and finished > RECENT_ROLLBACK_HOURS * 60
        when = f" {finished / 60:.0f} h ago" if finished is not None else ""
        return Check(name, old, f"deployment {arn} {status}{when}: {reason}; production traffic stays on the "
                                "previous revision")
    if status in ("STOPPED", "STOP_REQUESTED"):
        return Check(name, False, f"deployment {arn} {status}: {deployment.get('statusReason') or 'stopped by hand'}")
    if status == "SUCCESSFUL":
        return Check(name, True, f"deployment {arn} completed" + (f"; production traffic: {split}" if split else ""))
    return Check(name, False, f"deployment {arn} {status}")


def judge_targets(descriptions: Iterable[Mapping[str, Any]]) -> Check:
    states = [d.get("TargetHealth", {}).get("State", "unknown") for d in descriptions]
    healthy = states.count("healthy")
    summary = ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states))) or "no registered targets"
    return Check("ALB targets", healthy > 0 and all(s in TARGET_SERVING for s in states), summary)


def judge_probe(url: str, status: int | None, latencies_ms: list[float], budget_ms: float,
                error: str | None = None) -> Check:
    name = f"GET {url}"
    if error or status != 200:
        return Check(name, False, error or f"HTTP {status}")
    median = sorted(latencies_ms)[len(latencies_ms) // 2]
    return Check(name, median <= budget_ms, f"HTTP 200 in {median:.0f} ms (median of {len(latencies_ms)}; "
                                            f"budget {budget_ms:.0f} ms)")


def judge_db(instance: Mapping[str, Any]) -> Check:
    state = instance.get("DBInstanceStatus", "unknown")
    return Check(f"RDS {instance.get('DBInstanceIdentifier', '?')}", state in DB_SERVING, state)


def judge_redis(group: Mapping[str, Any]) -> Check:
    state = group.get("Status", "unknown")
    return Check(f"Redis {group.get('ReplicationGroupId', '?')}", state in REDIS_SERVING, state)


def judge_alarms(alarms: Iterable[Mapping[str, Any]], expected: Iterable[str] = ()) -> Check:
    alarms = list(alarms)
    firing = sorted(a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM")
    absent = sorted(set(expected) - {a["AlarmName"] for a in alarms})
    problems = [f"in ALARM: {', '.join(firing)}"] if firing else []
    problems += [f"missing: {', '.join(absent)}"] if absent else []
    if not alarms:
        problems.append("no alarms found")
    return Check("CloudWatch alarms", not problems, "; ".join(problems) or f"{len(alarms)} alarms, none in ALARM")


def judge_dlq(queue_url: str, depth: int, max_depth: int = 0) -> Check:
    return Check(f"DLQ {queue_url.rsplit('/', 1)[-1]}", depth <= max_depth, f"{depth} messages")


# ---- collectors: one per service, read-only calls -----------------------------------------------
def ecs_checks(ecs: Any, targets: Targets) -> list[Check]:
    response = ecs.describe_services(cluster=targets.cluster, services=list(targets.services))
    checks = [judge_service(s) for s in response.get("services", [])]
    checks += [Check(f"ECS service {f.get('arn', '?').rsplit('/', 1)[-1]}", False, f.get("reason", "failure"))
               for f in response.get("failures", [])]
    return checks


def release_checks(ecs: Any, elbv2: Any, targets: Targets, now: datetime | None = None) -> list[Check]:
    """The API's latest progressive deployment. ECS keeps its stages in ListServiceDeployments /
    DescribeServiceDeployments; the production listener rule's weights say where traffic is now."""
    if targets.release_strategy not in PROGRESSIVE or not targets.api_service:
        return []
    now = now or datetime.now(UTC)
    listed = ecs.list_service_deployments(cluster=targets.cluster, service=targets.api_service,
                                          maxResults=5).get("serviceDeployments", [])
    if not listed:
        return [Check(f"API release ({targets.release_strategy})", True, "no deployment yet")]
    epoch = datetime.min.replace(tzinfo=UTC)
    latest = max(listed, key=lambda d: d.get("createdAt") or epoch)
    described = ecs.describe_service_deployments(
        serviceDeploymentArns=[latest["serviceDeploymentArn"]]).get("serviceDeployments", [])
    deployment = described[0] if described else latest
    return [judge_release(deployment, targets.release_strategy, now, _production_weights(ecs, elbv2, targets))]


def _production_weights(ecs: Any, elbv2: Any, targets: Targets) -> list[tuple[str, int]]:
    services = ecs.describe_services(cluster=targets.cluster, services=[targets.api_service]).get("services", [])
    rules = [(b.get("advancedConfiguration") or {}).get("productionListenerRule")
             for s in services for b in s.get("loadBalancers", [])]
    rules = [rule for rule in rules if rule]
    if not rules:
        return []
    weights = []
    for rule in elbv2.describe_rules(RuleArns=rules[:1]).get("Rules", []):
        for action in rule.get("Actions", []):
            for group in (action.get("ForwardConfig") or {}).get("TargetGroups", []):
                arn = str(group.get("TargetGroupArn", "?"))
                weights.append((arn.split(":targetgroup/", 1)[-1].split("/", 1)[0], int(group.get("Weight", 0))))
    return weights


def target_checks(elbv2: Any, targets: Targets) -> list[Check]:
    # Blue/green alternates the serving group release by release; the idle one is empty, not unhealthy.
    groups = [targets.target_group_arn, *([targets.alternate_target_group_arn] if targets.alternate_target_group_arn
                                          else [])]
    return [judge_targets([d for group in groups for d in
                           elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]])]


def http_checks(targets: Targets, budget_ms: float, timeout: float, probes: int = PROBES) -> list[Check]:
    url = f"{targets.url}/health"
    if not url.startswith(("http://", "https://")):
        return [Check(f"GET {url}", False, "only http and https URLs are probed")]
    latencies: list[float] = []
    for _ in range(probes):
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (scheme checked above)
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            return [judge_probe(url, error.code, latencies, budget_ms)]
        except (urllib.error.URLError, OSError) as error:
            return [judge_probe(url, None, latencies, budget_ms, error=f"unreachable: {error}")]
        latencies.append((time.perf_counter() - start) * 1000)
    return [judge_probe(url, status, latencies, budget_ms)]


def rds_checks(rds: Any, targets: Targets) -> list[Check]:
    instances = rds.describe_db_instances(DBInstanceIdentifier=targets.db_identifier)["DBInstances"]
    return [judge_db(i) for i in instances]


def redis_checks(elasticache: Any, targets: Targets) -> list[Check]:
    groups = elasticache.describe_replication_groups(ReplicationGroupId=targets.redis_group_id)
    return [judge_redis(g) for g in groups["ReplicationGroups"]]


def alarm_checks(cloudwatch: Any, targets: Targets) -> list[Check]:
    alarms: list[dict[str, Any]] = []
    for page in cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=targets.alarm_prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
        alarms += page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
    return [judge_alarms(alarms, targets.alarm_names)]


def dlq_checks(sqs: Any, targets: Targets, max_depth: int = 0) -> list[Check]:
    attributes = sqs.get_queue_attributes(QueueUrl=targets.dlq_url,
                                          AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return [judge_dlq(targets.dlq_url, int(attributes["ApproximateNumberOfMessages"]), max_depth)]


def run_checks(clients: Callable[[str], Any], targets: Targets, *, budget_ms: float = LATENCY_BUDGET_MS,
               timeout: float = 5.0, max_dlq: int = 0) -> list[Check]:
    """Every check; an AWS error in one area becomes a failed check there, not a crash."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ReadTimeoutError,
    )

    areas: list[tuple[str, Callable[[], list[Check]]]] = [
        ("ECS services", lambda: ecs_checks(clients("ecs"), targets)),
        ("API release", lambda: release_checks(clients("ecs"), clients("elbv2"), targets)),
        ("ALB targets", lambda: target_checks(clients("elbv2"), targets)),
        ("HTTP /health", lambda: http_checks(targets, budget_ms, timeout)),
        ("RDS", lambda: rds_checks(clients("rds"), targets)),
        ("Redis", lambda: redis_checks(clients("elasticache"), targets)),
        ("CloudWatch alarms", lambda: alarm_checks(clients("cloudwatch"), targets)),
        ("DLQ", lambda: dlq_checks(clients("sqs"), targets, max_dlq)),
    ]
    checks: list[Check] = []
    for area, collect in areas:
        try:
            checks += collect()
        except (NoCredentialsError, NoRegionError) as error:
            raise ConfigError(str(error)) from error
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError) as error:
            raise Unreachable(f"{area}: AWS could not be reached: {error}") from error
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _DENIED:
                raise Unreachable(f"{area}: AWS refused the read-only call: {error}") from error
            checks.append(Check(area, False, str(error)))
        except BotoCoreError as error:
            checks.append(Check(area, False, str(error)))
    return checks


def wait_until_healthy(collect: Callable[[], list[Check]], wait_seconds: float,
                       interval: float = WAIT_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic,
                       sleep: Callable[[float], None] = time.sleep) -> list[Check]:
    """Collect until every check passes or ``wait_seconds`` have passed; the last result."""
    deadline = clock() + wait_seconds
    while True:
        checks = collect()
        remaining = deadline - clock()
        if all(c.ok for c in checks) or remaining <= 0:
            return checks
        sleep(min(interval, remaining))


# ---- outputs, rendering, CLI --------------------------------------------------------------------
def load_outputs(stack: str, outputs_file: Path | None) -> dict[str, Any]:
    if outputs_file is not None:
        from accunode.engine.files import FileError, read_json

        try:
            return read_json(outputs_file)
        except FileError as error:
            raise ConfigError(f"--outputs {error}") from None
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise ConfigError("no stack outputs: pass --outputs FILE.json (from `pulumi stack output --json`) "
                          "or install the Pulumi CLI")
    result = subprocess.run([pulumi, "stack", "output", "--json", "--stack", stack],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConfigError(f"`pulumi stack output --json --stack {stack}` failed: {result.stderr.strip()}")
    try:
        return json.loads(result.stdout)
    except ValueError as error:
        raise ConfigError(f"`pulumi stack output --json --stack {stack}` printed no JSON: {error}") from None


def stack_region(stack: str, project_dir: Path) -> str | None:
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    from accunode.engine.files import FileError, read_yaml_mapping

    try:
        config = read_yaml_mapping(path, check_scalars="config").get("config") or {}
    except FileError as error:
        raise ConfigError(str(error)) from None
    region = config.get("aws:region")
    return region if isinstance(region, str) else None


def render_json(stack: str, checks: list[Check]) -> str:
    from accunode.command import dumps

    return dumps({"stack": stack, "healthy": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]})


def render_table(stack: str, checks: list[Check]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"accunode health: {stack}")
    table.add_column("Check")
    table.add_column("Status")
    table.add_column("Detail")
    for check in checks:
        table.add_row(check.name, "[green]ok[/]" if check.ok else "[red]UNHEALTHY[/]", check.detail)
    console = Console()
    console.print(table)
    failing = sum(not c.ok for c in checks)
    console.print(f"{failing} unhealthy" if failing else "healthy", style="red" if failing else "green")


def _positive(value: str) -> float:
    import math

    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be a finite number >= 0")
    return number


def register(subparsers: Any) -> None:
    from accunode.command import add_format, add_json, add_stack, exit_code_table, region_name

    parser = subparsers.add_parser(
        "health", help="read-only check of a deployed stack (services, targets, /health, data, alarms, DLQ)",
        description="Check a deployed stack with read-only AWS calls.", epilog=exit_code_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack(parser, help="the deployed stack")
    parser.add_argument("--outputs", type=Path, metavar="FILE.json",
                        help="stack outputs (`pulumi stack output --json`); default: ask the Pulumi CLI")
    parser.add_argument("--url", help="base URL to probe (default: output apiUrl, else http://<albDnsName>)")
    parser.add_argument("--region", type=region_name, help="AWS region (default: the stack file's aws:region)")
    parser.add_argument("--endpoint-url", help="AWS endpoint (e.g. a moto server); AWS_ENDPOINT_URL also works")
    parser.add_argument("--latency-ms", type=_positive, default=LATENCY_BUDGET_MS,
                        help=f"/health latency budget (default {LATENCY_BUDGET_MS:.0f}, the review's)")
    parser.add_argument("--timeout", type=_positive, default=5.0, help="HTTP probe timeout in seconds")
    parser.add_argument("--max-dlq", type=int, default=0, help="dead-letter messages tolerated (default 0)")
    parser.add_argument("--wait", type=_positive, default=0.0, metavar="SECONDS",
                        help="re-check until healthy for up to this long (after a deploy)")
    add_format(parser)
    add_json(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from accunode.command import CommandError, ExitCode, check_outputs, print_error, write_output

    try:
        check_outputs(json=(args.json, (".json",)))
        if args.max_dlq < 0:
            raise CommandError(f"--max-dlq {args.max_dlq}: must be 0 or more")
    except CommandError as error:
        print_error(error)
        return int(error.code)
    try:
        targets = targets_from_outputs(args.stack, load_outputs(args.stack, args.outputs), args.url)
        import boto3
        from botocore.config import Config

        region = args.region or stack_region(args.stack, Path.cwd()) or os.environ.get("AWS_REGION")
        session = boto3.Session(region_name=region)
        config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=15)
        cache: dict[str, Any] = {}

        def clients(service: str) -> Any:
            if service not in cache:
                cache[service] = session.client(service, endpoint_url=args.endpoint_url, config=config)
            return cache[service]

        checks = wait_until_healthy(lambda: run_checks(clients, targets, budget_ms=args.latency_ms,
                                                       timeout=args.timeout, max_dlq=args.max_dlq), args.wait)
    except ConfigError as error:
        print_error(f"accunode health: {error}")
        return int(ExitCode.USAGE)
    except Unreachable as error:
        print_error(f"accunode health: could not check the stack: {error}")
        return int(ExitCode.ERROR)
    if args.json:
        write_output(args.json, render_json(args.stack, checks))
    if args.format == "json" and args.json != "-":
        print(render_json(args.stack, checks))
    elif args.json != "-":
        render_table(args.stack, checks)
    return int(ExitCode.OK if all(c.ok for c in checks) else ExitCode.FAILED)
