"""SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per violation.

Mandatory violations are ``error``s, advisory ones ``warning``s. Each result points at the
component file that declares the resource's nearest component type (found by its type token,
e.g. ``"accunode:data:Database"`` in ``components/database.py``), or at ``Pulumi.<stack>.yaml`` for
top-level resources and stack-wide findings; the resource URN is the logical location.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from accunode.engine.analyzer import Diagnostic, PackInfo, PolicyInfo, urn_name, urn_type
from accunode.engine.report import PreviewReport, display_type, sorted_violations

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
_TYPE_TOKEN = re.compile(r"""["']([a-zA-Z0-9_-]+:[a-zA-Z0-9_/-]+:[A-Za-z0-9_]+)["']""")


def component_locations(project_dir: Path) -> dict[str, tuple[str, int]]:
    """Component type token -> (repo-relative file, line) for every literal token in components/."""
    found: dict[str, tuple[str, int]] = {}
    for path in sorted((project_dir / "components").glob("*.py")):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "__init__(" not in text and "super()" not in text:
                continue
            for token in _TYPE_TOKEN.findall(text):
                found.setdefault(token, (path.relative_to(project_dir).as_posix(), number))
    return found


def _location(d: Diagnostic, stack_file: str, components: dict[str, tuple[str, int]]) -> tuple[str, int]:
    parts = d.urn.split("::", 3)
    chain = parts[2].split("$") if len(parts) == 4 else []
    for type_ in reversed(chain):  # the resource itself if it is a component, else its nearest component
        if type_ in components:
            return components[type_]
    return stack_file, 1


def _rule(pack: PackInfo, policy: PolicyInfo) -> dict[str, Any]:
    level = pack.effective_level(policy.name)
    properties: dict[str, Any] = {"tags": ["pulumi-policy", pack.name, *policy.tags],
                                  "enforcementLevel": level}
    if policy.severity:
        properties["security-severity"] = _SECURITY_SEVERITY[policy.severity]
        properties["severity"] = policy.severity
    rule: dict[str, Any] = {
        "id": f"{pack.name}/{policy.name}",
        "name": policy.name,
        "shortDescription": {"text": policy.description},
        "fullDescription": {"text": policy.description},
        "help": {"text": policy.remediation_steps or policy.description},
        "defaultConfiguration": {"level": "error" if level == "mandatory" else "warning",
                                 "enabled": level != "disabled"},
        "properties": properties,
    }
    if policy.url:
        rule["helpUri"] = policy.url
    return rule


def to_sarif(report: PreviewReport) -> dict[str, Any]:
    """The SARIF log of one preview (an empty results list when nothing was analyzed)."""
    analysis = report.analysis
    packs = sorted(analysis.packs if analysis else [], key=lambda p: p.key)
    rules: list[dict[str, Any]] = []
    index: dict[tuple[str, str], int] = {}
    for pack in packs:
        for policy in pack.policies:
            index[(pack.name, policy.name)] = len(rules)
            rules.append(_rule(pack, policy))
    components = component_locations(report.project_dir)
    stack_file = f"Pulumi.{report.stack}.yaml"
    results = []
    for d in sorted_violations(analysis.diagnostics if analysis else []):
        uri, line = _location(d, stack_file, components)
        resource = f"{display_type(urn_type(d.urn))}: {urn_name(d.urn)}" if d.urn else report.stack
        result: dict[str, Any] = {
            "ruleId": f"{d.pack_name}/{d.policy_name}",
            "level": "error" if d.mandatory else "warning",
            "message": {"text": f"{d.message}\n({resource})"},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                                     "region": {"startLine": line}},
                "logicalLocations": [{"name": urn_name(d.urn), "fullyQualifiedName": d.urn, "kind": "resource"}],
            }],
            "partialFingerprints": {
                "accunodePolicyViolation/v1": hashlib.sha256(f"{d.pack_name}|{d.policy_name}|{d.urn}|{d.message}"
                                                             .encode()).hexdigest()},
            "properties": {"enforcementLevel": d.enforcement_level, "severity": d.severity, "stack": report.stack},
        }
        if (d.pack_name, d.policy_name) in index:
            result["ruleIndex"] = index[(d.pack_name, d.policy_name)]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "accunode-preview", "informationUri": "https://www.pulumi.com/docs/insights/policy/",
                                "semanticVersion": "0.1.0", "rules": rules}},
            "automationDetails": {"id": f"accunode-preview/{report.stack}/"},
            "invocations": [_invocation(report)],
            "results": results,
        }],
    }


def _invocation(report: PreviewReport) -> dict[str, Any]:
    """Whether the run finished; a failed program or pack is a tool execution notification, so a
    failure never reads as "no results, all clear"."""
    invocation: dict[str, Any] = {"executionSuccessful": not report.error, "exitCode": report.exit_code}
    if report.error:
        invocation["toolExecutionNotifications"] = [{
            "level": "error",
            "message": {"text": report.error + (f"\n{report.error_detail}" if report.error_detail else "")},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f"Pulumi.{report.stack}.yaml",
                                                                     "uriBaseId": "%SRCROOT%"}}}],
        }]
    return invocation
