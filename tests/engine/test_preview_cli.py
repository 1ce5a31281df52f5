"""``accunode preview`` end to end on a tiny program and the test pack: real pack processes over gRPC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.conftest import run_preview, run_tiny

pytestmark = pytest.mark.slow


def test_a_clean_program_passes_with_exit_0() -> None:
    run = run_tiny()
    assert run.code == 0, run.out + run.err
    assert "✅ accunode-test-pack@v1.2.3 (local: tests/engine/packs/testpack)" in run.out
    assert "Preview passed" in run.out.splitlines()[-1]


def test_a_mandatory_violation_fails_with_exit_1_and_names_the_policy_and_resource() -> None:
    run = run_tiny("-c", "flag=bad")
    assert run.code == 1
    assert "❌ accunode-test-pack@v1.2.3" in run.out
    # The pack reports version 0.0.1 and a HIGH severity; the yaml version wins.
    assert "- [mandatory] [severity: high]  flagged-resource  (tiny:index:Thing: thing)" in run.out
    assert "          Resources must not carry the forbidden flag.\n          flag is bad" in run.out
    assert "Preview failed: 1 mandatory policy violation (flagged-resource)" in run.out


def test_advisory_violations_warn_but_exit_0() -> None:
    run = run_tiny("-c", "note=check me")
    assert run.code == 0
    assert "⚠️ accunode-test-pack@v1.2.3" in run.out
    assert "- [advisory]  noted-resource  (tiny:index:Thing: thing)" in run.out


def test_stack_policy_diagnostics_outside_the_stack_are_attributed_to_the_stack() -> None:
    run = run_tiny("-c", "ghostFlag=true", "-c", "stackFlag=bad")
    assert run.code == 1
    assert "stack-limit  (pulumi:pulumi:Stack: tinyproj-test)\n          No resource may carry a bad stackFlag.\n" \
           "          reported against a resource that is not in the stack" in run.out
    assert "stack-limit  (tiny:index:Thing: thing)" in run.out


def test_first_preview_turns_unknown_reads_into_an_advisory_with_the_policy_severity() -> None:
    run = run_tiny("--first-preview")
    assert run.code == 0
    assert "- [advisory] [severity: low]  reads-arn  (tiny:index:Thing: thing)\n          can't run policy " \
           "'reads-arn' from policy pack 'accunode-test-pack@v0.0.1' during preview: string value at .arn can't " \
           "be known during preview" in run.out


def test_a_policy_that_raises_is_a_crash_with_exit_3_not_a_violation() -> None:
    run = run_tiny("-c", "explode=true")
    assert run.code == 3
    assert "error: policy pack testpack failed: failed to run policy: rpc error: code = UNKNOWN" in run.out
    assert "boom: the policy itself failed" in run.out
    assert "Preview failed" in run.out.splitlines()[-1]


def test_a_pack_process_that_exits_is_a_crash_with_exit_3() -> None:
    run = run_tiny("-c", "die=true")
    assert run.code == 3
    assert "the pack process exited with code 7" in run.out


def test_a_failing_program_prints_its_message_without_traceback_and_exits_3() -> None:
    run = run_tiny("-c", "fail=true")
    assert run.code == 3
    assert "error: invalid stack settings: tinyproj:fail must not be set" in run.out
    assert "Traceback" not in run.out + run.err


def test_policy_config_file_overrides_levels_and_properties(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"all": "advisory", "flagged-resource": {"label": "from-file"}}))
    run = run_tiny("-c", "flag=bad", "--policy-pack-config", str(config))
    assert run.code == 0  # "all": advisory downgraded the mandatory policy
    # forbiddenFlag from the schema default, label from the file, limit from the pack's initial config.
    assert "- [advisory] [severity: high]  flagged-resource  (tiny:index:Thing: thing)" in run.out
    assert "flag is bad (label from-file, limit 5.0)" in run.out


def test_invalid_policy_config_aborts_before_analysis_with_the_engine_message(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"flagged-resource": {"forbiddenFlag": 3, "limit": 0}}))
    run = run_tiny("-c", "flag=bad", "--policy-pack-config", str(config))
    assert run.code == 2
    assert run.err.splitlines()[-2:] == [
        "error: validating policy config: accunode-test-pack 1.2.3  flagged-resource: forbiddenFlag: Invalid type. "
        "Expected: string, given: integer",
        "error: validating policy config: accunode-test-pack 1.2.3  flagged-resource: limit: Must be greater than or "
        "equal to 1",
    ]
    assert "Policies:" not in run.out


def test_unknown_stack_and_missing_pack_are_usage_errors() -> None:
    assert run_tiny("--stack", "nope").code == 2
    missing = run_preview("--stack", "test", "--project-dir", "tests/engine/project", "--policy-pack", "no/such/pack")
    assert missing.code == 2
    assert "no policy pack (PulumiPolicy.yaml) at no/such/pack" in missing.err


def test_json_and_sarif_outputs_describe_the_same_violations(tmp_path: Path) -> None:
    json_file, sarif_file = tmp_path / "preview.json", tmp_path / "preview.sarif"
    run = run_tiny("-c", "flag=bad", "-c", "note=n", "--json", str(json_file), "--sarif", str(sarif_file))
    assert run.code == 1
    data = json.loads(json_file.read_text())
    assert data["verdict"] == {"status": "failed", "exitCode": 1, "mandatory": 1, "advisory": 1,
                               "message": data["verdict"]["message"]}
    assert {(d["policy"], d["enforcementLevel"], d["resourceName"]) for d in data["diagnostics"]} == {
        ("flagged-resource", "mandatory", "thing"), ("noted-resource", "advisory", "thing")}
    assert [r["name"] for r in data["resources"]] == ["tinyproj-test", "box", "box-vpc", "box-subnet", "thing"]
    sarif = json.loads(sarif_file.read_text())
    results = sarif["runs"][0]["results"]
    assert {(r["ruleId"], r["level"]) for r in results} == {
        ("accunode-test-pack/flagged-resource", "error"), ("accunode-test-pack/noted-resource", "warning")}
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    location = results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location == "Pulumi.test.yaml"  # a top-level resource: no component file to point at


def test_policy_pack_config_needs_one_file_per_explicit_pack(tmp_path: Path) -> None:
    config = tmp_path / "policy.json"
    config.write_text("{}")
    without_pack = run_preview("--stack", "test", "--project-dir", "tests/engine/project",
                               "--policy-pack-config", str(config))
    assert without_pack.code == 2
    assert '"--policy-pack-config" must be specified with "--policy-pack"' in without_pack.err
    mismatch = run_tiny("--policy-pack-config", str(config), "--policy-pack-config", str(config))
    assert mismatch.code == 2
    assert 'the number of "--policy-pack-config" flags must match' in mismatch.err


def test_a_pack_that_fails_to_start_is_a_crash_with_its_traceback(tmp_path: Path) -> None:
    pack = tmp_path / "broken-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.1.0\n")
    (pack / "__main__.py").write_text("raise ImportError('no module named accunode_rules')\n")
    run = run_preview("--stack", "test", "--project-dir", "tests/engine/project", "--policy-pack", str(pack))
    assert run.code == 3
    # The engine's words (plugin.go): the port line never came.
    assert f"error: policy pack broken-pack failed: could not read plugin [{pack}]: exit status 1" in run.out
    assert "Diagnostics:" in run.out and "Outputs:" not in run.out and "Resources:" not in run.out
    assert "ImportError: no module named accunode_rules" in run.out  # the pack's stderr, shown under the error


def test_a_failing_program_never_looks_green(tmp_path: Path) -> None:
    json_file, sarif_file = tmp_path / "preview.json", tmp_path / "preview.sarif"
    run = run_tiny("-c", "fail=true", "--json", str(json_file), "--sarif", str(sarif_file))
    assert run.code == 3
    policies = run.out.split("Policies:", 1)[1].split("\n\n", 1)[0]
    assert "✅" not in policies and "⛔" in policies and "not run on the whole stack" in policies
    data = json.loads(json_file.read_text())
    assert data["policyPacksRan"] is False and {p["status"] for p in data["policyPacks"]} == {"not-run"}
    assert data["verdict"]["status"] == "error"
    invocation = json.loads(sarif_file.read_text())["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 3
    assert "tinyproj:fail must not be set" in invocation["toolExecutionNotifications"][0]["message"]["text"]


def test_a_passing_preview_says_its_packs_ran(tmp_path: Path) -> None:
    json_file, sarif_file = tmp_path / "preview.json", tmp_path / "preview.sarif"
    assert run_tiny("--json", str(json_file), "--sarif", str(sarif_file)).code == 0
    assert json.loads(json_file.read_text())["policyPacksRan"] is True
    invocation = json.loads(sarif_file.read_text())["runs"][0]["invocations"][0]
    assert invocation == {"executionSuccessful": True, "exitCode": 0}


def test_a_config_too_large_for_one_environment_variable_reaches_the_packs() -> None:
    # Linux refuses one variable over 128 KiB; the cost pack reads the stack's settings from PULUMI_CONFIG,
    # so a pass means the whole config arrived.
    run = run_preview("--stack", "prod", "--no-cache", "-c", "notes:blob=" + "x" * 200_000)
    assert run.code == 0, run.out + run.err
    assert "Argument list too long" not in run.out + run.err


def test_only_a_large_config_travels_through_a_file(tmp_path: Path) -> None:
    from accunode.engine.analyzer import CONFIG_ENV_LIMIT, PolicyPackHost

    host = PolicyPackHost(tmp_path, {})
    env, module = host._large_config({"PULUMI_CONFIG": '{"a:b": "c"}'})
    assert module == ["-m", "pulumi.policy"] and env["PULUMI_CONFIG"] == '{"a:b": "c"}'
    big = '{"a:b": "' + "x" * CONFIG_ENV_LIMIT + '"}'
    env, module = host._large_config({"PULUMI_CONFIG": big})
    assert module[0] == "-c" and "PULUMI_CONFIG" not in env
    path = Path(env["ACCUNODE_PULUMI_CONFIG_FILE"])
    assert path.read_text() == big and (path.stat().st_mode & 0o077) == 0
    host.close()
    assert not path.exists()
