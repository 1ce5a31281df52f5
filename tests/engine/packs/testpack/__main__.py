"""A policy pack that exercises the protocol: config, severities, unknowns, remediation, crashes.

With ``ACCUNODE_TEST_PACK_RECORD=<file>`` every request the pack receives is appended to the file
(one JSON line: method and the serialized protobuf, base64), plus its argv, cwd and environment.
"""

import base64
import json
import os
import sys
import threading
from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer

RECORD = os.environ.get("ACCUNODE_TEST_PACK_RECORD")
_LOCK = threading.Lock()


def _record(entry: dict) -> None:
    with _LOCK, open(RECORD, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


if RECORD:
    _record({"method": "start", "argv": sys.argv, "cwd": os.getcwd(),
             "env": {k: v for k, v in os.environ.items() if k.startswith("PULUMI_")}})

    def _recording(name):
        original = getattr(_PolicyAnalyzerServicer, name)

        def method(self, request, context):
            _record({"method": name, "request": base64.b64encode(request.SerializeToString()).decode()})
            return original(self, request, context)

        return method

    for _name in ("Analyze", "AnalyzeStack", "Remediate", "GetAnalyzerInfo", "GetPluginInfo", "Configure",
                  "ConfigureStack"):
        setattr(_PolicyAnalyzerServicer, _name, _recording(_name))


def flagged_resource(args, report_violation):
    config = args.get_config()
    if args.props.get("flag") == config["forbiddenFlag"]:
        report_violation(f"flag is {config['forbiddenFlag']} (label {config['label']}, limit {config['limit']})")


def noted(args, report_violation):
    if args.props.get("note"):
        report_violation(f"note: {args.props['note']}")


def reads_arn(args, report_violation):
    if "arn" in args.props and not str(args.props.get("arn")).startswith("arn:aws:"):
        report_violation("arn must be an AWS ARN")


def explodes(args, report_violation):
    if args.props.get("explode"):
        raise RuntimeError("boom: the policy itself failed")
    if args.props.get("die"):
        os._exit(7)


def add_managed_tag(args):
    tags = args.props.get("tags")
    if isinstance(tags, Mapping) and "managed-by" not in tags:
        return {**args.props, "tags": {**tags, "managed-by": "accunode"}}
    return None


def requires_managed_tag(args, report_violation):
    tags = args.props.get("tags")
    if isinstance(tags, Mapping) and "managed-by" not in tags:
        report_violation("tags must include managed-by")


def stack_limit(args, report_violation):
    for resource in args.resources:
        if resource.props.get("stackFlag") == "bad":
            report_violation(f"{resource.name} has a bad stackFlag", resource.urn)
        if resource.props.get("ghostFlag"):
            report_violation("reported against a resource that is not in the stack", "urn:pulumi:x::y::t:m:T::ghost")
        if resource.props.get("stackWide"):
            report_violation("the whole stack is wrong")


PolicyPack(
    name="accunode-test-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    # The engine reads an initial_config entry without enforcementLevel as "advisory": always set it.
    initial_config={"flagged-resource": {"enforcementLevel": EnforcementLevel.MANDATORY, "label": "from-initial",
                                         "limit": 5}},
    policies=[
        ResourceValidationPolicy(
            name="flagged-resource", description="Resources must not carry the forbidden flag.",
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.HIGH, validate=flagged_resource,
            config_schema=PolicyConfigSchema(properties={
                "forbiddenFlag": {"type": "string", "default": "bad"},
                "label": {"type": "string", "default": "from-default"},
                "limit": {"type": "integer", "minimum": 1, "default": 3},
            }),
        ),
        ResourceValidationPolicy(name="noted-resource", description="Notes are advisory.", validate=noted),
        ResourceValidationPolicy(
            name="reads-arn", description="ARNs must be AWS ARNs.", enforcement_level=EnforcementLevel.MANDATORY,
            severity=Severity.LOW, validate=reads_arn),
        ResourceValidationPolicy(name="explodes", description="Raises on demand.", validate=explodes),
        ResourceValidationPolicy(
            name="adds-managed-tag", description="Adds the managed-by tag.",
            enforcement_level=EnforcementLevel.REMEDIATE, remediate=add_managed_tag),
        ResourceValidationPolicy(
            name="requires-managed-tag", description="Tagged resources carry managed-by.",
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.MEDIUM, validate=requires_managed_tag),
        StackValidationPolicy(
            name="stack-limit", description="No resource may carry a bad stackFlag.",
            enforcement_level=EnforcementLevel.MANDATORY, severity=Severity.CRITICAL, validate=stack_limit),
    ],
)
