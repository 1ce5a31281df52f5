"""One CLI: one exit-code table, the same flags in every command, bad input refused before any work."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from accunode import cli
from accunode.command import EXIT_CODE_MEANINGS, ExitCode, dumps
from tests.cli.conftest import REPO, accunode, assert_refused

LONG_STACK = "s" * 300
COMMANDS = {  # each command, its arguments up to the stack, and what it needs after
    "preview": ["preview"],
    "cost": ["cost"],
    "health": ["health"],
}


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_exit_code_table_is_printed_by_help_and_matches_the_readme() -> None:
    run = accunode("--help")
    assert run.code == 0
    for code in ExitCode:
        assert re.search(rf"^  {int(code)}\s", run.out, re.MULTILINE), f"{code} missing from --help"
    readme = (REPO / "README.md").read_text()
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", readme, re.MULTILINE))
    assert {int(k) for k in rows} == {int(c) for c in ExitCode}, rows
    assert set(EXIT_CODE_MEANINGS) == set(ExitCode)


def test_version_prints_the_package_version() -> None:
    run = accunode("--version")
    assert run.code == 0 and re.fullmatch(r"accunode \d+\.\d+\.\d+\n", run.out), run.out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_spells_the_shared_flags_the_same_way(command: str) -> None:
    options = {opt for action in _subparsers()[command]._actions for opt in action.option_strings}
    assert {"--stack", "-s", "--format", "--json"} <= options, options
    if command in ("preview", "cost"):
        assert {"--config", "-c"} <= options


@pytest.mark.parametrize("argv", [
    ["preview", "--stack", LONG_STACK],
    ["cost", "--stack", LONG_STACK],
    ["cost", "diff", "--base", LONG_STACK, "--head", "prod"],
    ["health", "--stack", LONG_STACK],
    ["preview", "--stack", "Prod"],
    ["preview", "--stack", "a" * 20],  # accunode-<20>-alb is 33 characters, over the load balancer's 32
    ["preview", "--stack", "../prod"],
])
def test_a_stack_name_that_cannot_be_is_refused_first_in_every_command(argv: list[str]) -> None:
    run = accunode(*argv)
    assert_refused(run, "is not allowed; use 1-19 lower-case letters")
    assert len([line for line in run.err.splitlines() if "error:" in line]) == 1


def test_the_longest_allowed_stack_name_builds_the_whole_program(project: Path) -> None:
    from accunode.engine.capture import capture_stack

    name = "a" * 19
    (project / f"Pulumi.{name}.yaml").write_text((project / "Pulumi.prod.yaml").read_text())
    graph = capture_stack(name, project)
    assert len(graph) > 100


def test_an_unexpected_error_is_one_line_with_its_own_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    import accunode.engine.cli as preview_cli

    def boom(args: argparse.Namespace) -> int:
        raise KeyError("surprise")

    monkeypatch.setattr(preview_cli, "handle", boom)
    run = accunode("preview", "--stack", "prod")
    assert run.code == ExitCode.INTERNAL != ExitCode.FAILED
    assert "internal error: KeyError" in run.err and "Traceback" not in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_json_never_holds_infinity_or_nan() -> None:
    text = dumps({"total": float("inf"), "lines": [float("nan"), 1.5]})
    assert json.loads(text) == {"total": None, "lines": [None, 1.5]}
    assert "Infinity" not in text and "NaN" not in text


# ---- outputs are checked before any work ------------------------------------------------------------
@pytest.mark.parametrize(("flag", "value", "needle"), [
    ("--json", "no/such/dir/out.json", "the directory no/such/dir does not exist"),
    ("--json", ".", "is a directory"),
    ("--json", "out.txt", "unsupported extension '.txt'"),
    ("--sarif", "out.csv", "unsupported extension '.csv'"),
])
def test_preview_outputs_are_checked_before_the_work_starts(flag: str, value: str, needle: str,
                                                             project: Path) -> None:
    run = accunode("preview", "--stack", "prod", flag, value)
    assert_refused(run, f"{flag} {value}", needle)
    assert "Loading policy packs" not in run.err and "Running the program" not in run.err


@pytest.mark.parametrize(("argv", "needle"), [
    (["cost", "--stack", "prod", "--chart", "tiers.txt"], "--chart tiers.txt: unsupported extension"),
    (["cost", "--all-tiers", "--chart", "nowhere/tiers.png"], "the directory nowhere does not exist"),
    (["cost", "--stack", "prod", "--json", "-", "--chart", "-"], "only one output can go to stdout"),
    (["cost", "diff", "--base", "dev", "--head", "prod", "--json", "diff.yaml"], "unsupported extension"),
    (["health", "--stack", "prod", "--json", "."], "is a directory"),
    (["prices", "refresh", "--output", "prices.txt"], "--output prices.txt: unsupported extension"),
])
def test_outputs_of_the_other_commands_are_checked_first(argv: list[str], needle: str, project: Path) -> None:
    assert_refused(accunode(*argv), needle)


def test_sarif_dash_writes_the_log_to_stdout_and_carries_the_failure(project: Path) -> None:
    run = accunode("preview", "--stack", "prod", "-c", "accunode:owner=", "--sarif", "-")
    assert run.code == ExitCode.USAGE
    sarif = json.loads(run.out)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert "accunode:owner: empty" in invocation["toolExecutionNotifications"][0]["message"]["text"]


# ---- stack files and settings through the command ---------------------------------------------------
@pytest.mark.parametrize(("stack_file", "needle"), [
    ("config:\n\taccunode:tier: light\n", "Pulumi.prod.yaml:2:1: a tab character"),
    ("- config\n", "Pulumi.prod.yaml:1:1: the top level is a list"),
    ("config: [1, 2\n", "Pulumi.prod.yaml:2:1: expected ',' or ']'"),
    ("config:\n  accunode:environment: prod\n  accunode:imageTag: 014\n",
     "Pulumi.prod.yaml:3:22: accunode:imageTag: 014 is read as the number 12"),
])
@pytest.mark.parametrize("command", ["preview", "cost"])
def test_a_broken_stack_file_is_one_line_in_every_command(stack_file: str, needle: str, command: str,
                                                           project: Path) -> None:
    (project / "Pulumi.prod.yaml").write_text(stack_file)
    assert_refused(accunode(command, "--stack", "prod"), needle)


@pytest.mark.parametrize(("override", "needle"), [
    ("accunode:stack=other", "accunode:stack: not a setting"),
    ("accunode:region=eu-west-1", "accunode:region: not a setting; the region is the AWS provider's"),
    ("accunode:owner=", "accunode:owner: empty"),
    ("accunode:monthlyBudget=inf", "accunode:monthlyBudget: Input should be a finite number"),
    ("accunode:imageTag=v1/latest", "accunode:imageTag: 'v1/latest' is not an image tag ECR accepts"),
    ("accunode:vpcCidr=100.64.0.0/16", "not a private (RFC 1918) range"),
    ('accunode:database={"engineVersion": "16.99"}', "accunode:database.engineVersion: PostgreSQL '16.99'"),
    ("accunode:certificateArn=arn:aws:acm:eu-west-1:123456789012:certificate/0a1b",
     "accunode:certificateArn: the certificate is in eu-west-1 but the stack deploys to us-east-1"),
    ('accunode:tags={"Name": "x"}', "accunode:tags: Name: set by the program"),
    ("bad-override", "--config expects KEY=VALUE"),
])
@pytest.mark.parametrize("command", ["preview", "cost"])
def test_invalid_settings_are_refused_before_any_work_in_every_command(override: str, needle: str, command: str,
                                                                        project: Path) -> None:
    run = accunode(command, "--stack", "prod", "-c", override)
    assert_refused(run, needle)
    assert "Running the program" not in run.err


def test_a_misspelled_required_key_is_reported_as_the_typo(project: Path) -> None:
    stack = (project / "Pulumi.prod.yaml").read_text().replace("accunode:alertEmail:", "accunode:alertEmial:")
    (project / "Pulumi.prod.yaml").write_text(stack)
    run = accunode("preview", "--stack", "prod")
    assert_refused(run, "accunode:alertEmial: unknown key; did you mean alertEmail?")
    assert "alertEmail: required" not in run.err


def test_a_non_utf8_policy_pack_config_is_one_line(project: Path) -> None:
    (project / "strict.json").write_bytes(b'{"all": "mandat\xff"}')
    pack = REPO / "policies" / "security"
    run = accunode("preview", "--stack", "prod", "--policy-pack", str(pack), "--policy-pack-config", "strict.json")
    assert_refused(run, "strict.json:1:16: not UTF-8 text")
    assert "Loading policy packs" not in run.err


# ---- health ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("outputs", "needle"), [
    ("[1, 2]", "stack outputs must be a JSON object"),
    ('"prod"', "stack outputs must be a JSON object"),
    ("{not json", "outputs.json:1:2: invalid JSON"),
])
def test_health_refuses_outputs_that_are_not_a_mapping(outputs: str, needle: str, tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(outputs)
    assert_refused(accunode("health", "--stack", "prod", "--outputs", str(path)), needle)


def test_health_says_aws_is_unreachable_instead_of_unhealthy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto's convention: not a credential
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    outputs = {"clusterName": "accunode-prod", "serviceNames": {"api": "accunode-prod-api"},
               "targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1",
               "albDnsName": "127.0.0.1:9", "dbIdentifier": "accunode-prod-db",
               "redisReplicationGroupId": "accunode-prod-redis",
               "dlqUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/accunode-prod-dlq"}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    run = accunode("health", "--stack", "prod", "--outputs", str(path), "--region", "us-east-1",
                   "--endpoint-url", "http://127.0.0.1:9")
    assert_refused(run, "could not check the stack", "AWS could not be reached", code=ExitCode.ERROR)
    assert "UNHEALTHY" not in run.out


def test_a_broken_policy_pack_project_file_is_bad_input(project: Path) -> None:
    (project / "pack").mkdir()
    (project / "pack" / "PulumiPolicy.yaml").write_text("runtime: [python\n")
    run = accunode("preview", "--stack", "prod", "--policy-pack", "pack")
    assert_refused(run, "pack/PulumiPolicy.yaml:2:1: expected ',' or ']'")


def test_cost_of_every_tier_reads_the_reference_stack_first(project: Path) -> None:
    (project / "Pulumi.prod.yaml").write_text("config:\n  accunode:environment: prod\n  accunode:waf: yes\n")
    assert_refused(accunode("cost", "--all-tiers"), "Pulumi.prod.yaml:3:17: accunode:waf: yes is read as true")
    assert_refused(accunode("cost", "--all-tiers", "-c", "accunode:waf=true"), "--config does not apply to --all-tiers")


@pytest.mark.parametrize("argv", [["health", "--stack", "prod", "--region", "mars"],
                                  ["prices", "refresh", "--region", "US East"]])
def test_a_region_flag_that_is_not_a_region_is_refused_before_any_call(argv: list[str]) -> None:
    assert_refused(accunode(*argv), "is not an AWS region name")
