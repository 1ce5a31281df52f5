"""The GitHub Actions workflows: valid against GitHub's workflow schema (vendored by check-jsonschema),
no zizmor findings offline, and the delivery rules the issue sets (pinned actions, least privilege,
OIDC only where it deploys, both policy packs, one deployment at a time)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = Path(sys.executable).parent
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
STACKS = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); put it back.
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _tool(name: str) -> Path:
    tool = BIN / name
    if not tool.exists():
        pytest.fail(f"{name} is not installed in the venv: pip install -e '.[dev]'")
    return tool


def _zizmor(target: Path) -> list[dict[str, Any]]:
    result = subprocess.run([str(_tool("zizmor")), "--offline", "--format", "json", str(target)],
                            capture_output=True, text=True, check=False)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def pull_request() -> dict[str, Any]:
    return _load(WORKFLOWS / "pull-request.yml")


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return _load(WORKFLOWS / "deploy.yml")


def test_workflows_exist() -> None:
    assert [p.name for p in FILES] == ["deploy.yml", "pull-request.yml"]


def test_workflows_match_githubs_workflow_schema() -> None:
    result = subprocess.run([str(_tool("check-jsonschema")), "--builtin-schema", "vendor.github-workflows",
                             *map(str, FILES)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_config_matches_its_schema() -> None:
    result = subprocess.run([str(_tool("check-jsonschema")), "--builtin-schema", "vendor.dependabot",
                             str(ROOT / ".github" / "dependabot.yml")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps: []\n")  # no runs-on
    result = subprocess.run([str(_tool("check-jsonschema")), "--builtin-schema", "vendor.github-workflows",
                             str(broken)], capture_output=True, text=True, check=False)
    assert result.returncode != 0


def test_zizmor_finds_nothing_offline() -> None:
    findings = _zizmor(ROOT / ".github")
    assert findings == [], [(f["ident"], f["desc"]) for f in findings]


def test_zizmor_flags_unpinned_actions_and_template_injection(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request_target\npermissions: write-all\njobs:\n  bad:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo \"${{ github.event.pull_request.title }}\"\n")
    idents = {f["ident"] for f in _zizmor(bad)}
    assert {"unpinned-uses", "template-injection"} <= idents


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    for path in FILES:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if match:
                assert SHA_PIN.match(match.group(1)), f"{path.name}: {match.group(1)} is not pinned to a commit"
                assert re.match(r"\s+#\s+v\d+\.\d+\.\d+$", match.group(2)), f"{path.name}: {line.strip()}: # vX.Y.Z?"


def test_checkouts_do_not_persist_credentials(pull_request: dict[str, Any], deploy: dict[str, Any]) -> None:
    checkouts = [s for w in (pull_request, deploy) for s in _steps(w)
                 if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s.get("with", {}).get("persist-credentials") is False for s in checkouts)


def test_permissions_are_empty_at_the_top_and_set_per_job(pull_request: dict[str, Any],
                                                          deploy: dict[str, Any]) -> None:
    for workflow in (pull_request, deploy):
        assert workflow["permissions"] == {}
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, name
            assert "write-all" not in str(job["permissions"]), name


def test_only_the_deploy_job_may_request_an_oidc_token(pull_request: dict[str, Any], deploy: dict[str, Any]) -> None:
    holders = [(w, name) for w, workflow in (("pr", pull_request), ("deploy", deploy))
               for name, job in workflow["jobs"].items() if job["permissions"].get("id-token") == "write"]
    assert holders == [("deploy", "deploy")]
    assert deploy["jobs"]["deploy"]["permissions"] == {"contents": "read", "id-token": "write"}


def test_run_steps_expand_no_expressions() -> None:
    """Values reach shell steps through env, so nothing a pull request controls is pasted into a script."""
    for path in FILES:
        for step in _steps(_load(path)):
            assert "${{" not in step.get("run", ""), f"{path.name}: {step.get('name')}"


def test_pull_requests_lint_audit_test_and_preview_every_stack(pull_request: dict[str, Any]) -> None:
    assert set(pull_request["on"]) == {"pull_request"}
    runs = "\n".join(s.get("run", "") for s in _steps(pull_request))
    assert "ruff check" in runs and "bandit -q -r accunode components policies -ll" in runs
    assert "pip-audit" in runs
    assert ("python3 -m venv venv && venv/bin/pip install -q -e '.[dev]' && venv/bin/ruff check . "
            "&& venv/bin/pytest") in runs
    preview = pull_request["jobs"]["preview"]
    assert sorted(preview["strategy"]["matrix"]["stack"]) == STACKS
    assert 'accunode preview --stack "$STACK" --sarif "out/$STACK.sarif" --json "out/$STACK.json"' in runs
    assert 'accunode cost --stack "$STACK" --format markdown >> "$GITHUB_STEP_SUMMARY"' in runs
    uploads = [s for s in preview["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert uploads and uploads[0]["with"]["sarif_file"] == "out/${{ matrix.stack }}.sarif"
    assert preview["permissions"]["security-events"] == "write"


def test_pull_requests_get_one_change_preview_comment_for_every_stack(pull_request: dict[str, Any]) -> None:
    change = pull_request["jobs"]["change-preview"]
    assert change["permissions"] == {"contents": "read"}  # runs the pull request's code: read-only
    runs = "\n".join(s.get("run", "") for s in change["steps"])
    compare = next(s["run"] for s in change["steps"] if "--compare-to" in s.get("run", ""))
    assert all(f"--stack {s}" in compare for s in STACKS) and "--format markdown" in compare
    base = next(s for s in change["steps"] if s.get("with", {}).get("ref"))
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    assert "for stack in " + " ".join(sorted(STACKS, key=["prod", "dev", "staging"].index)) in runs
    comment = pull_request["jobs"]["comment"]
    assert comment["permissions"] == {"pull-requests": "write"} and comment["needs"] == "change-preview"
    assert not any(s.get("uses", "").startswith("actions/checkout@") for s in comment["steps"])  # runs no PR code
    post = "\n".join(s.get("run", "") for s in comment["steps"])
    assert "<!-- accunode-change-preview -->" in post and "--method PATCH" in post  # updated in place


def test_deploy_runs_from_the_prod_branch_one_at_a_time_in_a_protected_environment(deploy: dict[str, Any]) -> None:
    assert deploy["on"] == {"push": {"branches": ["prod"]}}
    assert deploy["concurrency"] == {"group": "deploy-prod", "cancel-in-progress": False}
    job = deploy["jobs"]["deploy"]
    assert job["environment"] == "production"
    role = next(s for s in job["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert role["with"]["role-to-assume"].startswith("${{ vars.")


def test_deploy_previews_then_updates_with_both_policy_packs_then_checks_health(deploy: dict[str, Any]) -> None:
    runs = [s.get("run", "") for s in deploy["jobs"]["deploy"]["steps"]]
    packs = "--policy-pack policies/security --policy-pack policies/cost"
    preview = next(i for i, r in enumerate(runs) if r.startswith("pulumi preview"))
    up = next(i for i, r in enumerate(runs) if r.startswith("pulumi up"))
    health = next(i for i, r in enumerate(runs) if "accunode health" in r)
    assert preview < up < health
    assert packs in runs[preview] and packs in runs[up] and "--yes" in runs[up]
    assert '--stack "$STACK"' in runs[up] and deploy["jobs"]["deploy"]["env"]["STACK"] == "prod"
    assert any('pulumi config set accunode:imageTag "$GITHUB_SHA"' in r for r in runs[:preview])


def test_dependabot_updates_actions_and_pip() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in config["updates"]} == {"github-actions", "pip"}
