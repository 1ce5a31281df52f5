"""Closer to the engine: dry run, custom timeouts, the port line, the venv, invoke answers and the display."""

from __future__ import annotations

import json
import os
import random
import re
import sys
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from accunode.engine.capture import CaptureError, OfflineValues, run_program
from accunode.engine.graph import STACK_TYPE, UNKNOWN_NUMBER, UNKNOWN_STRING, Resource
from accunode.engine.monitor import parse_duration
from accunode.engine.packhost import activate_virtualenv, pack_virtualenv, parse_port
from accunode.engine.report import output_text, resource_tree
from tests.engine.conftest import TEST_PACK, run_preview, run_tiny


# ---- custom timeouts: Go's time.ParseDuration, as generateTimeoutInSeconds -------------------------------
@pytest.mark.parametrize(("text", "seconds"), [
    ("5m", 300), ("1h30m", 5400), ("1.5h", 5400), ("90s", 90), ("300ms", 0.3), ("0", 0), ("2h45m30.5s", 9930.5),
    ("1m1m", 120), (".5s", 0.5), ("1us", 1e-6), ("1µs", 1e-6), ("+1s", 1), ("-1s", -1),
])
def test_custom_timeouts_parse_as_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["5", "1d", "5 m", "m", "1.s.", "", "1h 30m", "5M", "."])
def test_custom_timeouts_go_refuses_fail_with_the_engines_message(text: str) -> None:
    with pytest.raises(ValueError, match=f"^unable to parse customTimeout Value {re.escape(text)}$"):
        parse_duration(text)


def test_a_timeout_the_engine_cannot_parse_fails_the_program() -> None:
    def program() -> None:
        aws.ec2.Vpc("v", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(
            custom_timeouts=pulumi.CustomTimeouts(create="10")))  # "10" without a unit

    with pytest.raises(CaptureError, match=r"^unable to parse customTimeout Value 10$"):
        run_program(program)


# ---- dry run ---------------------------------------------------------------------------------------------
def test_is_dry_run_is_true_in_every_preview_and_false_in_unit_tests() -> None:
    def program() -> None:
        pulumi.export("dryRun", pulumi.runtime.is_dry_run())

    assert run_program(program).outputs["dryRun"] is False  # a unit test of a deployment
    assert run_program(program, dry_run=True).outputs["dryRun"] is True
    assert run_program(program, preview=True).outputs["dryRun"] is True


@pytest.mark.slow
def test_the_preview_runs_the_program_as_a_dry_run() -> None:
    run = run_tiny("-c", "exportDryRun=true", "--json", "-", "--no-cache")
    assert json.loads(run.out)["outputs"]["dryRun"] is True


# ---- the port line: plugin.parsePort -----------------------------------------------------------------------
def test_the_port_line_is_read_as_the_engine_reads_it() -> None:
    assert parse_port("51234\n") == 51234
    assert parse_port("  51234 \r") == 51234
    assert parse_port("\x1b]9;4;3;\x1b\\51234\x1b]9;4;0;\x1b\\") == 51234  # terminal progress escapes
    with pytest.raises(ValueError, match=r'could not parse port: strconv.Atoi: parsing "starting up": invalid syntax'):
        parse_port("starting up")
    with pytest.raises(ValueError, match="invalid port number: 0"):
        parse_port("0")
    with pytest.raises(ValueError, match="invalid port number: 70000"):
        parse_port("70000")


@pytest.mark.slow
def test_a_pack_that_prints_before_its_port_fails_to_boot(tmp_path: Path) -> None:
    pack = tmp_path / "chatty"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.1.0\n")
    (pack / "__main__.py").write_text("print('loading rules...', flush=True)\nimport time\ntime.sleep(30)\n")
    run = run_preview("--stack", "test", "--project-dir", "tests/engine/project", "--policy-pack", str(pack))
    assert run.code == 3
    assert (f'analyzer plugin [{pack}] wrote an invalid port to stdout: could not parse port: strconv.Atoi: '
            'parsing "loading rules...": invalid syntax') in run.out


# ---- the venv: toolchain.ActivateVirtualEnv ----------------------------------------------------------------
def test_packs_run_with_the_venv_activated() -> None:
    env = activate_virtualenv({"PATH": "/usr/bin", "PYTHONHOME": "/x", "VIRTUAL_ENV": "/old", "HOME": "/h"}, "/v")
    assert env == {"PATH": f"/v/bin{os.pathsep}/usr/bin", "VIRTUAL_ENV": "/v", "HOME": "/h"}
    assert activate_virtualenv({}, "/v") == {"PATH": "/v/bin", "VIRTUAL_ENV": "/v"}
    assert activate_virtualenv({"PATH": "/usr/bin"}, None) == {"PATH": "/usr/bin"}
    # Without runtime.options.virtualenv the CLI's python3 is the activated venv's: the one we run in.
    expected = sys.prefix if sys.prefix != sys.base_prefix else None
    assert pack_virtualenv(TEST_PACK) == expected


def test_a_packs_own_virtualenv_option_wins(tmp_path: Path) -> None:
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime:\n  name: python\n  options:\n    virtualenv: venv\n")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(sys.executable)
    assert pack_virtualenv(tmp_path) == str(tmp_path / "venv")


# ---- invoke answers: offline values, configurable and named ---------------------------------------------------
def test_invoke_answers_are_configurable() -> None:
    def program() -> None:
        identity = aws.get_caller_identity()
        zones = aws.get_availability_zones()
        pulumi.export("account", identity.account_id)
        pulumi.export("zones", zones.names)
        pulumi.export("region", aws.get_region().region)
        aws.ecr.Repository("r", name="api")

    offline = OfflineValues(account_id="210987654321", zones=("eu-west-1a", "eu-west-1b"), region="eu-west-1")
    graph = run_program(program, config={"aws:region": "us-east-1"}, offline=offline)
    assert graph.outputs["account"] == "210987654321"
    assert graph.outputs["zones"] == ["eu-west-1a", "eu-west-1b"]
    assert graph.outputs["region"] == "eu-west-1"
    assert graph.find("aws:ecr/repository:Repository").outputs["repositoryUrl"].startswith(
        "210987654321.dkr.ecr.eu-west-1.amazonaws.com/")


@pytest.mark.slow
def test_the_preview_names_its_offline_values_and_refuses_bad_ones() -> None:
    run = run_tiny("--offline-account", "210987654321", "--offline-zones", "us-east-1b,us-east-1c")
    assert run.code == 0
    assert "offline values: account 210987654321, region us-east-1, zones us-east-1b, us-east-1c" in run.out
    bad = run_tiny("--offline-account", "12345")
    assert bad.code == 2 and "--offline-account '12345': an AWS account id is 12 digits" in bad.err


# ---- the display ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_mandatory_violation_prints_diagnostics_and_outputs_but_no_summary() -> None:
    run = run_tiny("-c", "flag=bad")
    assert run.code == 1
    out = run.out
    diagnostics = out.split("Diagnostics:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert diagnostics == ["  pulumi:pulumi:Stack (tinyproj-test):", "    error: preview failed"]
    assert out.index("Policies:") < out.index("Diagnostics:") < out.index("Outputs:")
    assert "Resources:" not in out  # progress.go ends the display after mandatory violations


@pytest.mark.slow
def test_a_passing_preview_prints_outputs_and_the_summary_and_json_has_the_outputs() -> None:
    run = run_tiny()
    assert run.code == 0
    assert "Diagnostics:" not in run.out
    outputs = run.out.split("Outputs:\n", 1)[1].split("\n\n", 1)[0]
    assert outputs.startswith('    vpcId: "vpc-')
    assert run.out.index("Outputs:") < run.out.index("Resources:")
    first = run_tiny("--first-preview", "--json", "-")
    assert json.loads(first.out)["outputs"] == {"vpcId": UNKNOWN_STRING}


def test_outputs_print_unknowns_as_the_engine_does() -> None:
    assert output_text(UNKNOWN_STRING) == "output<string>"
    assert output_text(UNKNOWN_NUMBER) == "output<number>"
    assert output_text({"b": 1, "a": "x"}) == '{\n        a: "x"\n        b: 1\n    }'


def test_the_tree_is_in_the_same_order_whatever_the_registration_order() -> None:
    stack = Resource(urn="urn:s", type=STACK_TYPE, name="p-s", custom=False)
    kids = [Resource(urn=f"urn:{i}", type=t, name=n, custom=True, parent="urn:s")
            for i, (t, n) in enumerate([("aws:ec2/vpc:Vpc", "b"), ("aws:ec2/vpc:Vpc", "a"),
                                        ("aws:s3/bucket:Bucket", "z"), ("aws:ec2/subnet:Subnet", "s")])]
    orders = set()
    for seed in range(5):
        shuffled = [stack, *kids]
        random.Random(seed).shuffle(shuffled)
        orders.add(tuple(r.name for _, r in resource_tree(shuffled)))
    assert orders == {("p-s", "s", "a", "b", "z")}
