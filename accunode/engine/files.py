"""Reading the files a user writes: ``Pulumi.yaml``, ``Pulumi.<stack>.yaml`` and ``--policy-pack-config``.

Every problem is one line in Pulumi's style, ``Pulumi.prod.yaml:3:1: <what>``, raised as FileError
before anything runs. YAML 1.1 (what PyYAML reads, and what many editors assume) turns some plain
scalars into something else than what was written: ``014`` is 12 (octal), ``no`` is false,
``1.10`` is 1.1, ``1_000`` is 1000, ``1:30`` is 90. The offline engine would then pass a value the
author did not write, and the Pulumi CLI (YAML 1.2-ish) may read it differently again, so such a
scalar is refused with what was read and how to quote it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


class FileError(ValueError):
    """A file that cannot be used; ``str()`` is ``file:line:col: what``."""

    def __init__(self, path: Path | str | None, message: str, line: int | None = None, column: int | None = None):
        self.path, self.line, self.column = (Path(path) if path else None), line, column
        if path is None:
            super().__init__(message)
            return
        where = (Path(path).name or str(path)) + (f":{line}" if line else "")
        where += f":{column}" if line and column else ""
        super().__init__(f"{where}: {message}")


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileError(path, f"cannot read: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise FileError(path, f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8",
                        line, column) from None
    if "\0" in text:
        offset = text.index("\0")
        raise FileError(path, "contains a NUL character", text.count("\n", 0, offset) + 1,
                        offset - (text.rfind("\n", 0, offset) + 1) + 1)
    return text.removeprefix("\ufeff")


def _mark(error: yaml.MarkedYAMLError) -> tuple[int | None, int | None]:
    mark = error.problem_mark or error.context_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _yaml_message(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        problem = (error.problem or "").strip()
        if "found character '\\t'" in problem:
            return "a tab character; YAML indents with spaces only"
        if problem.startswith("could not determine a constructor for the tag"):
            tag = problem.rsplit(" ", 1)[-1].strip("'").replace("tag:yaml.org,2002:", "!!")
            return f"unsupported YAML tag {tag}; Pulumi files hold plain values"
        if error.context and problem:
            return f"{problem} ({error.context.strip()})"
        return problem or str(error.context or "invalid YAML")
    return str(error)


def _surprise(node: yaml.ScalarNode, value: Any) -> str | None:
    """What a plain scalar was read as, when that is not what was written (None when it is)."""
    text = node.value
    if node.style is not None or isinstance(value, str) or value is None:
        return None
    if isinstance(value, bool):
        if text.lower() == str(value).lower():
            return None
        return f"{text} is read as {str(value).lower()} (a YAML 1.1 boolean)"
    if isinstance(value, int):
        if (str(value) == text.lstrip("+") and text.lstrip("+-")[:1] != "0") or text in ("0", "-0"):
            return None
        why = ("a leading 0 means octal" if text.lstrip("+-").startswith("0") and text.lstrip("+-")[1:2].isdigit()
               else "hexadecimal" if "x" in text.lower() else "base 60" if ":" in text
               else "underscores are dropped" if "_" in text else "a YAML 1.1 integer")
        return f"{text} is read as the number {value} ({why})"
    if isinstance(value, float):
        shown = json.dumps(value) if value == value and abs(value) != float("inf") else str(value)
        if shown == text:
            return None
        return f"{text} is read as the number {shown}"
    return None


def _walk(node: yaml.Node, loader: yaml.SafeLoader, path: Path, key: str, problems: list[str]) -> None:
    if isinstance(node, yaml.ScalarNode):
        what = _surprise(node, loader.construct_object(node, deep=True))
        if what:
            problems.append(f"{path.name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}: {key}: {what}; "
                            f'quote it ("{node.value}") to keep the text, or write the value you mean')
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            if name in seen and isinstance(key_node, yaml.ScalarNode):
                problems.append(f"{path.name}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                                f"{key}{'.' if key else ''}{name}: defined twice (first on line {seen[name]})")
            seen[name] = key_node.start_mark.line + 1
            _walk(value_node, loader, path, f"{key}.{name}" if key else name, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, loader, path, f"{key}[{index}]", problems)


def read_yaml_mapping(path: Path, check_scalars: str | None = None) -> dict[str, Any]:
    """A YAML file whose top level is a mapping. Raises FileError (one line per problem).

    ``check_scalars`` names a top-level key whose values are checked for YAML 1.1 surprises and
    duplicate keys (``"config"`` for a stack file).
    """
    text = _text(path)
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as error:
        line, column = _mark(error) if isinstance(error, yaml.MarkedYAMLError) else (None, None)
        raise FileError(path, _yaml_message(error), line, column) from None
    except RecursionError:
        raise FileError(path, "nested too deeply to read") from None
    documents = [d for d in documents if d is not None]
    if len(documents) > 1:
        mark = documents[1].start_mark
        raise FileError(path, "more than one YAML document (a '---' line); a Pulumi file holds one",
                        mark.line + 1, mark.column + 1)
    if not documents:
        return {}
    root = documents[0]
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else f"the value {root.value!r}"
        raise FileError(path, f"the top level is {kind}; expected a mapping of keys to values",
                        root.start_mark.line + 1, root.start_mark.column + 1)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(root)
    except RecursionError:
        raise FileError(path, "nested too deeply to read") from None
    except yaml.YAMLError as error:
        line, column = _mark(error) if isinstance(error, yaml.MarkedYAMLError) else (None, None)
        raise FileError(path, _yaml_message(error), line, column) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise FileError(path, "every top-level key must be text", root.start_mark.line + 1, 1)
    if check_scalars:
        for key_node, value_node in root.value:
            if key_node.value != check_scalars:
                continue
            if not isinstance(value_node, yaml.MappingNode) and data.get(check_scalars) is not None:
                raise FileError(path, f"{check_scalars}: expected a mapping of keys to values, got "
                                      f"{'a list' if isinstance(value_node, yaml.SequenceNode) else 'a scalar'}",
                                value_node.start_mark.line + 1, value_node.start_mark.column + 1)
            problems: list[str] = []
            checker = yaml.SafeLoader("")
            try:
                _walk(value_node, checker, path, "", problems)
            finally:
                checker.dispose()
            _null_values(value_node, path, problems)
            if problems:
                raise _Many(path, problems)
    return data


class _Many(FileError):
    """Several problems in one file, one line each (each already ``file:line:col: what``)."""

    def __init__(self, path: Path, lines: list[str]):
        super().__init__(None, "\n".join(lines))
        self.path = path


def _null_values(node: yaml.Node, path: Path, problems: list[str]) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag == "tag:yaml.org,2002:null":
            problems.append(f"{path.name}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}: "
                            f"{key_node.value}: no value (null); set a value or remove the key")


def read_json(path: Path) -> Any:
    """A JSON file (``--policy-pack-config``). Raises FileError with the line and column of a problem."""
    text = _text(path)
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FileError(path, f"invalid JSON: {error.msg}", error.lineno, error.colno) from None
    except RecursionError:
        raise FileError(path, "invalid JSON: nested too deeply") from None
