import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accunode.specs.ecr import DEFAULT_KEEP_TAGGED, lifecycle_policy, lifecycle_rules


def _rule(rules: list[dict], tag_status: str) -> dict:
    return next(r for r in rules if r["selection"]["tagStatus"] == tag_status)


def test_lifecycle_keeps_seven_tagged_images_by_default():
    tagged = _rule(lifecycle_rules(), "tagged")
    assert DEFAULT_KEEP_TAGGED == 7
    assert tagged["selection"]["countType"] == "imageCountMoreThan"
    assert tagged["selection"]["countNumber"] == 7
    assert tagged["selection"]["tagPatternList"] == ["*"]
    assert tagged["action"] == {"type": "expire"}


def test_lifecycle_expires_untagged_images_after_one_day():
    untagged = _rule(lifecycle_rules(), "untagged")
    assert untagged["selection"] == {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                     "countUnit": "days", "countNumber": 1}
    assert untagged["action"] == {"type": "expire"}


@given(st.integers(min_value=1, max_value=1000))
def test_lifecycle_rules_have_unique_priorities_and_keep_the_requested_count(keep: int):
    rules = lifecycle_rules(keep)
    priorities = [r["rulePriority"] for r in rules]
    assert len(set(priorities)) == len(priorities) and all(p >= 1 for p in priorities)
    assert _rule(rules, "tagged")["selection"]["countNumber"] == keep
    # ECR requires an "any" rule, if present, to have the highest priority; we use none.
    assert all(r["selection"]["tagStatus"] != "any" for r in rules)


@pytest.mark.parametrize("keep", [0, -1])
def test_lifecycle_rejects_keeping_no_tagged_image(keep: int):
    with pytest.raises(ValueError, match="keep_tagged"):
        lifecycle_rules(keep)


def test_lifecycle_rejects_zero_day_untagged_expiry():
    with pytest.raises(ValueError, match="untagged_expiry_days"):
        lifecycle_rules(untagged_expiry_days=0)


def test_lifecycle_policy_is_the_rules_as_a_json_document():
    assert json.loads(lifecycle_policy(10)) == {"rules": lifecycle_rules(10)}
