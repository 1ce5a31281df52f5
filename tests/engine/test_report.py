"""The report reads like `pulumi preview`'s: tree, Policies section (progress.go format), summary, verdict;
the SARIF log is what GitHub code scanning accepts."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from accunode.engine.analyzer import AnalysisResult, Diagnostic, PackInfo, PolicyInfo
from accunode.engine.graph import Resource, ResourceGraph
from accunode.engine.report import PreviewReport, display_type, render, resource_tree, sorted_violations, to_json
from accunode.engine.sarif import component_locations, to_sarif

U = "urn:pulumi:prod::accunode::"
ROOT = Path(__file__).resolve().parents[2]


def _graph() -> ResourceGraph:
    stack = Resource(U + "pulumi:pulumi:Stack::accunode-prod", "pulumi:pulumi:Stack", "accunode-prod", False)
    provider = Resource(U + "pulumi:providers:aws::default_7_51_1", "pulumi:providers:aws", "default_7_51_1", True)
    data = Resource(U + "accunode:data:Database::database", "accunode:data:Database", "database", False,
                    parent=stack.urn)
    db = Resource(U + "accunode:data:Database$aws:rds/instance:Instance::database-instance",
                  "aws:rds/instance:Instance", "database-instance", True, parent=data.urn)
    group = Resource(U + "accunode:data:Database$aws:rds/subnetGroup:SubnetGroup::database-subnets",
                     "aws:rds/subnetGroup:SubnetGroup", "database-subnets", True, parent=data.urn)
    bucket = Resource(U + "aws:s3/bucketV2:BucketV2::logs", "aws:s3/bucketV2:BucketV2", "logs", True, parent=stack.urn)
    return ResourceGraph("accunode", "prod", resources=[stack, provider, data, db, group, bucket])


def _diagnostic(policy: str, level: str, severity: str, urn: str, pack: str = "security") -> Diagnostic:
    return Diagnostic(policy, pack, "1.0.0", f"{policy} description.", f"{policy} description.\nfix {policy}",
                      level, urn, severity)


def _report(diagnostics: list[Diagnostic]) -> PreviewReport:
    policies = [PolicyInfo(name, f"{name} description.", level, severity) for name, level, severity in
                [("rds-encrypted", "mandatory", "high"), ("rds-multi-az", "advisory", "medium"),
                 ("bucket-logging", "mandatory", "critical")]]
    packs = [PackInfo("security", "1.0.0", ROOT / "policies" / "security", policies=policies),
             PackInfo("cost", "0.3.0", ROOT / "policies" / "cost", policies=[PolicyInfo("budget", "b.", "mandatory")])]
    return PreviewReport(project_dir=ROOT, stack="prod", graph=_graph(),
                         analysis=AnalysisResult(packs=packs, diagnostics=diagnostics))


def _text(report: PreviewReport) -> str:
    buffer = io.StringIO()
    render(report, Console(file=buffer, width=200))
    return buffer.getvalue()


def test_display_type_drops_the_module_file_like_the_engine() -> None:
    assert display_type("aws:rds/instance:Instance") == "aws:rds:Instance"
    assert display_type("aws:ec2/vpc:Vpc") == "aws:ec2:Vpc"
    assert display_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == \
           "aws:vpc:SecurityGroupIngressRule"
    assert display_type("pulumi:pulumi:Stack") == "pulumi:pulumi:Stack"
    assert display_type("pkg:Mod/foo:typ") == "pkg:Mod/foo:typ"


def test_the_tree_nests_children_under_parents_and_hides_default_providers() -> None:
    report = _report([])
    rows = [(prefix, r.name) for prefix, r in resource_tree(report.shown_resources)]
    assert rows == [("", "accunode-prod"), ("├─ ", "database"), ("│  ├─ ", "database-instance"),
                    ("│  └─ ", "database-subnets"), ("└─ ", "logs")]


def test_policies_section_matches_the_pulumi_format() -> None:
    db = U + "accunode:data:Database$aws:rds/instance:Instance::database-instance"
    stack = U + "pulumi:pulumi:Stack::accunode-prod"
    text = _text(_report([_diagnostic("rds-multi-az", "advisory", "medium", db),
                          _diagnostic("rds-encrypted", "mandatory", "high", db),
                          _diagnostic("bucket-logging", "mandatory", "", stack)]))
    section = text.split("Policies:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section == [
        "    ✅ cost@v0.3.0 (local: policies/cost)",
        "    ❌ security@v1.0.0 (local: policies/security)",
        "        - [mandatory] [severity: high]  rds-encrypted  (aws:rds:Instance: database-instance)",
        "          rds-encrypted description.",
        "          fix rds-encrypted",
        "        - [mandatory]  bucket-logging  (pulumi:pulumi:Stack: accunode-prod)",
        "          bucket-logging description.",
        "          fix bucket-logging",
        "        - [advisory] [severity: medium]  rds-multi-az  (aws:rds:Instance: database-instance)",
        "          rds-multi-az description.",
        "          fix rds-multi-az",
    ]


def test_advisory_only_packs_show_a_warning_mark_and_the_preview_passes() -> None:
    db = U + "accunode:data:Database$aws:rds/instance:Instance::database-instance"
    report = _report([_diagnostic("rds-multi-az", "advisory", "medium", db)])
    text = _text(report)
    assert "    ⚠️ security@v1.0.0 (local: policies/security)" in text
    assert report.exit_code == 0
    assert text.rstrip().splitlines()[-1].startswith("Preview passed: 5 resources to create, 0 mandatory")


def test_summary_counts_creates_without_default_providers() -> None:
    text = _text(_report([]))
    assert "Resources:\n    + 5 to create\n" in text
    by_type = text.split("to create\n", 1)[1].split("\n\n", 1)[0].split()
    assert by_type == ["1", "aws:rds:Instance", "1", "aws:rds:SubnetGroup", "1", "aws:s3:BucketV2"]  # cloud only


def test_violations_sort_by_level_severity_policy_then_urn() -> None:
    a, b = U + "t:m:T::a", U + "t:m:T::b"
    ordered = sorted_violations([_diagnostic("z", "advisory", "critical", a), _diagnostic("y", "mandatory", "low", b),
                                 _diagnostic("x", "mandatory", "low", b), _diagnostic("x", "mandatory", "low", a),
                                 _diagnostic("w", "mandatory", "high", a)])
    assert [(d.policy_name, d.urn[-1]) for d in ordered] == [("w", "a"), ("x", "a"), ("x", "b"), ("y", "b"),
                                                             ("z", "a")]


def test_json_names_each_violation_with_its_resource_and_the_verdict() -> None:
    db = U + "accunode:data:Database$aws:rds/instance:Instance::database-instance"
    data = to_json(_report([_diagnostic("rds-encrypted", "mandatory", "high", db)]))
    assert data["verdict"]["status"] == "failed" and data["verdict"]["exitCode"] == 1
    (diagnostic,) = data["diagnostics"]
    assert (diagnostic["policy"], diagnostic["resourceType"], diagnostic["resourceName"]) == \
           ("rds-encrypted", "aws:rds/instance:Instance", "database-instance")
    assert data["changeSummary"] == {"create": 5}


def _check_sarif_structure(log: dict) -> None:
    """The parts of SARIF 2.1.0 GitHub code scanning requires (the full OASIS schema is not vendored)."""
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note", "none"}
    for result in run["results"]:
        assert result["level"] in {"error", "warning"}
        assert result["message"]["text"]
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri and (ROOT / uri).is_file()
        assert location["physicalLocation"]["region"]["startLine"] >= 1


def test_sarif_has_one_rule_per_policy_and_points_results_at_the_component_file() -> None:
    db = U + "accunode:data:Database$aws:rds/instance:Instance::database-instance"
    stack = U + "pulumi:pulumi:Stack::accunode-prod"
    log = to_sarif(_report([_diagnostic("rds-encrypted", "mandatory", "high", db),
                            _diagnostic("rds-multi-az", "advisory", "medium", db),
                            _diagnostic("bucket-logging", "mandatory", "", stack)]))
    _check_sarif_structure(log)
    run = log["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == [
        "cost/budget", "security/rds-encrypted", "security/rds-multi-az", "security/bucket-logging"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["security/rds-encrypted"]["level"] == "error"
    assert results["security/rds-multi-az"]["level"] == "warning"
    component = component_locations(ROOT)["accunode:data:Database"]
    assert component[0] == "components/database.py"
    location = results["security/rds-encrypted"]["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == component
    stack_location = results["security/bucket-logging"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert stack_location["uri"] == "Pulumi.prod.yaml"
