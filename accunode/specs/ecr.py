"""The ECR lifecycle policy: keep the newest N tagged images, expire untagged ones after a day.

The deployment review keeps "only 7 most recent images". Untagged images are the leftovers of
re-pushed manifests and failed builds; nothing deploys them, so a day is enough. ECR evaluates
rules by ascending priority and an image is expired by the first rule that selects it.
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_KEEP_TAGGED = 7
UNTAGGED_EXPIRY_DAYS = 1


def lifecycle_rules(keep_tagged: int = DEFAULT_KEEP_TAGGED,
                    untagged_expiry_days: int = UNTAGGED_EXPIRY_DAYS) -> list[dict[str, Any]]:
    """The policy's rules, untagged first. Raises ValueError for counts ECR would refuse."""
    if keep_tagged < 1:
        raise ValueError(f"keep_tagged must be at least 1 (the image in service), got {keep_tagged}")
    if untagged_expiry_days < 1:
        raise ValueError(f"untagged_expiry_days must be at least 1, got {untagged_expiry_days}")
    return [
        {
            "rulePriority": 1,
            "description": f"Expire untagged images {untagged_expiry_days} day(s) after push",
            "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                          "countNumber": untagged_expiry_days},
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Keep the {keep_tagged} most recent tagged images",
            "selection": {"tagStatus": "tagged", "tagPatternList": ["*"], "countType": "imageCountMoreThan",
                          "countNumber": keep_tagged},
            "action": {"type": "expire"},
        },
    ]


def lifecycle_policy(keep_tagged: int = DEFAULT_KEEP_TAGGED,
                     untagged_expiry_days: int = UNTAGGED_EXPIRY_DAYS) -> str:
    """The lifecycle policy document as the JSON string ``aws.ecr.LifecyclePolicy`` takes."""
    return json.dumps({"rules": lifecycle_rules(keep_tagged, untagged_expiry_days)}, sort_keys=True)
