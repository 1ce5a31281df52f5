"""The production request builders, as tests that drive a pack's servicer in-process use them."""

from __future__ import annotations

from google.protobuf import json_format

from accunode.engine.graph import Resource, ResourceGraph
from accunode.engine.requests import analyze_request, stack_request

U = "urn:pulumi:prod::accunode::"
PROVIDER = Resource(urn=U + "pulumi:providers:aws::default_7_0_0", type="pulumi:providers:aws", name="default_7_0_0",
                    custom=True, id="p1", inputs={"region": "us-east-1", "version": "7.0.0"})
BUCKET = Resource(urn=U + "accunode:storage:Storage$aws:s3/bucket:Bucket::logs", type="aws:s3/bucket:Bucket",
                  name="logs", custom=True, parent=U + "accunode:storage:Storage::storage", id="logs",
                  inputs={"bucket": "logs", "__defaults": ["x"]},
                  outputs={"bucket": "logs", "arn": "arn:aws:s3:::logs"},
                  dependencies=[PROVIDER.urn], property_dependencies={"bucket": [], "policy": [PROVIDER.urn]},
                  provider=f"{PROVIDER.urn}::p1",
                  options={"protect": True, "customTimeouts": {"create": 300.0}, "deleteBeforeReplaceDefined": True,
                           "deleteBeforeReplace": True})
GRAPH = ResourceGraph(project="accunode", stack="prod", resources=[PROVIDER, BUCKET])


def test_analyze_request_carries_inputs_options_and_the_provider() -> None:
    request = analyze_request(BUCKET, GRAPH)
    assert (request.urn, request.type, request.name) == (BUCKET.urn, "aws:s3/bucket:Bucket", "logs")
    assert json_format.MessageToDict(request.properties) == {"bucket": "logs"}  # internal keys dropped
    assert request.options.protect and request.options.deleteBeforeReplace
    assert request.options.customTimeouts.create == 300 and request.options.parent == BUCKET.parent
    assert request.provider.urn == PROVIDER.urn and request.provider.name == "default_7_0_0"
    remediate = analyze_request(BUCKET, GRAPH, remediate=True)
    assert "__defaults" in json_format.MessageToDict(remediate.properties)  # Remediate keeps them
    assert not analyze_request(BUCKET).HasField("provider")  # no graph: no provider to resolve


def test_stack_request_carries_outputs_parents_and_non_empty_property_dependencies() -> None:
    (provider, bucket) = stack_request(GRAPH).resources
    assert json_format.MessageToDict(bucket.properties)["arn"] == "arn:aws:s3:::logs"
    assert bucket.parent == BUCKET.parent and list(bucket.dependencies) == [PROVIDER.urn]
    assert set(bucket.propertyDependencies) == {"policy"}
    assert provider.type == "pulumi:providers:aws"
