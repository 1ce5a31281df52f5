"""The packs receive what the engine sends (shared/reference/pulumi-engine.md sections 1.2-1.4).

The test pack records every request it gets (ACCUNODE_TEST_PACK_RECORD); these tests decode the
recorded protobufs and check each field against the engine's behaviour.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from accunode.engine.graph import SECRET_SIG, SIG_KEY
from tests.engine.conftest import TEST_PACK, run_tiny

pytestmark = pytest.mark.slow

U = "urn:pulumi:test::tinyproj::"
STACK = U + "pulumi:pulumi:Stack::tinyproj-test"
BOX = U + "tiny:index:Box::box"
VPC = U + "tiny:index:Box$aws:ec2/vpc:Vpc::box-vpc"
SUBNET = U + "tiny:index:Box$aws:ec2/subnet:Subnet::box-subnet"
THING = U + "tiny:index:Thing::thing"
AWS_PROVIDER = U + "pulumi:providers:aws::default_7_51_1"
MESSAGES = {"Analyze": analyzer_pb2.AnalyzeRequest, "Remediate": analyzer_pb2.AnalyzeRequest,
            "AnalyzeStack": analyzer_pb2.AnalyzeStackRequest,
            "ConfigureStack": analyzer_pb2.AnalyzerStackConfigureRequest,
            "Configure": analyzer_pb2.ConfigureAnalyzerRequest}


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Any]]:
    record = tmp_path_factory.mktemp("protocol") / "requests.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ACCUNODE_TEST_PACK_RECORD", str(record))
        run = run_tiny()
    assert run.code == 0, run.out + run.err
    entries = []
    for line in record.read_text().splitlines():
        entry = json.loads(line)
        message = MESSAGES.get(entry["method"])
        entries.append((entry["method"], message.FromString(base64.b64decode(entry["request"])) if message
                        else entry))
    return entries


def _requests(recorded: list[tuple[str, Any]], method: str) -> list[Any]:
    return [request for name, request in recorded if name == method]


def _analyze(recorded: list[tuple[str, Any]], urn: str, method: str = "Analyze") -> Any:
    (request,) = [r for r in _requests(recorded, method) if r.urn == urn]
    return request


def test_the_pack_is_launched_as_the_language_host_launches_it(recorded: list[tuple[str, Any]]) -> None:
    start = recorded[0][1]
    assert recorded[0][0] == "start"
    assert start["argv"][-1] == str(TEST_PACK)  # the absolute pack dir, after the engine address
    assert start["cwd"] == str(TEST_PACK)
    env = start["env"]
    assert (env["PULUMI_PROJECT"], env["PULUMI_STACK"], env["PULUMI_ORGANIZATION"], env["PULUMI_DRY_RUN"]) == \
           ("tinyproj", "test", "organization", "true")
    assert json.loads(env["PULUMI_CONFIG"]) == {"aws:region": "us-east-1", "tinyproj:flag": "ok",
                                                "tinyproj:apiKey": "[secret:tinyproj:apiKey]"}


def test_rpcs_come_in_the_engine_order(recorded: list[tuple[str, Any]]) -> None:
    methods = [name for name, _ in recorded if name != "start"]
    assert methods[:4] == ["ConfigureStack", "GetPluginInfo", "GetAnalyzerInfo", "Configure"]
    assert methods[-1] == "AnalyzeStack"
    per_resource = [(name, request.urn) for name, request in recorded if name in ("Remediate", "Analyze")]
    assert len(per_resource) == len(methods) - 5
    # Every resource once each, Remediate before Analyze (several resources may be in flight at once).
    remediated = [urn for name, urn in per_resource if name == "Remediate"]
    analyzed = [urn for name, urn in per_resource if name == "Analyze"]
    assert sorted(remediated) == sorted(analyzed) == sorted(set(analyzed))
    assert all(per_resource.index(("Remediate", urn)) < per_resource.index(("Analyze", urn)) for urn in analyzed)
    # The Stack, the component, the default providers and each custom resource.
    assert set(analyzed) == {STACK, BOX, VPC, SUBNET, THING, AWS_PROVIDER, U + "pulumi:providers:tiny::default"}


def test_configure_stack_carries_the_stack_and_decrypted_config(recorded: list[tuple[str, Any]]) -> None:
    (request,) = _requests(recorded, "ConfigureStack")
    assert (request.stack, request.project, request.organization, request.dry_run) == \
           ("test", "tinyproj", "organization", True)
    assert dict(request.config) == {"aws:region": "us-east-1", "tinyproj:flag": "ok",
                                    "tinyproj:apiKey": "[secret:tinyproj:apiKey]"}  # secure values can't be decrypted
    assert list(request.config_secret_keys) == ["tinyproj:apiKey"]
    assert request.tags["pulumi:project"] == "tinyproj"
    assert request.tags["pulumi:runtime"] == "python"


def test_configure_sends_every_policy_with_reconciled_config(recorded: list[tuple[str, Any]]) -> None:
    (request,) = _requests(recorded, "Configure")
    config = request.policyConfig
    assert set(config) == {"adds-managed-tag", "explodes", "flagged-resource", "noted-resource", "reads-arn",
                           "requires-managed-tag", "stack-limit"}
    assert config["flagged-resource"].enforcementLevel == analyzer_pb2.MANDATORY
    assert json_format.MessageToDict(config["flagged-resource"].properties) == \
           {"forbiddenFlag": "bad", "label": "from-initial", "limit": 5}
    assert config["adds-managed-tag"].enforcementLevel == analyzer_pb2.REMEDIATE
    assert config["noted-resource"].enforcementLevel == analyzer_pb2.ADVISORY


def test_analyze_carries_urn_type_name_inputs_options_and_provider(recorded: list[tuple[str, Any]]) -> None:
    request = _analyze(recorded, VPC)
    assert (request.type, request.name) == ("aws:ec2/vpc:Vpc", "box-vpc")
    props = json_format.MessageToDict(request.properties)
    assert props["cidrBlock"] == "10.0.0.0/16"
    assert "arn" not in props  # inputs, not outputs
    opts = request.options
    assert opts.protect and list(opts.ignoreChanges) == ["tags"]
    assert opts.deleteBeforeReplace and opts.deleteBeforeReplaceDefined
    assert list(opts.additionalSecretOutputs) == ["arn"]
    # The program declares an alias (old-vpc), but the engine sends only the old-state URN a resource was
    # matched through (state.go GetAliases); a stack without state has none.
    assert list(opts.aliases) == []
    assert opts.HasField("customTimeouts")
    assert (opts.customTimeouts.create, opts.customTimeouts.update, opts.customTimeouts.delete,
            opts.customTimeouts.read) == (300, 0, 3600, 0)
    assert opts.parent == BOX
    provider = request.provider
    assert (provider.urn, provider.type, provider.name) == (AWS_PROVIDER, "pulumi:providers:aws", "default_7_51_1")
    assert json_format.MessageToDict(provider.properties) == {"region": "us-east-1", "version": "7.51.1"}


def test_analyze_sees_remediated_inputs(recorded: list[tuple[str, Any]]) -> None:
    before = json_format.MessageToDict(_analyze(recorded, VPC, "Remediate").properties)
    after = json_format.MessageToDict(_analyze(recorded, VPC).properties)
    assert before["tags"] == {"team": "t"}
    assert after["tags"] == {"team": "t", "managed-by": "accunode"}


def test_numbers_are_doubles_and_secrets_keep_their_wire_form(recorded: list[tuple[str, Any]]) -> None:
    fields = _analyze(recorded, THING).properties.fields
    assert fields["count"].WhichOneof("kind") == "number_value"
    secret = json_format.MessageToDict(fields["password"])
    assert secret == {SIG_KEY: SECRET_SIG, "value": "s3cret"}
    assert "note" not in fields  # the SDK does not send None inputs


def test_the_stack_and_components_have_no_provider_and_default_options(recorded: list[tuple[str, Any]]) -> None:
    stack = _analyze(recorded, STACK)
    assert stack.type == "pulumi:pulumi:Stack" and not stack.HasField("provider")
    assert json_format.MessageToDict(stack.properties) == {}
    assert stack.options.HasField("customTimeouts") and stack.options.customTimeouts.create == 0
    assert not _analyze(recorded, BOX).HasField("provider")


def test_analyze_stack_sends_outputs_parents_and_dependencies(recorded: list[tuple[str, Any]]) -> None:
    (request,) = _requests(recorded, "AnalyzeStack")
    resources = {r.urn: r for r in request.resources}
    assert set(resources) == {STACK, BOX, VPC, SUBNET, THING, AWS_PROVIDER, U + "pulumi:providers:tiny::default"}
    assert json_format.MessageToDict(resources[STACK].properties) == {"vpcId": json_format.MessageToDict(
        resources[VPC].properties)["id"]}
    vpc = resources[VPC]
    assert json_format.MessageToDict(vpc.properties)["arn"].startswith("arn:aws:ec2:us-east-1:")  # outputs
    assert vpc.parent == BOX and vpc.options.parent == BOX
    assert vpc.provider.urn == AWS_PROVIDER
    subnet = resources[SUBNET]
    assert list(subnet.propertyDependencies["vpcId"].urns) == [VPC]
    assert VPC in subnet.dependencies
    assert "cidrBlock" not in subnet.propertyDependencies  # keys without dependencies are dropped
    assert SUBNET in resources[THING].dependencies
    assert resources[STACK].parent == ""
