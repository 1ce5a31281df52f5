"""Stack files generated from the settings schema and then broken (wrong types, out-of-range values,
unknown and misspelled keys, bad YAML): never a traceback, an exit code from the table, and a
message that names the key (or the file and line) and what is allowed.

The in-process path (stack file -> config -> settings) runs many examples; the CLI path, which also
runs the program under the mocks whenever the settings are valid, runs a few dozen.
"""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from accunode.command import ExitCode
from accunode.engine.capture import load_stack_config
from accunode.engine.files import FileError
from accunode.settings import HIDDEN_KEYS, SettingsError, StackSettings, settings_from_config
from tests.cli.conftest import REPO, accunode

SCHEMA = StackSettings.model_json_schema(by_alias=True)
PROPERTIES = {k: v for k, v in SCHEMA["properties"].items() if k not in HIDDEN_KEYS}
BASE: dict[str, Any] = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())["config"]
JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object")


def _resolve(prop: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return SCHEMA["$defs"][prop["$ref"].rsplit("/", 1)[-1]]
    for option in prop.get("anyOf", []):
        if option.get("type") != "null":
            return _resolve(option)
    return prop


def _types(prop: dict[str, Any]) -> set[str]:
    prop = _resolve(prop)
    if "enum" in prop or "const" in prop:
        return {"string"}
    kind = prop.get("type", "string")
    return {"integer", "number"} if kind == "number" else {kind}


def _value_of(kind: str) -> st.SearchStrategy[Any]:
    return {
        "string": st.text(string.ascii_letters + string.digits + " -_./:@#", min_size=1, max_size=12),
        "integer": st.integers(-10**6, 10**6),
        "number": st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        "boolean": st.booleans(),
        "array": st.lists(st.integers(0, 9), max_size=3),
        "object": st.dictionaries(st.sampled_from(["a", "cpu", "x"]), st.integers(0, 9), max_size=2),
    }[kind]


@st.composite
def wrong_type(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    key = draw(st.sampled_from(sorted(PROPERTIES)))
    others = [t for t in JSON_TYPES if t not in _types(PROPERTIES[key]) and not
              (t in ("integer", "number") and "string" in _types(PROPERTIES[key]))]
    value = draw(_value_of(draw(st.sampled_from(others))))
    return {**BASE, f"accunode:{key}": value}, key


def _out_of_range_value(prop: dict[str, Any]) -> st.SearchStrategy[Any] | None:
    prop = _resolve(prop)
    if "enum" in prop:
        return st.text(string.ascii_lowercase, min_size=1, max_size=8).filter(lambda v: v not in prop["enum"])
    if "const" in prop:
        return st.just(str(prop["const"]) + "x")
    if "maximum" in prop:
        return st.integers(prop["maximum"] + 1, prop["maximum"] + 10**4)
    if "minimum" in prop:
        return st.integers(prop["minimum"] - 10**4, prop["minimum"] - 1)
    if "exclusiveMinimum" in prop:
        return st.sampled_from([prop["exclusiveMinimum"], prop["exclusiveMinimum"] - 1, "inf", "-inf", "nan"])
    return None


RANGED = {}
for _key, _prop in PROPERTIES.items():
    _resolved = _resolve(_prop)
    if _out_of_range_value(_prop) is not None:
        RANGED[_key] = None
    for _name, _nested in (_resolved.get("properties") or {}).items():
        if _out_of_range_value(_nested) is not None:
            RANGED[f"{_key}.{_name}"] = _nested


@st.composite
def out_of_range(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    path = draw(st.sampled_from(sorted(RANGED)))
    key, _, nested = path.partition(".")
    if nested:
        value = draw(_out_of_range_value(RANGED[path]))  # type: ignore[arg-type]
        return {**BASE, f"accunode:{key}": {**(BASE.get(f"accunode:{key}") or {}), nested: value}}, path
    return {**BASE, f"accunode:{key}": draw(_out_of_range_value(PROPERTIES[key]))}, key  # type: ignore[arg-type]


@st.composite
def unknown_or_misspelled_key(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    known = sorted(PROPERTIES)
    if draw(st.booleans()):
        key = draw(st.sampled_from(known))
        i = draw(st.integers(0, len(key) - 1))
        typo = draw(st.sampled_from([key[:i] + key[i + 1:], key[:i] + key[i] + key[i:], key + "s"]))
    else:
        typo = draw(st.from_regex(r"[a-z][A-Za-z0-9]{2,12}", fullmatch=True))
    if typo in known or not typo:
        typo = "zz" + typo
    config = dict(BASE)
    original = next((k for k in known if f"accunode:{k}" in config and typo.lower() != k.lower()), None)
    value = config.pop(f"accunode:{typo[:-1]}", None) if original else None
    config[f"accunode:{typo}"] = value if value is not None else "x"
    return config, typo


def _yaml(config: dict[str, Any]) -> str:
    return yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True)


BAD_YAML = [
    ("tab", lambda text: text.replace("\n  ", "\n\t", 1)),
    ("unclosed", lambda text: text.replace("accunode:tags:", "accunode:tags: [", 1)),
    ("two documents", lambda text: text + "---\nconfig: {}\n"),
    ("NUL", lambda text: text.replace("platform", "plat\0form", 1)),
    ("python tag", lambda text: text.replace("config:", "config: !!python/object:os.system", 1)),
    ("top-level list", lambda text: "- " + text.replace("\n", "\n  ")),
    ("config a list", lambda _text: "config:\n  - accunode:tier\n"),
    ("octal", lambda text: text.replace("accunode:tier: light", "accunode:tier: light\n  accunode:imageTag: 0755", 1)),
    ("yes/no", lambda text: text.replace("accunode:tier: light", "accunode:tier: light\n  accunode:waf: no", 1)),
    ("version float", lambda text: text.replace("accunode:tier: light", "accunode:tier: light\n"
                                                "  accunode:imageTag: 1.10", 1)),
    ("null", lambda text: text.replace("accunode:tier: light", "accunode:tier: light\n  accunode:owner:", 1)),
]


@st.composite
def bad_yaml(draw: st.DrawFn) -> tuple[str, str]:
    _name, breaker = draw(st.sampled_from(BAD_YAML))
    return breaker(_yaml(BASE)), "Pulumi.prod.yaml:"


@st.composite
def misspelled_namespace(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    key = draw(st.sampled_from(sorted(k for k in BASE if k.startswith("accunode:"))))
    namespace = draw(st.sampled_from(["acunode", "Accunode", "accunod", "accunodee", "ACCUNODE"]))
    config = dict(BASE)
    config[f"{namespace}:{key.split(':', 1)[1]}"] = config.pop(key)
    return config, key.split(":", 1)[1]


MUTATIONS = st.one_of(wrong_type(), out_of_range(), unknown_or_misspelled_key(), misspelled_namespace(),
                      bad_yaml())


def _write(project: Path, mutated: dict[str, Any] | str) -> None:
    text = mutated if isinstance(mutated, str) else _yaml(mutated)
    (project / "Pulumi.prod.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))


def _names(text: str, key: str) -> bool:
    if key.startswith("Pulumi."):
        return key in text
    return f"accunode:{key}" in text or f"accunode:{key.split('.')[0]}" in text


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(REPO / name, root / name)
    (root / "components").symlink_to(REPO / "components")
    return root


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=MUTATIONS)
def test_mutated_stack_files_are_refused_naming_the_key_or_pass(scratch: Path,
                                                                case: tuple[dict[str, Any] | str, str]) -> None:
    mutated, key = case
    _write(scratch, mutated)
    try:
        config, _ = load_stack_config(scratch, "prod")
        settings_from_config("prod", config)
    except FileError as error:
        event("file error")
        assert str(error).startswith("Pulumi.prod.yaml:"), str(error)
        assert all(line.startswith("Pulumi.prod.yaml:") for line in str(error).splitlines())
    except SettingsError as error:
        event("settings error")
        # every line starts with what it is about: --stack, or a namespaced key (accunode:api.cpu, aws:region)
        assert all(re.match(r"(--stack|[A-Za-z]+:[A-Za-z][\w.:\[\]-]*)[: ]", p) for p in error.problems), error.problems
        assert any(_names(p, key) for p in error.problems), (key, error.problems)
        assert all(":" in p.split(" ", 1)[0] for p in error.problems)
    else:
        event("valid")
        assert not key.startswith("Pulumi."), f"broken YAML accepted: {mutated!r}"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=MUTATIONS)
def test_the_cli_refuses_mutated_stack_files_with_a_table_code_and_no_traceback(
        scratch: Path, case: tuple[dict[str, Any] | str, str]) -> None:
    mutated, key = case
    _write(scratch, mutated)
    run = accunode("preview", "--stack", "prod", "--project-dir", str(scratch), "--no-cache")
    event(f"exit {run.code}")
    assert "Traceback" not in run.text and "internal error" not in run.text, run.text[-3000:]
    # 3 would mean the program failed on settings the validator let through: a gap in the validator.
    assert run.code in (ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE), run.text[-3000:]
    if run.code == ExitCode.USAGE:
        assert _names(run.err, key), (key, run.err)
        assert all(line.startswith("error: ") for line in run.err.strip().splitlines()
                   if not line.endswith(": starting") and not line.endswith(": done")), run.err
