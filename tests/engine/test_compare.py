"""`accunode preview --compare-to`: resources, policy findings and cost against an earlier --json output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accunode.engine.compare import (
    REPLACEMENT_NOTE,
    CompareError,
    changed_paths,
    compare,
    load_base,
    markdown,
)
from tests.engine.conftest import run_tiny

U = "urn:pulumi:prod::accunode::"


def _doc(resources: dict[str, dict[str, Any]], diagnostics: list[tuple[str, str, str]] = (),
         total: float | None = 100.0, by_component: dict[str, float] | None = None) -> dict[str, Any]:
    return {
        "stack": "prod",
        "resources": [{"urn": U + urn, "inputs": inputs} for urn, inputs in resources.items()],
        "diagnostics": [{"policyPack": "sec", "policy": policy, "enforcementLevel": level, "urn": U + urn,
                         "message": f"{policy} on {urn}"} for policy, level, urn in diagnostics],
        "cost": None if total is None else {"totalMonthlyCost": total, "byComponent": by_component or {}},
    }


BASE = _doc({"aws:s3/bucket:Bucket::logs": {"acl": "private", "tags": {"team": "a"}},
             "aws:sqs/queue:Queue::jobs": {"name": "jobs"},
             "aws:ec2/vpc:Vpc::main": {"cidrBlock": "10.0.0.0/16"}},
            [("bucket-encrypted", "mandatory", "aws:s3/bucket:Bucket::logs")], 100.0, {"storage": 10.0, "queue": 5.0})
HEAD = _doc({"aws:s3/bucket:Bucket::logs": {"acl": "private", "tags": {"team": "b", "env": "prod"}},
             "aws:ec2/vpc:Vpc::main": {"cidrBlock": "10.0.0.0/16"},
             "aws:rds/instance:Instance::db": {"instanceClass": "db.t4g.micro"}},
            [("db-multi-az", "advisory", "aws:rds/instance:Instance::db")], 142.5, {"storage": 10.0, "database": 47.5})


def test_resources_are_created_updated_with_paths_deleted_and_unchanged() -> None:
    change = compare(BASE, HEAD, "main")
    assert change.create == [U + "aws:rds/instance:Instance::db"]
    assert change.update == {U + "aws:s3/bucket:Bucket::logs": ["tags.env", "tags.team"]}
    assert change.delete == [U + "aws:sqs/queue:Queue::jobs"]
    assert change.unchanged == 1
    assert change.counts == {"create": 1, "update": 1, "delete": 1, "same": 1}


def test_policy_findings_are_new_or_resolved() -> None:
    change = compare(BASE, HEAD, "main")
    assert [(f.policy, f.level) for f in change.new_findings] == [("db-multi-az", "advisory")]
    assert [(f.policy, f.resource) for f in change.resolved_findings] == [("bucket-encrypted", "aws:s3:Bucket: logs")]
    same = compare(BASE, BASE, "main")
    assert same.new_findings == same.resolved_findings == []


def test_cost_before_after_and_delta_with_the_components_that_moved() -> None:
    change = compare(BASE, HEAD, "main")
    assert (change.cost_before, change.cost_after, change.cost_delta) == (100.0, 142.5, 42.5)
    assert change.cost_by_component == {"database": (0.0, 47.5), "queue": (5.0, 0.0)}  # storage did not move
    assert compare(_doc({}, total=None), HEAD, "main").cost_delta is None


def test_property_paths_use_pulumis_syntax() -> None:
    before = {"ingress": [{"fromPort": 80}, {"fromPort": 443}], "name": "a", "gone": 1}
    after = {"ingress": [{"fromPort": 80}, {"fromPort": 8443}], "name": "a", "added": True}
    assert list(changed_paths(before, after)) == ["added", "gone", "ingress[1].fromPort"]
    assert list(changed_paths({"l": [1]}, {"l": [1, 2]})) == ["l"]  # a list that grew changed as a whole


def test_markdown_has_the_marker_the_tables_and_says_replacements_are_unknown() -> None:
    text = markdown([(compare(BASE, HEAD, "main"), "prod", "Preview passed: ..."), (None, "dev", "Preview passed")])
    assert text.startswith("<!-- accunode-change-preview -->")
    assert "### Stack `prod`" in text and "### Stack `dev`" in text
    assert "| 1 | 1 | 1 | 1 | 1 | 1 | $100.00 → $142.50 (+$42.50) |" in text
    assert "| ~ update | `aws:s3:Bucket logs` | `tags.env`, `tags.team` |" in text
    assert "| 🆕 new | advisory | `db-multi-az` | `aws:rds:Instance: db` |" in text
    assert "| ✅ resolved | mandatory | `bucket-encrypted` | `aws:s3:Bucket: logs` |" in text
    assert "| queue | $5.00 | $0.00 | -$5.00 |" in text
    assert "cannot be predicted offline" in text and "cannot be predicted offline" in REPLACEMENT_NOTE
    assert "No base preview to compare with" in text


def test_a_file_that_is_not_a_preview_is_refused_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "cost.json"
    bad.write_text(json.dumps({"totalMonthlyCost": 3}))
    with pytest.raises(CompareError, match=r"cost.json: not an `accunode preview --json` output"):
        load_base(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(CompareError, match=r"--compare-to broken.json:1"):
        load_base(broken)
    several = tmp_path / "all.json"
    several.write_text(json.dumps({"stacks": [BASE, {**HEAD, "stack": "dev"}]}))
    assert [d["stack"] for d in load_base(several)] == ["prod", "dev"]


# ---- end to end on the tiny program ------------------------------------------------------------------
@pytest.mark.slow
def test_compare_to_an_earlier_preview_end_to_end(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    first = run_tiny("-c", "tinyproj:extra=true", "-c", "tinyproj:note=hello", "--json", str(base))
    assert first.code == 0, first.out + first.err
    run = run_tiny("-c", "tinyproj:flag=bad", "--compare-to", str(base), "--json", "-")
    assert run.code == 1, run.err
    document = json.loads(run.out)
    change = document["compare"]
    thing = "urn:pulumi:test::tinyproj::tiny:index:Thing::thing"
    assert change["delete"] == ["urn:pulumi:test::tinyproj::tiny:index:Thing::extra"]
    assert change["create"] == []
    assert change["update"] == [{"urn": thing, "changed": ["flag", "note"]}]
    assert [(f["policy"], f["enforcementLevel"]) for f in change["policy"]["new"]] == [("flagged-resource",
                                                                                         "mandatory")]
    assert [f["policy"] for f in change["policy"]["resolved"]] == ["noted-resource"]
    assert "cannot be predicted offline" in change["replacements"]
    table = run_tiny("-c", "tinyproj:flag=bad", "--compare-to", str(base), "--format", "markdown")
    assert table.code == 1
    assert table.out.startswith("<!-- accunode-change-preview -->")
    assert "| 0 | 1 | 1 | " in table.out and "`flagged-resource`" in table.out


@pytest.mark.slow
def test_compare_to_prices_the_change(tmp_path: Path) -> None:
    from tests.engine.conftest import run_preview

    root = Path(__file__).resolve().parents[2]
    base = tmp_path / "base.json"
    assert run_preview("--stack", "dev", "--project-dir", str(root), "--json", str(base), "--no-cache").code == 0
    run = run_preview("--stack", "dev", "--project-dir", str(root), "-c", "accunode:tier=moderate",
                      "--compare-to", str(base), "--json", "-", "--no-cache")
    change = json.loads(run.out)["compare"]
    cost = change["cost"]
    assert cost["before"] is not None and cost["after"] is not None
    assert cost["delta"] == pytest.approx(cost["after"] - cost["before"], abs=0.01) and cost["delta"] > 0
    assert cost["byComponent"]
    assert change["update"]  # a bigger tier changes instance classes
