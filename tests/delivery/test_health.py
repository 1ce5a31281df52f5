"""``accunode health`` against moto's server on 127.0.0.1 (resources created through boto3) and a tiny
local HTTP server for ``/health``; the judges on hand-written responses for what moto cannot produce
(a failed deployment, a Redis group that is not available)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from accunode import health
from accunode.cli import main

REGION = "us-east-1"
STACK = "prod"
GENEROUS_MS = 10_000.0  # the healthy cases must not depend on this machine's load


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class _Health(BaseHTTPRequestHandler):
    delay = 0.0
    status = 200

    def do_GET(self) -> None:
        time.sleep(self.server.delay)  # type: ignore[attr-defined]
        self.send_response(self.server.status if self.path == "/health" else 404)  # type: ignore[attr-defined]
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def app() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    server.delay, server.status = 0.0, 200  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # moto reports this many running tasks for services created from now on (read in this process).
    monkeypatch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")


def _stack(endpoint: str, name: str, *, api_desired: int = 1) -> dict[str, Any]:
    """A healthy stack named ``accunode-<name>`` in moto; returns its outputs as the program exports them."""
    client = lambda service: boto3.client(service, region_name=REGION, endpoint_url=endpoint)  # noqa: E731
    prefix = f"accunode-{name}"
    ecs = client("ecs")
    ecs.create_cluster(clusterName=prefix)
    ecs.register_task_definition(family=f"{prefix}-api", containerDefinitions=[
        {"name": "api", "image": "api:1", "memory": 512}])
    services = {}
    for role, desired in (("api", api_desired), ("worker", 1)):
        services[role] = f"{prefix}-{role}"
        ecs.create_service(cluster=prefix, serviceName=services[role], taskDefinition=f"{prefix}-api",
                           desiredCount=desired)
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{REGION}{z}")
               ["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    elbv2 = client("elbv2")
    lb = elbv2.create_load_balancer(Name=f"{prefix}-alb", Subnets=subnets)["LoadBalancers"][0]
    tg = elbv2.create_target_group(Name=f"{prefix}-api", Protocol="HTTP", Port=8000, VpcId=vpc,
                                   TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": "10.0.0.10", "Port": 8000}])
    client("rds").create_db_instance(DBInstanceIdentifier=f"{prefix}-db", DBInstanceClass="db.t3.small",
                                     Engine="postgres", MasterUsername="accunode", MasterUserPassword="x" * 16,
                                     AllocatedStorage=20)
    client("elasticache").create_replication_group(
        ReplicationGroupId=f"{prefix}-redis", ReplicationGroupDescription="redis", Engine="redis",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1)
    cloudwatch = client("cloudwatch")
    alarms = [f"{prefix}-{alarm_id}" for alarm_id in ("alb-5xx-rate", "dlq-messages")]
    for alarm in alarms:
        cloudwatch.put_metric_alarm(AlarmName=alarm, MetricName="M", Namespace="AWS/ApplicationELB",
                                    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                                    ComparisonOperator="GreaterThanThreshold")
        cloudwatch.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="test")
    dlq = client("sqs").create_queue(QueueName=f"{prefix}-jobs-dlq")["QueueUrl"]
    return {"clusterName": prefix, "serviceNames": services, "targetGroupArn": tg, "albDnsName": lb["DNSName"],
            "dbIdentifier": f"{prefix}-db", "redisReplicationGroupId": f"{prefix}-redis", "dlqUrl": dlq,
            "alarmNames": alarms}


def _run(tmp_path: Path, endpoint: str, outputs: dict[str, Any], app: ThreadingHTTPServer,
         *extra: str, latency_ms: float = GENEROUS_MS) -> tuple[Path, list[str]]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    host, port = app.server_address[:2]
    stack = outputs["clusterName"].removeprefix("accunode-")
    return path, ["health", "--stack", stack, "--outputs", str(path), "--endpoint-url", endpoint,
                  "--region", REGION, "--url", f"http://{host}:{port}", "--latency-ms", str(latency_ms),
                  "--json", *extra]


def _health(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict[str, Any]]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


def _failing(report: dict[str, Any]) -> list[str]:
    return [c["name"] for c in report["checks"] if not c["ok"]]


@pytest.fixture
def check(tmp_path: Path, moto_endpoint: str, app: ThreadingHTTPServer, aws_env: None,
          capsys: pytest.CaptureFixture[str]):
    """``check(stack_name, **stack_kwargs, extra=(), latency_ms=...)``: create a stack, run the command."""
    def run(name: str, *, extra: tuple[str, ...] = (), latency_ms: float = GENEROUS_MS,
            prepare: Callable[[dict[str, Any]], Any] | None = None, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        outputs = _stack(moto_endpoint, name, **kwargs)
        if prepare:
            prepare(outputs)
        _, argv = _run(tmp_path, moto_endpoint, outputs, app, *extra, latency_ms=latency_ms)
        return _health(capsys, argv)
    return run


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


def test_health_reports_a_healthy_stack_and_exits_zero(check) -> None:
    code, report = check("healthy")
    assert code == 0, _failing(report)
    assert report["healthy"] is True
    names = [c["name"] for c in report["checks"]]
    assert {"ECS service accunode-healthy-api", "ECS service accunode-healthy-worker", "ALB targets",
            "RDS accunode-healthy-db", "Redis accunode-healthy-redis", "CloudWatch alarms",
            "DLQ accunode-healthy-jobs-dlq"} <= set(names)
    assert any(n.startswith("GET http://127.0.0.1:") and n.endswith("/health") for n in names)


def test_health_fails_when_a_service_runs_fewer_tasks_than_desired(check) -> None:
    code, report = check("short", api_desired=3)
    assert code == 1
    assert _failing(report) == ["ECS service accunode-short-api"]
    assert "running 1/3" in report["checks"][0]["detail"]


def test_health_fails_when_an_alarm_is_in_alarm(check, moto_endpoint: str) -> None:
    def fire(outputs: dict[str, Any]) -> None:
        _client(moto_endpoint, "cloudwatch").set_alarm_state(
            AlarmName="accunode-alarming-alb-5xx-rate", StateValue="ALARM", StateReason="5xx")
    code, report = check("alarming", prepare=fire)
    assert code == 1
    assert _failing(report) == ["CloudWatch alarms"]
    assert "accunode-alarming-alb-5xx-rate" in next(c["detail"] for c in report["checks"] if not c["ok"])


def test_health_fails_when_an_exported_alarm_is_missing(check) -> None:
    code, report = check("unwatched", prepare=lambda o: o["alarmNames"].append("accunode-unwatched-gone"))
    assert code == 1 and _failing(report) == ["CloudWatch alarms"]


def test_health_fails_when_the_dead_letter_queue_holds_messages(check, moto_endpoint: str) -> None:
    def dead_letter(outputs: dict[str, Any]) -> None:
        _client(moto_endpoint, "sqs").send_message(QueueUrl=outputs["dlqUrl"], MessageBody="{}")
    code, report = check("dead", prepare=dead_letter)
    assert code == 1
    assert _failing(report) == ["DLQ accunode-dead-jobs-dlq"]


def test_health_tolerates_dead_letters_up_to_max_dlq(check, moto_endpoint: str) -> None:
    def dead_letter(outputs: dict[str, Any]) -> None:
        _client(moto_endpoint, "sqs").send_message(QueueUrl=outputs["dlqUrl"], MessageBody="{}")
    code, _ = check("tolerant", prepare=dead_letter, extra=("--max-dlq", "1"))
    assert code == 0


def test_health_fails_when_health_is_slower_than_the_budget(check, app: ThreadingHTTPServer) -> None:
    app.delay = 0.3  # type: ignore[attr-defined]
    code, report = check("slow", latency_ms=200)
    assert code == 1
    failing = [c for c in report["checks"] if not c["ok"]]
    assert len(failing) == 1 and failing[0]["name"].endswith("/health") and "budget 200 ms" in failing[0]["detail"]


def test_health_fails_when_health_answers_an_error(check, app: ThreadingHTTPServer) -> None:
    app.status = 503  # type: ignore[attr-defined]
    code, report = check("erroring")
    assert code == 1 and any(c["detail"] == "HTTP 503" for c in report["checks"])


def test_health_fails_when_the_database_is_stopped(check, moto_endpoint: str) -> None:
    def stop(outputs: dict[str, Any]) -> None:
        _client(moto_endpoint, "rds").stop_db_instance(DBInstanceIdentifier=outputs["dbIdentifier"])
    code, report = check("stopped", prepare=stop)
    assert code == 1 and _failing(report) == ["RDS accunode-stopped-db"]


def test_health_fails_when_no_target_is_registered(check, moto_endpoint: str) -> None:
    def drain(outputs: dict[str, Any]) -> None:
        _client(moto_endpoint, "elbv2").deregister_targets(TargetGroupArn=outputs["targetGroupArn"],
                                                           Targets=[{"Id": "10.0.0.10", "Port": 8000}])
    code, report = check("empty", prepare=drain)
    assert code == 1 and _failing(report) == ["ALB targets"]


def test_health_reports_a_missing_resource_as_unhealthy_not_a_crash(check) -> None:
    code, report = check("gone", prepare=lambda o: o.update(redisReplicationGroupId="accunode-gone-nothing"))
    assert code == 1 and _failing(report) == ["Redis"]


def test_health_prints_a_table_by_default(tmp_path: Path, moto_endpoint: str, app: ThreadingHTTPServer,
                                          aws_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    _, argv = _run(tmp_path, moto_endpoint, _stack(moto_endpoint, "table"), app)
    assert main([a for a in argv if a != "--json"]) == 0
    out = capsys.readouterr().out
    assert "accunode health: table" in out and "RDS accunode-table-db" in out and "UNHEALTHY" not in out


# ---- configuration errors: exit 2 -------------------------------------------------------------------
def test_health_exits_two_when_outputs_are_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"clusterName": "accunode-prod"}))
    assert main(["health", "--stack", "prod", "--outputs", str(path)]) == 2
    err = capsys.readouterr().err
    assert "targetGroupArn" in err and "dlqUrl" in err


def test_health_exits_two_without_outputs_or_pulumi_cli(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(health.shutil, "which", lambda name: None)
    assert main(["health", "--stack", "prod"]) == 2
    assert "--outputs" in capsys.readouterr().err


# ---- judges on responses moto cannot produce -------------------------------------------------------
def _service(**overrides: Any) -> dict[str, Any]:
    service = {"serviceName": "accunode-prod-api", "status": "ACTIVE", "runningCount": 2, "desiredCount": 2,
               "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": "COMPLETED"}]}
    return {**service, **overrides}


def test_judge_service_passes_a_completed_deployment() -> None:
    assert health.judge_service(_service()).ok


def test_judge_service_flags_a_failed_deployment_as_rolling_back() -> None:
    check = health.judge_service(_service(deployments=[
        {"id": "ecs-svc/2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"},
        {"id": "ecs-svc/3", "status": "ACTIVE", "rolloutState": "FAILED",
         "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start."}]))
    assert not check.ok and "ecs-svc/3 FAILED, rolling back" in check.detail and "circuit breaker" in check.detail


def test_judge_service_flags_a_deployment_in_progress() -> None:
    check = health.judge_service(_service(deployments=[{"id": "ecs-svc/2", "status": "PRIMARY",
                                                        "rolloutState": "IN_PROGRESS"}]))
    assert not check.ok and "in progress" in check.detail


def test_judge_service_accepts_a_service_scaled_to_zero() -> None:
    check = health.judge_service(_service(runningCount=0, desiredCount=0))
    assert check.ok and check.detail == "scaled to zero"


def test_judge_redis_requires_a_serving_state() -> None:
    assert health.judge_redis({"ReplicationGroupId": "r", "Status": "available"}).ok
    assert not health.judge_redis({"ReplicationGroupId": "r", "Status": "modifying"}).ok


def test_judge_targets_rejects_unhealthy_targets_next_to_healthy_ones() -> None:
    states = [{"TargetHealth": {"State": "healthy"}}, {"TargetHealth": {"State": "unhealthy"}}]
    assert not health.judge_targets(states).ok
    assert health.judge_targets([*states[:1], {"TargetHealth": {"State": "draining"}}]).ok


def test_judge_probe_uses_the_median_against_the_documents_200_ms() -> None:
    assert health.LATENCY_BUDGET_MS == 200
    assert health.judge_probe("u", 200, [50, 900, 120], health.LATENCY_BUDGET_MS).ok
    assert not health.judge_probe("u", 200, [250, 260, 90], health.LATENCY_BUDGET_MS).ok


def test_wait_until_healthy_retries_until_every_check_passes() -> None:
    results = iter([[health.Check("a", False, "")], [health.Check("a", True, "")]])
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds
    checks = health.wait_until_healthy(lambda: next(results), 60, interval=15, clock=lambda: now[0], sleep=sleep)
    assert checks[0].ok and slept == [15]


def test_wait_until_healthy_gives_up_at_the_deadline() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds
    checks = health.wait_until_healthy(lambda: [health.Check("a", False, "")], 20, interval=15,
                                       clock=lambda: now[0], sleep=sleep)
    assert not checks[0].ok and now[0] == 20


def test_the_program_exports_every_output_health_reads(stack_graph: Callable[..., Any]) -> None:
    outputs = stack_graph("prod").outputs
    assert set(health.OUTPUTS.values()) <= set(outputs), sorted(set(health.OUTPUTS.values()) - set(outputs))
    assert set(outputs["serviceNames"]) == {"api", "worker"}
    targets = health.targets_from_outputs("prod", {**outputs, "albDnsName": "alb.example"})
    assert targets.alarm_prefix == "accunode-prod-"
    assert all(name.startswith(targets.alarm_prefix) for name in targets.alarm_names)


# ---- the API's progressive release: moto does not model service deployments
# (ListServiceDeployments is "not implemented"), so botocore's Stubber answers, checking every request
# and response against the ECS and ELBv2 models -------------------------------------------------------
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
DEPLOYMENT_ARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/accunode-prod/accunode-prod-api/d1"
RULE_ARN = ("arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/accunode-prod-alb/50dc6c495c0c9188/"
            "f2f7dc8efc522ab2/9683b2d02a6cabee")


def _tg(name: str) -> str:
    return f"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{name}/73e2d6bc24d8a067"


def _release_targets(strategy: str = "blue-green") -> health.Targets:
    return health.Targets(cluster="accunode-prod", services=("accunode-prod-api", "accunode-prod-worker"),
                          target_group_arn=_tg("api"), url="https://api.example", db_identifier="db",
                          redis_group_id="redis", dlq_url="https://sqs/dlq", alarm_prefix="accunode-prod-",
                          api_service="accunode-prod-api", release_strategy=strategy)


def _stubbed_release(deployment: dict[str, Any], weights: tuple[int, int] | None) -> list[health.Check]:
    from botocore.stub import Stubber

    ecs = boto3.client("ecs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    elbv2 = boto3.client("elbv2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecs) as ecs_stub, Stubber(elbv2) as elb_stub:
        ecs_stub.add_response("list_service_deployments", {"serviceDeployments": [
            {"serviceDeploymentArn": DEPLOYMENT_ARN, "createdAt": NOW - 30 * MINUTE, "status": deployment["status"]}]},
            {"cluster": "accunode-prod", "service": "accunode-prod-api", "maxResults": 5})
        ecs_stub.add_response("describe_service_deployments", {"serviceDeployments": [
            {"serviceDeploymentArn": DEPLOYMENT_ARN, **deployment}]}, {"serviceDeploymentArns": [DEPLOYMENT_ARN]})
        ecs_stub.add_response("describe_services", {"services": [{"serviceName": "accunode-prod-api", "loadBalancers": [
            {"targetGroupArn": _tg("api"), "containerName": "api", "containerPort": 8000, "advancedConfiguration": {
                "alternateTargetGroupArn": _tg("api-alt"), "productionListenerRule": RULE_ARN,
                "roleArn": "arn:aws:iam::123456789012:role/accunode-prod-ecs-traffic"}}]}]},
            {"cluster": "accunode-prod", "services": ["accunode-prod-api"]})
        if weights is not None:
            elb_stub.add_response("describe_rules", {"Rules": [{"RuleArn": RULE_ARN, "Actions": [
                {"Type": "forward", "ForwardConfig": {"TargetGroups": [
                    {"TargetGroupArn": _tg("api"), "Weight": weights[0]},
                    {"TargetGroupArn": _tg("api-alt"), "Weight": weights[1]}]}}]}]}, {"RuleArns": [RULE_ARN]})
        checks = health.release_checks(ecs, elbv2, _release_targets(), now=NOW)
        ecs_stub.assert_no_pending_responses()
        elb_stub.assert_no_pending_responses()
    return checks


def test_health_reports_a_release_baking_with_the_time_left() -> None:
    (check,) = _stubbed_release({"status": "IN_PROGRESS", "lifecycleStage": "BAKE_TIME", "updatedAt": NOW - 5 * MINUTE,
                                 "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 15}},
                                (0, 100))
    assert not check.ok and check.name == "API release (blue-green)"
    assert check.detail == ("deployment d1 in progress, stage BAKE_TIME; production traffic: api 0 %, api-alt 100 %; "
                            "about 10 of 15 bake minutes left")


def test_health_reports_a_canary_step_by_the_production_rules_split() -> None:
    (check,) = _stubbed_release({"status": "IN_PROGRESS", "lifecycleStage": "PRODUCTION_TRAFFIC_SHIFT",
                                 "updatedAt": NOW - MINUTE}, (90, 10))
    assert not check.ok
    assert "stage PRODUCTION_TRAFFIC_SHIFT; production traffic: api 90 %, api-alt 10 %" in check.detail


def test_health_reports_a_rollback_that_happened() -> None:
    (check,) = _stubbed_release({"status": "ROLLBACK_SUCCESSFUL", "finishedAt": NOW - 20 * MINUTE, "rollback": {
        "reason": "alarm accunode-prod-alb-5xx-rate in ALARM", "startedAt": NOW - 25 * MINUTE}}, (100, 0))
    assert not check.ok
    assert check.detail.startswith("deployment d1 ROLLBACK_SUCCESSFUL 0 h ago: alarm accunode-prod-alb-5xx-rate in "
                                   "ALARM; production traffic stays on the previous revision")


def test_an_old_rollback_is_noted_but_no_longer_fails_and_a_completed_release_passes() -> None:
    old = health.judge_release({"status": "ROLLBACK_SUCCESSFUL", "finishedAt": NOW - 48 * 60 * MINUTE,
                                "statusReason": "circuit breaker"}, "canary", NOW)
    assert old.ok and "48 h ago: circuit breaker" in old.detail
    (done,) = _stubbed_release({"status": "SUCCESSFUL", "finishedAt": NOW - MINUTE}, (0, 100))
    assert done.ok and done.detail == "deployment d1 completed; production traffic: api 0 %, api-alt 100 %"
    stopped = health.judge_release({"status": "STOPPED", "serviceDeploymentArn": DEPLOYMENT_ARN}, "linear", NOW)
    assert not stopped.ok and "STOPPED: stopped by hand" in stopped.detail


def test_a_rolling_api_asks_nothing_about_service_deployments() -> None:
    from botocore.stub import Stubber

    ecs = boto3.client("ecs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ecs):  # any call would fail: no response is queued
        assert health.release_checks(ecs, None, _release_targets("rolling"), now=NOW) == []


def test_health_reads_the_release_strategy_from_the_outputs(stack_graph: Callable[..., Any]) -> None:
    outputs = {**stack_graph("prod").outputs, "albDnsName": "alb.example"}
    targets = health.targets_from_outputs("prod", outputs)
    assert (targets.release_strategy, targets.api_service) == ("blue-green", "accunode-prod-api")
    assert health.targets_from_outputs("dev", {**stack_graph("dev").outputs, "albDnsName": "x"}).release_strategy == \
        "rolling"
    with pytest.raises(health.ConfigError, match="apiDeployment must be an object"):
        health.targets_from_outputs("prod", {**outputs, "apiDeployment": "blue-green"})


def test_targets_serving_from_the_alternate_group_after_a_release_are_healthy(moto_endpoint: str,
                                                                              aws_env: None) -> None:
    outputs = _stack(moto_endpoint, "bluegreen")
    elbv2 = _client(moto_endpoint, "elbv2")
    vpc = elbv2.describe_target_groups(TargetGroupArns=[outputs["targetGroupArn"]])["TargetGroups"][0]["VpcId"]
    alternate = elbv2.create_target_group(Name="accunode-bluegreen-api-alt", Protocol="HTTP", Port=8000, VpcId=vpc,
                                          TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    # The release moved the tasks: the first group is empty, the alternate one serves.
    elbv2.deregister_targets(TargetGroupArn=outputs["targetGroupArn"], Targets=[{"Id": "10.0.0.10", "Port": 8000}])
    elbv2.register_targets(TargetGroupArn=alternate, Targets=[{"Id": "10.0.1.10", "Port": 8000}])
    one_group = health.targets_from_outputs("bluegreen", outputs)
    assert not health.target_checks(elbv2, one_group)[0].ok  # judged on the first group alone: empty
    both = health.targets_from_outputs("bluegreen", {**outputs, "apiDeployment": {
        "strategy": "blue-green", "bakeMinutes": 15, "alternateTargetGroupArn": alternate}})
    (check,) = health.target_checks(elbv2, both)
    assert check.ok, check.detail
