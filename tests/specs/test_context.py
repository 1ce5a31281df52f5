"""The stack context validates account, region, name prefix and tags once, with one clear line each."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accunode import awsrules
from accunode.settings import PROGRAM_TAG_KEYS, tag_problems
from accunode.specs.context import StackContext

ACCOUNT = "123456789012"


def _context(**overrides) -> StackContext:
    values = {"account_id": ACCOUNT, "region": "us-east-1", "name_prefix": "accunode-prod",
              "tags": {"project": "accunode", "stack": "prod"}}
    return StackContext(**{**values, **overrides})


def test_a_valid_context_keeps_its_values_and_tags_each_resource_with_its_name():
    context = _context()
    assert (context.account_id, context.region, context.name_prefix) == (ACCOUNT, "us-east-1", "accunode-prod")
    assert context.tagged("accunode-prod-vpc") == {"project": "accunode", "stack": "prod", "Name": "accunode-prod-vpc"}
    assert "Name" not in context.tags  # tagged() returns a new dict


def test_the_context_is_frozen_all_the_way_down():
    tags = {"project": "accunode"}
    context = _context(tags=tags)
    tags["project"] = "changed"  # the caller's dict is copied
    assert context.tags == {"project": "accunode"}
    with pytest.raises(TypeError):
        context.tags["stack"] = "prod"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        context.region = "eu-west-1"  # type: ignore[misc]


@pytest.mark.parametrize("account_id", ["12345", "1234567890123", "12345678901a", ""])
def test_context_rejects_an_account_id_that_is_not_12_digits(account_id):
    with pytest.raises(ValueError, match=rf"^account_id '{account_id}' is not a 12-digit AWS account id$"):
        _context(account_id=account_id)


@pytest.mark.parametrize("region", ["mars", "US-EAST-1", "us-east", "us-east-1a", ""])
def test_context_rejects_a_region_that_is_not_an_aws_region_name(region):
    with pytest.raises(ValueError, match=rf"^region '{region}' is not an AWS region name \(e\.g\. us-east-1\)$"):
        _context(region=region)


@pytest.mark.parametrize("prefix", ["AccuNode-prod", "accunode prod", "accunode-", "accunode--prod", "-prod",
                                    "1accunode", "accunode_prod", ""])
def test_context_rejects_a_name_prefix_aws_names_cannot_start_with(prefix):
    with pytest.raises(ValueError, match=r"^name_prefix .* must be lower-case letters, digits and single '-'"):
        _context(name_prefix=prefix)


def test_context_rejects_more_tags_than_aws_allows_with_room_for_the_name_tag():
    room = awsrules.TAGS_PER_RESOURCE_MAX - 1
    assert _context(tags={f"k{i}": "v" for i in range(room)}).tags  # 49 tags + Name = 50: allowed
    with pytest.raises(ValueError, match=rf"^tags: {room + 1} tags; AWS allows 50 per resource .* at most {room}$"):
        _context(tags={f"k{i}": "v" for i in range(room + 1)})


@pytest.mark.parametrize("tags, message", [
    ({"k" * 129: "v"}, "the key is 129 characters; AWS allows at most 128"),
    ({"team": "v" * 257}, "team: the value is 257 characters; AWS allows at most 256"),
    ({"": "v"}, "the key is empty"),
    ({"aws:cloudformation:stack-name": "x"}, "reserved by AWS"),
    ({"AWS:owner": "x"}, "reserved by AWS"),
    ({"Name": "x"}, "sets its resources' Name"),
    ({"team": "a;b"}, "characters AWS refuses"),
    ({"cost center!": "x"}, "characters AWS refuses"),
])
def test_context_rejects_tags_over_aws_limits_with_one_line_naming_the_tag(tags, message):
    with pytest.raises(ValueError, match=message) as raised:
        _context(tags=tags)
    assert str(raised.value).startswith("tags: ") and "\n" not in str(raised.value)


def test_at_the_limits_tags_are_accepted():
    assert _context(tags={"k" * 128: "v" * 256, "team": "", "a b_.:/=+-@": "é 1"}).tags


def test_every_problem_is_reported_in_one_error():
    with pytest.raises(ValueError) as raised:
        StackContext("1", "mars", "Bad", {"aws:x": "y"})
    message = str(raised.value)
    assert all(word in message for word in ("account_id", "region", "name_prefix", "reserved")), message


# Mostly characters AWS allows, a few it refuses (the settings filter those out).
_TEXT = st.text(alphabet=st.sampled_from("abcXYZ019 _.:/=+-@é;"), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.dictionaries(_TEXT, _TEXT, max_size=46))
def test_tags_the_settings_accept_are_accepted_by_the_context(own):
    # The settings validate a stack's own tags first (one line per config key); the context must never
    # refuse what they let through, or a stack would fail with a traceback instead of a config error.
    assume(tag_problems(own) == [])
    base = {key: "x" for key in PROGRAM_TAG_KEYS if key != "Name"}
    _context(tags={**own, **base})
