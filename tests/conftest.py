"""Shared fixtures. The recording mocks live in ``accunode.engine.capture`` (one module for tests,
the cost model and the offline preview); here we only cache what they record, because running the
whole program is the slowest thing a test does."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from accunode.engine.capture import capture_stack
from accunode.engine.graph import ResourceGraph

ROOT = Path(__file__).resolve().parents[1]
_CAPTURES: dict[str, ResourceGraph] = {}


def captured(stack: str, *, preview: bool = False, **overrides: Any) -> ResourceGraph:
    """The graph of ``Pulumi.<stack>.yaml`` (config overrides as ``accunode:key`` keyword pairs are
    not valid Python names, so pass them as ``**{"accunode:tier": "high"}``). Each call returns a
    private copy, so a test may weaken it freely."""
    key = json.dumps([stack, preview, overrides], sort_keys=True)
    if key not in _CAPTURES:
        _CAPTURES[key] = capture_stack(stack, ROOT, preview=preview, config_overrides=overrides or None)
    return copy.deepcopy(_CAPTURES[key])


@pytest.fixture(scope="session")
def stack_graph() -> Callable[..., ResourceGraph]:
    """``stack_graph("prod")`` / ``stack_graph("prod", preview=True)``: a private copy of a captured stack."""
    return captured


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT
