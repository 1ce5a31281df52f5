"""Turn a stack into what a first ``pulumi preview`` shows: every id and ARN of a new resource unknown."""

from __future__ import annotations

from typing import Any

from accunode.engine.graph import UNKNOWN_STRING, Resource


def first_preview(resources: list[Resource]) -> None:
    """In place: ids and ARNs become unknown, and so does every use of them in an input that depends on
    another resource (values under the keys of ``property_dependencies``), as the engine marshals them."""
    computed = {r.outputs.get(key) for r in resources for key in ("id", "arn")} - {None}
    for resource in resources:
        for key in resource.property_dependencies:
            for props in (resource.inputs, resource.outputs):
                if key in props:
                    props[key] = _blind(props[key], computed)
        for key in ("id", "arn"):
            if key in resource.outputs:
                resource.outputs[key] = UNKNOWN_STRING


def _blind(value: Any, computed: set[Any]) -> Any:
    if isinstance(value, dict):
        return {key: _blind(item, computed) for key, item in value.items()}
    if isinstance(value, list):
        return [_blind(item, computed) for item in value]
    if isinstance(value, str) and value in computed:
        return UNKNOWN_STRING
    return value
