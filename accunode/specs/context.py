"""What every component needs from the stack: account, region, name prefix and tags, validated once.

``__main__`` builds one ``StackContext`` from the settings and hands it to each component as the first
field of its args; components no longer take (and re-validate) four loose values each. Plain Python:
importing it pulls in neither Pulumi nor the settings model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from accunode import awsrules

NAME_TAG = "Name"
"""Set per resource by the component that creates it, so it is not one of the stack's tags."""


def context_tag_problems(tags: Mapping[str, str]) -> list[str]:
    """AWS's tag rules for the tags every resource of the stack carries, one line per problem."""
    return [f"tags: {problem}" for problem in awsrules.tag_set_problems(
        tags, (NAME_TAG,), "each resource", f"each component sets its resources' {NAME_TAG}; use another key")]

@dataclass(frozen=True)
class StackContext:
    account_id: str
    """The 12-digit account the stack deploys into (ARNs are built from it, known at preview)."""
    region: str
    name_prefix: str
    """Prefix of physical names and Name tags, e.g. ``accunode-prod``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on every taggable resource (cost allocation first); each resource adds its own Name."""

    def __post_init__(self) -> None:
        problems = [p for p in (awsrules.account_id_problem(self.account_id), awsrules.region_problem(self.region),
                                awsrules.name_prefix_problem(self.name_prefix)) if p]
        problems += context_tag_problems(self.tags)
        if problems:
            raise ValueError("; ".join(problems))
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))  # frozen all the way down

    def tagged(self, name: str) -> dict[str, str]:
        """The stack's tags plus ``Name``, as a resource's ``tags`` input."""
        return {**self.tags, NAME_TAG: name}
