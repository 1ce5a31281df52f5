"""docs/operations.md's "First deploy on a new account" is what deploy.yml does, in its order, on the
resources the program really registers."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, captured
from tests.deploy.stacks import bootstrap_graph

SECTION = "## First deploy on a new account"
RUN_LIST = "### The first run of `deploy.yml` (push to `prod`)"


def _deploy() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())
    return data["jobs"]["deploy"]


def _steps() -> list[dict[str, Any]]:
    return _deploy()["steps"]


def _section(heading: str, text: str) -> str:
    level = heading.split(" ")[0]
    start = text.index(heading + "\n")
    following = re.search(rf"^{level} ", text[start + len(heading):], flags=re.MULTILINE)
    return text[start: start + len(heading) + following.start()] if following else text[start:]


@pytest.fixture(scope="module")
def docs() -> str:
    return _section(SECTION, (ROOT / "docs" / "operations.md").read_text())


def test_the_documented_run_names_the_workflow_steps_in_order(docs: str) -> None:
    documented = re.findall(r"^\d+\. \*\*(.+?)\*\*", _section(RUN_LIST, docs), flags=re.MULTILINE)
    assert documented == [step["name"] for step in _steps() if "name" in step]


def test_the_registry_goes_first_and_nothing_else_does() -> None:
    step = next(s for s in _steps() if s.get("name") == "Registry first")
    # Run the step's script with bash, with a `pulumi` that prints its arguments.
    script = 'pulumi() { printf "%s\\n" "$@"; }\n' + step["run"]
    words = subprocess.run(["bash", "-c", script], env={"STACK": "prod", "PATH": os.environ["PATH"]},
                           capture_output=True, text=True, check=True).stdout.splitlines()
    targets = {words[i + 1] for i, word in enumerate(words) if word == "--target"}
    prod = captured("prod")
    (component,) = [r for r in prod.resources if r.type == "accunode:registry:Registry"]
    assert targets == {component.urn, *(r.urn for r in prod.descendants(component.urn))}
    assert words[:2] == ["up", "--yes"] and "--policy-pack" in words


def test_the_full_update_runs_only_after_the_image_is_required_in_the_stacks_repository() -> None:
    names = [s.get("name") for s in _steps()]
    assert names.index("Registry first") < names.index("Require the image in the registry") < names.index("pulumi up")
    required = next(s for s in _steps() if s.get("name") == "Require the image in the registry")["run"]
    assert 'describe-images --repository-name "$REPOSITORY"' in required and "exit 1" in required
    assert _deploy()["env"]["REPOSITORY"] == captured("prod").outputs["ecrRepositoryName"]


def test_the_documented_backend_and_secrets_lines_are_the_bootstraps(docs: str) -> None:
    outputs = bootstrap_graph().outputs
    assert outputs["stackInitCommand"].replace("<stack>", "prod") in docs
    assert outputs["loginCommand"].replace(outputs["stateBucket"], "accunode-pulumi-state-<account>") in docs
    assert _deploy()["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert "ciRoleArn" in docs and "backendUrl" in docs
