"""The stack context component tests build their args with: a test account in us-east-1."""

from __future__ import annotations

from collections.abc import Mapping

from accunode.specs.context import StackContext

ACCOUNT_ID = "123456789012"


def stack_context(*, account_id: str = ACCOUNT_ID, region: str = "us-east-1", name_prefix: str = "accunode-test",
                  tags: Mapping[str, str] | None = None) -> StackContext:
    return StackContext(account_id, region, name_prefix, dict(tags or {}))
