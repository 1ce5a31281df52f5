"""Check a JSON value against a shape of the AWS API models that botocore ships.

The provider passes some documents to AWS verbatim (an ECS task definition's
``containerDefinitions``): a key AWS does not know, a wrong type or a value outside an enum is
then rejected (or silently dropped) at create time, after the preview said nothing. This walks the
value along the botocore shape: structure members (unknown keys, required members), lists, maps,
string enums and lengths, integer ranges and booleans.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.model import Shape


@cache
def service_shape(service: str, shape: str) -> Shape:
    return botocore.session.get_session().get_service_model(service).shape_for(shape)


def problems(value: Any, shape: Shape, path: str = "$") -> list[str]:
    """Every way ``value`` does not fit ``shape``; empty when it fits."""
    found: list[str] = []
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object ({shape.name}), got {type(value).__name__}"]
        found += [f"{path}: missing required {name}" for name in shape.required_members if name not in value]
        for key, item in value.items():
            if key not in shape.members:
                found.append(f"{path}: unknown key {key!r} for {shape.name}")
            else:
                found += problems(item, shape.members[key], f"{path}.{key}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        found += _length(path, len(value), meta)
        for index, item in enumerate(value):
            found += problems(item, shape.member, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map, got {type(value).__name__}"]
        for key, item in value.items():
            found += problems(key, shape.key, f"{path}<key {key!r}>")
            found += problems(item, shape.value, f"{path}.{key}")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {type(value).__name__}"]
        if shape.enum and value not in shape.enum:
            found.append(f"{path}: {value!r} is not one of {shape.enum}")
        found += _length(path, len(value), meta)
    elif kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: expected an integer, got {type(value).__name__}"]
        if ("min" in meta and value < meta["min"]) or ("max" in meta and value > meta["max"]):
            found.append(f"{path}: {value} is outside {meta.get('min')}..{meta.get('max')}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            found.append(f"{path}: expected a boolean, got {type(value).__name__}")
    elif kind in ("double", "float") and (isinstance(value, bool) or not isinstance(value, int | float)):
        found.append(f"{path}: expected a number, got {type(value).__name__}")
    return found


def _length(path: str, length: int, meta: dict[str, Any]) -> list[str]:
    if ("min" in meta and length < meta["min"]) or ("max" in meta and length > meta["max"]):
        return [f"{path}: length {length} is outside {meta.get('min')}..{meta.get('max')}"]
    return []
