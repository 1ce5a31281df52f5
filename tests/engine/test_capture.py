"""The capture module records what the engine would see (shared/reference/pulumi-engine.md, section 7)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from accunode.engine.capture import (
    ACCOUNT_ID,
    CaptureError,
    StackFileError,
    capture_stack,
    load_stack_config,
    run_program,
)
from accunode.engine.graph import STACK_TYPE, UNKNOWN_STRING, ResourceGraph, is_secret


class Outer(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accunode:test:Outer", name, None, opts)
        self.inner = Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
        self.register_outputs({"vpcId": self.inner.vpc.id})


class Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("accunode:test:Inner", name, None, opts)
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block="10.0.0.0/16",
                               opts=pulumi.ResourceOptions(parent=self, protect=True,
                                                           custom_timeouts=pulumi.CustomTimeouts(create="1h5m")))
        self.subnet = aws.ec2.Subnet(f"{name}-subnet", vpc_id=self.vpc.id, cidr_block="10.0.0.0/20",
                                     map_public_ip_on_launch=False, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def _program() -> None:
    outer = Outer("net")
    pulumi.export("vpcId", outer.inner.vpc.id)
    pulumi.export("account", aws.get_caller_identity().account_id)


def test_urns_carry_the_whole_parent_type_chain_without_the_stack_type() -> None:
    graph = run_program(_program, stack="prod")
    subnet = graph.find("aws:ec2/subnet:Subnet")
    assert subnet.urn == ("urn:pulumi:prod::accunode::accunode:test:Outer$accunode:test:Inner$aws:ec2/subnet:Subnet"
                          "::net-inner-subnet")
    inner = graph.find("accunode:test:Inner")
    assert subnet.parent == inner.urn
    assert graph.find("accunode:test:Outer").parent == graph.find(STACK_TYPE).urn
    assert graph.find(STACK_TYPE).urn == "urn:pulumi:prod::accunode::pulumi:pulumi:Stack::accunode-prod"


def test_property_dependencies_point_at_engine_urns() -> None:
    graph = run_program(_program)
    subnet = graph.find("aws:ec2/subnet:Subnet")
    vpc = graph.find("aws:ec2/vpc:Vpc")
    assert subnet.property_dependencies == {"vpcId": [vpc.urn]}
    assert vpc.urn in subnet.dependencies


def test_a_default_provider_is_synthesized_once_and_referenced() -> None:
    graph = run_program(_program, config={"aws:region": "eu-west-1", "aws:skipMetadataApiCheck": "true"})
    providers = graph.of_type("pulumi:providers:aws")
    assert len(providers) == 1
    provider = providers[0]
    assert provider.name == f"default_{aws._utilities.get_version().replace('.', '_')}"
    assert provider.inputs == {"region": "eu-west-1", "skipMetadataApiCheck": "true",
                               "version": aws._utilities.get_version()}
    for resource in graph.custom_resources:
        assert resource.provider == f"{provider.urn}::{provider.id}"


def test_stack_exports_and_component_outputs_are_recorded() -> None:
    graph = run_program(_program)
    vpc = graph.find("aws:ec2/vpc:Vpc")
    assert graph.outputs == {"vpcId": vpc.id, "account": ACCOUNT_ID}
    assert graph.find(STACK_TYPE).outputs == graph.outputs
    assert graph.find("accunode:test:Outer").outputs == {"vpcId": vpc.id}


def test_options_are_recorded_in_engine_units() -> None:
    vpc = run_program(_program).find("aws:ec2/vpc:Vpc")
    assert vpc.protect is True
    assert vpc.options["customTimeouts"] == {"create": 3900.0, "update": 0.0, "delete": 0.0, "read": 0.0}


def test_ids_and_arns_look_like_aws() -> None:
    vpc = run_program(_program).find("aws:ec2/vpc:Vpc")
    assert vpc.id.startswith("vpc-")
    assert vpc.outputs["arn"] == f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:vpc/{vpc.id}"


def test_first_preview_leaves_computed_outputs_unknown_for_dependents() -> None:
    graph = run_program(_program, preview=True)
    vpc = graph.find("aws:ec2/vpc:Vpc")
    subnet = graph.find("aws:ec2/subnet:Subnet")
    assert vpc.id is None
    # The provider's preview Create leaves computed attributes unknown, not absent: a stack policy that
    # reads them gets "can't run policy during preview" instead of silently nothing.
    assert vpc.outputs["arn"] == UNKNOWN_STRING and vpc.outputs["id"] == UNKNOWN_STRING
    assert vpc.outputs["cidrBlock"] == "10.0.0.0/16"
    assert subnet.inputs["vpcId"] == UNKNOWN_STRING
    assert subnet.inputs["cidrBlock"] == "10.0.0.0/20"  # what the program knows stays known
    assert graph.outputs["vpcId"] == UNKNOWN_STRING
    assert graph.find("pulumi:providers:aws").id == UNKNOWN_STRING


def test_resource_references_are_collapsed_to_ids_without_hanging() -> None:
    def program() -> None:
        vpc = aws.ec2.Vpc("v", cidr_block="10.0.0.0/16")
        pulumi.CustomResource("test:index:Thing", "thing", {"target": vpc})

    graph = run_program(program)
    assert graph.find("test:index:Thing").inputs["target"] == graph.find("aws:ec2/vpc:Vpc").id


def test_read_resources_are_not_part_of_the_graph() -> None:
    def program() -> None:
        existing = aws.ec2.Vpc.get("existing", "vpc-0123456789abcdef0")
        aws.ec2.Subnet("s", vpc_id=existing.id, cidr_block="10.0.0.0/24")

    graph = run_program(program)
    assert graph.of_type("aws:ec2/vpc:Vpc") == []
    assert graph.find("aws:ec2/subnet:Subnet").inputs["vpcId"] == "vpc-0123456789abcdef0"


def test_secret_inputs_stay_marked_as_secrets() -> None:
    def program() -> None:
        aws.ssm.Parameter("p", name="/a/b", type="SecureString", value=pulumi.Output.secret("s3cr3t-value"))

    parameter = run_program(program).find("aws:ssm/parameter:Parameter")
    assert is_secret(parameter.inputs["value"])
    assert parameter.props["value"] == "s3cr3t-value"


def test_an_unknown_invoke_fails_with_a_message_naming_it() -> None:
    with pytest.raises(CaptureError, match="aws:ec2/getAmi:getAmi"):
        run_program(lambda: aws.ec2.get_ami(owners=["amazon"], most_recent=True))


def test_program_errors_become_plain_messages() -> None:
    def program() -> None:
        raise pulumi.RunError("accunode:tier: 'huge' is not allowed")

    with pytest.raises(CaptureError) as raised:
        run_program(program)
    assert str(raised.value) == "accunode:tier: 'huge' is not allowed"


def test_graph_round_trips_through_json() -> None:
    graph = run_program(_program)
    again = ResourceGraph.from_json(graph.to_json())
    assert again == graph


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: tiny\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(textwrap.dedent("""
        import pulumi
        import pulumi_aws as aws
        config = pulumi.Config("tiny")
        aws.s3.Bucket("b", tags=config.require_object("tags"))
        pulumi.export("token", config.require_secret("token"))
        pulumi.export("size", config.require_int("size"))
    """))
    (tmp_path / "Pulumi.qa.yaml").write_text(textwrap.dedent("""
        config:
          aws:region: us-west-2
          tiny:size: 3
          tiny:tags:
            team: ml
          tiny:token:
            secure: v1:AAAAAAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB
    """))
    return tmp_path


def test_stack_files_are_passed_as_the_cli_passes_them(tiny_project: Path) -> None:
    config, secret_keys = load_stack_config(tiny_project, "qa")
    assert config == {"aws:region": "us-west-2", "tiny:size": "3", "tiny:tags": '{"team": "ml"}',
                      "tiny:token": "[secret:tiny:token]"}
    assert secret_keys == ["tiny:token"]


def test_capture_stack_runs_a_projects_main_with_its_stack_config(tiny_project: Path) -> None:
    graph = capture_stack("qa", tiny_project)
    assert (graph.project, graph.stack) == ("tiny", "qa")
    assert graph.find("aws:s3/bucket:Bucket").inputs["tags"] == {"team": "ml"}
    assert is_secret(graph.outputs["token"])
    assert graph.outputs["size"] == 3


def test_capture_stack_overrides_and_missing_stacks(tiny_project: Path) -> None:
    graph = capture_stack("qa", tiny_project, config_overrides={"tiny:tags": {"team": "data"}})
    assert graph.find("aws:s3/bucket:Bucket").inputs["tags"] == {"team": "data"}
    with pytest.raises(StackFileError, match=r"no stack file Pulumi.nope.yaml .*stacks: qa"):
        capture_stack("nope", tiny_project)


def test_the_capture_cache_returns_the_same_graph_until_an_input_changes(tiny_project: Path) -> None:
    from accunode.engine.capture import capture_stack_cached

    first, hit = capture_stack_cached("qa", tiny_project)
    assert not hit
    again, hit = capture_stack_cached("qa", tiny_project)
    assert hit and again == first
    _, hit = capture_stack_cached("qa", tiny_project, config_overrides={"tiny:size": 4})
    assert not hit  # overrides are part of the key
    (tiny_project / "Pulumi.qa.yaml").write_text((tiny_project / "Pulumi.qa.yaml").read_text().replace("3", "5"))
    changed, hit = capture_stack_cached("qa", tiny_project)
    assert not hit and changed.outputs["size"] == 5
    (tiny_project / "helper.py").write_text("X = 1\n")  # any program source changes the key
    _, hit = capture_stack_cached("qa", tiny_project)
    assert not hit


def test_a_failing_program_is_never_cached(tiny_project: Path) -> None:
    from accunode.engine.capture import CACHE_DIR, capture_stack_cached

    (tiny_project / "__main__.py").write_text("import pulumi\nraise pulumi.RunError('broken on purpose')\n")
    for _ in range(2):
        with pytest.raises(CaptureError, match="broken on purpose"):
            capture_stack_cached("qa", tiny_project)
    assert not list((tiny_project / CACHE_DIR).glob("*.json"))
