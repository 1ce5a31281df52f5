"""The Pulumi project and stack files as the CLI reads them, read once per command.

``Pulumi.yaml`` gives the project's name and runtime; ``Pulumi.<stack>.yaml`` the stack's config in
the form the CLI hands it to programs and policy packs (``PULUMI_CONFIG``); both give the tags a
backend reports for the stack. :class:`StackFiles` holds all of it so a command that previews,
prices or checks a stack reads each file once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accunode.engine.files import FileError, read_yaml_mapping

SECRET_PLACEHOLDER = "[secret:{key}]"  # noqa: S105 - a marker, not a secret

StackFileError = FileError  # a project or stack file that cannot be used (exit 2): ``file[:line:col]: what``


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest directory (from ``start`` or the cwd upwards) that holds ``Pulumi.yaml``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise StackFileError(None, f"no Pulumi.yaml found in {here} or its parents")


def project_name(project_dir: Path) -> str:
    path = project_dir / "Pulumi.yaml"
    name = read_yaml_mapping(path).get("name")
    if not isinstance(name, str) or not name.strip():
        raise StackFileError(path, "name: required (the project's name, e.g. accunode)")
    return name


def stack_names(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def pulumi_stack_name_problem(stack: str) -> str | None:
    """Pulumi's own rule for stack names (``tokens.ValidateStackName``): at most 100 characters, letters,
    digits, '-', '_' and '.'. A project may be stricter (accunode.settings.stack_name_problem)."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,100}", stack):
        return None
    shown = repr(stack) if len(stack) <= 40 else f"{stack[:20]!r}... ({len(stack)} characters)"
    return (f"stack name {shown} is not valid: stack names may only contain letters, digits, '-', '_' or '.' "
            "and are at most 100 characters")


def load_stack_config(project_dir: Path, stack: str) -> tuple[dict[str, str], list[str]]:
    """A stack's config as the CLI hands it to programs and policy packs (``PULUMI_CONFIG``).
    Raises StackFileError (exit 2) for an invalid stack name, a missing stack file or an unusable one.

    Top-level values become strings, objects and arrays JSON strings. ``secure:`` values cannot be
    decrypted without the stack's secrets provider, so they become marked placeholders and are
    listed as secret keys.
    """
    problem = pulumi_stack_name_problem(stack)
    if problem:
        raise StackFileError(None, problem)
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        available = ", ".join(stack_names(project_dir)) or "none"
        raise StackFileError(None, f"no stack file Pulumi.{stack}.yaml in {project_dir.name}/ (stacks: {available})")
    raw = read_yaml_mapping(path, check_scalars="config").get("config") or {}
    project = project_name(project_dir)
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in raw.items():
        namespace, _, name = str(key).rpartition(":")
        if not isinstance(key, str) or not name or (":" in key and not namespace):
            raise StackFileError(path, f"config: {key!r} is not a config key; use <namespace>:<name>, "
                                 f"e.g. {project}:tier")
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full_key] = SECRET_PLACEHOLDER.format(key=full_key)
            secret_keys.append(full_key)
        else:
            config[full_key] = config_string(value)
    return config, secret_keys


def config_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)



def stack_tags(project_dir: Path, config: Mapping[str, str], project_file: Mapping[str, Any] | None = None
               ) -> dict[str, str]:
    """The tags a backend reports for a stack from Pulumi.yaml and ``pulumi:tags`` (no git metadata).
    Raises ValueError when ``pulumi:tags`` is not a mapping of names to text."""
    project = dict(project_file) if project_file is not None else read_yaml_mapping(project_dir / "Pulumi.yaml")
    runtime = project.get("runtime")
    tags = {"pulumi:project": str(project.get("name", "")),
            "pulumi:runtime": str(runtime.get("name") if isinstance(runtime, dict) else runtime or "")}
    if project.get("description"):
        tags["pulumi:description"] = str(project["description"])
    if config.get("pulumi:tags"):
        extra = json.loads(config["pulumi:tags"])
        if not isinstance(extra, dict):
            raise ValueError("pulumi:tags: expected a mapping")
        tags.update({k: str(v) for k, v in extra.items()})
    return tags


@dataclass
class StackFiles:
    """One stack's project and stack files, read once: what every command needs from them."""

    project_dir: Path
    project: str
    stack: str
    config: dict[str, str] = field(default_factory=dict)  # stack file, then overrides
    secret_keys: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, stack: str, project_dir: Path | None = None,
             overrides: Mapping[str, Any] | None = None) -> StackFiles:
        """Raises StackFileError (exit 2) for a missing or unusable file, ValueError for bad tags."""
        project_dir = find_project_dir(project_dir)
        project_file = read_yaml_mapping(project_dir / "Pulumi.yaml")
        project = project_name(project_dir)
        config, secret_keys = load_stack_config(project_dir, stack)
        plain_overrides: dict[str, str] = {}
        for key, value in (overrides or {}).items():
            if value is None:
                config.pop(key, None)
            else:
                config[key] = plain_overrides[key] = config_string(value)
        files = cls(project_dir, project, stack, config, secret_keys, dict(overrides or {}))
        try:
            files.tags = stack_tags(project_dir, config, project_file)
        except (ValueError, AttributeError, TypeError):
            raise StackFileError(None, f"Pulumi.{stack}.yaml: pulumi:tags: expected a mapping of tag names to "
                                 "text values") from None
        return files

    @property
    def stack_file(self) -> Path:
        return self.project_dir / f"Pulumi.{self.stack}.yaml"
