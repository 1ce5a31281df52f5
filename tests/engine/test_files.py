"""Stack, project and policy-pack-config files: every problem is one ``file:line:col: what`` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from accunode.engine.files import FileError, read_json, read_yaml_mapping
from accunode.engine.policy_config import load_policy_pack_config

BROKEN_YAML = {
    "tab": (b"config:\n\taccunode:tier: light\n", "2:1: a tab character; YAML indents with spaces only"),
    "unclosed bracket": (b"config: {accunode:tier: [light\n", "2:1: expected ',' or ']'"),
    "two documents": (b"config: {}\n---\nconfig: {}\n", "3:1: more than one YAML document"),
    "NUL byte": (b"config:\n  accunode:tier: li\x00ght\n", "2:20: contains a NUL character"),
    "python tag": (b"config: !!python/object:os.system {}\n", "1:9: unsupported YAML tag !!python/object:os.system"),
    "custom tag": (b"config:\n  accunode:tier: !secret light\n", "2:18: unsupported YAML tag !secret"),
    "top-level list": (b"- config\n- accunode\n", "1:1: the top level is a list; expected a mapping"),
    "top-level scalar": (b"just text\n", "1:1: the top level is the value 'just text'"),
    "config not a mapping": (b"config:\n  - accunode:tier\n", "2:3: config: expected a mapping of keys to values"),
    "config a scalar": (b"config: light\n", "1:9: config: expected a mapping"),
    "not UTF-8": (b"config:\n  accunode:owner: caf\xe9\n", "2:22: not UTF-8 text (byte 0xe9)"),
    "duplicate key": (b"config:\n  accunode:tier: light\n  accunode:tier: high\n",
                      "3:3: accunode:tier: defined twice (first on line 2)"),
    "null value": (b"config:\n  accunode:owner:\n", "2:3: accunode:owner: no value (null)"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_YAML))
def test_a_broken_stack_file_is_one_line_with_file_line_and_column(case: str, tmp_path: Path) -> None:
    content, expected = BROKEN_YAML[case]
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_bytes(content)
    with pytest.raises(FileError) as raised:
        read_yaml_mapping(path, check_scalars="config")
    message = str(raised.value)
    assert message.startswith("Pulumi.prod.yaml:"), message
    assert expected in message, message
    assert len(message.splitlines()) == 1


SURPRISES = {
    "accunode:imageTag: 014": "014 is read as the number 12 (a leading 0 means octal)",
    "accunode:waf: no": "no is read as false (a YAML 1.1 boolean)",
    "accunode:waf: on": "on is read as true",
    "accunode:imageTag: 1.10": "1.10 is read as the number 1.1",
    "accunode:monthlyBudget: 1_000": "1_000 is read as the number 1000 (underscores are dropped)",
    "accunode:monthlyBudget: 0x1F": "0x1F is read as the number 31 (hexadecimal)",
    "accunode:imageTag: 1:30": "1:30 is read as the number 90 (base 60)",
    "accunode:monthlyBudget: .inf": ".inf is read as the number inf",
    "accunode:api: {cpu: 0512}": "accunode:api.cpu: 0512 is read as the number 330",
}


@pytest.mark.parametrize("line", sorted(SURPRISES))
def test_yaml_1_1_surprises_say_what_was_read_and_how_to_quote_it(line: str, tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(f"config:\n  {line}\n")
    with pytest.raises(FileError) as raised:
        read_yaml_mapping(path, check_scalars="config")
    message = str(raised.value)
    assert message.startswith("Pulumi.prod.yaml:2:"), message
    assert SURPRISES[line] in message and "quote it" in message, message


def test_values_read_as_written_pass(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text('config:\n  accunode:imageTag: "014"\n  accunode:waf: false\n  accunode:azCount: 2\n'
                    '  accunode:monthlyBudget: 300.5\n  accunode:api: {cpu: 512, spot: true}\n'
                    '  accunode:tags: {cost-center: ml}\n  accunode:owner: platform-team\n')
    config = read_yaml_mapping(path, check_scalars="config")["config"]
    assert config["accunode:imageTag"] == "014" and config["accunode:waf"] is False
    assert config["accunode:api"] == {"cpu": 512, "spot": True}


def test_every_repository_stack_file_reads_cleanly() -> None:
    for path in sorted(Path(".").glob("Pulumi.*.yaml")):
        assert isinstance(read_yaml_mapping(path, check_scalars="config").get("config"), dict), path


@pytest.mark.parametrize(("content", "expected"), [
    (b'{\n  "all": "mandatory",\n}\n', "strict.json:3:1: invalid JSON: Expecting property name"),
    (b'{"all": "mandat\xff"}', "strict.json:1:16: not UTF-8 text (byte 0xff)"),
    (b'["all"]', "strict.json: policy pack config must be a JSON object"),
    (b'{"all": "loud"}', 'strict.json: parsing enforcement level for "all": "loud" is not a valid'),
])
def test_a_broken_policy_pack_config_names_the_file_and_position(content: bytes, expected: str,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "strict.json"
    path.write_bytes(content)
    with pytest.raises(ValueError) as raised:
        load_policy_pack_config(str(path))
    assert expected in str(raised.value)


def test_read_json_of_an_empty_file_is_an_empty_object(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("  \n")
    assert read_json(path) == {}


def test_a_file_nested_too_deeply_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("config:\n  accunode:tags: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(FileError, match=r"^Pulumi.prod.yaml: nested too deeply to read$"):
        read_yaml_mapping(path, check_scalars="config")
