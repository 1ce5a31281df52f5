"""ECR: immutable tags, scan on push, encryption, and the lifecycle rules from accunode.specs.ecr."""

from __future__ import annotations

import json

import pytest

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph
from accunode.specs.ecr import lifecycle_rules
from components.registry import Registry, RegistryArgs
from tests.components.stack import stack_context

REPOSITORY = "aws:ecr/repository:Repository"
KEY = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


def _build(**overrides) -> ResourceGraph:
    args = RegistryArgs(**{"context": stack_context(tags={"project": "accunode"}), "repository_name": "accunode-test",
                           **overrides})
    return run_program(lambda: Registry("registry", args))


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return _build()


def test_repository_tags_are_immutable_and_images_scanned_on_push(graph):
    props = graph.find(REPOSITORY).props
    assert props["imageTagMutability"] == "IMMUTABLE"
    assert props["imageScanningConfiguration"] == {"scanOnPush": True}
    assert props["name"] == "accunode-test"
    assert props["tags"] == {"project": "accunode", "Name": "accunode-test"}


def test_repository_is_encrypted_with_aes256_by_default_and_kms_when_given(graph):
    assert graph.find(REPOSITORY).props["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    with_key = _build(kms_key_arn=KEY).find(REPOSITORY).props
    assert with_key["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KEY}]


def test_repository_refuses_deletion_while_it_holds_images_by_default(graph):
    assert graph.find(REPOSITORY).props["forceDelete"] is False


def test_lifecycle_policy_keeps_the_requested_tagged_images_on_this_repository(graph):
    policy = graph.find("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert json.loads(policy.props["policy"]) == {"rules": lifecycle_rules(7)}
    assert policy.property_dependencies["repository"] == [graph.find(REPOSITORY).urn]
    ten = _build(keep_tagged_images=10).find("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert json.loads(ten.props["policy"]) == {"rules": lifecycle_rules(10)}


@pytest.mark.parametrize("overrides, message", [
    ({"repository_name": "AccuNode"}, "repository_name"),
    ({"repository_name": "accunode--/x"}, "repository_name"),
    ({"keep_tagged_images": 0}, "keep_tagged_images"),
])
def test_registry_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        RegistryArgs(**{"context": stack_context(), "repository_name": "accunode-test", **overrides})
