"""What every ``accunode`` command shares: the exit codes, the one error type, the flags that mean
the same thing everywhere (``--stack``, ``--format``, ``--json``, ``-c``) and output files that are
checked before any work starts.

Kept free of heavy imports: ``accunode --help`` and argument parsing load only this module.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any


class ExitCode(IntEnum):
    """The exit codes of every command (``accunode --help`` and the README print this table)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    ERROR = 3
    INTERNAL = 4
    INTERRUPTED = 130


EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success: the preview passed (advisory findings allowed), the cost was printed, the stack is healthy",
    ExitCode.FAILED: "the check failed: a mandatory policy was violated (preview), the stack is unhealthy (health)",
    ExitCode.USAGE: "bad input, nothing was run: flags, stack name, unknown stack, an unreadable or invalid "
                    "Pulumi.yaml, stack file, stack setting, --policy-pack-config, --outputs or output path",
    ExitCode.ERROR: "the work could not finish: the program failed or a policy pack crashed (preview, cost), "
                    "AWS or the Price List API could not be reached (health, prices refresh)",
    ExitCode.INTERNAL: "an internal error in accunode (a bug; ACCUNODE_DEBUG=1 shows the traceback)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}


def exit_code_table() -> str:
    """The table as ``--help`` prints it."""
    import textwrap

    return "exit codes:\n" + "\n".join(textwrap.fill(text, 100, initial_indent=f"  {int(code):<5}",
                                                      subsequent_indent=" " * 7)
                                        for code, text in EXIT_CODE_MEANINGS.items())


class CommandError(Exception):
    """A command cannot do what was asked. ``str()`` is the message (one problem per line)."""

    def __init__(self, message: str, code: ExitCode = ExitCode.USAGE):
        super().__init__(message)
        self.code = code


def print_error(error: CommandError | str) -> None:
    for line in str(error).splitlines() or [""]:
        print(f"error: {line}", file=sys.stderr)


# ---- flags ----------------------------------------------------------------------------------------
def stack_name(value: str) -> str:
    """``--stack``: refused before anything else when it cannot be a stack of this project."""
    from accunode.settings import stack_name_problem

    problem = stack_name_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def region_name(value: str) -> str:
    """``--region``: an AWS region name (``us-east-1``), refused before any call is made."""
    from accunode.awsrules import REGION

    if not REGION.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an AWS region name, e.g. us-east-1")
    return value


def add_stack(parser: argparse.ArgumentParser, *, required: bool = True, default: str | None = None,
              help: str = "the stack (Pulumi.<stack>.yaml)", type: Any = stack_name, repeatable: bool = False) -> None:
    """``--stack``; ``repeatable``: the command takes several (``args.stack`` is then a list)."""
    if repeatable:
        parser.add_argument("--stack", "-s", required=required, action="append", type=type, metavar="STACK",
                            help=help + "; repeat it for several stacks")
        return
    parser.add_argument("--stack", "-s", required=required, default=default, type=type, metavar="STACK", help=help)


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", "-c", action="append", dest="config", metavar="KEY=VALUE", default=[],
                        help="override a stack config value for this run (e.g. accunode:tier=high); repeatable")


def add_format(parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "json")) -> None:
    parser.add_argument("--format", choices=choices, default=choices[0],
                        help=f"what to print on stdout (default {choices[0]}; json is the same document as --json)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="also write the machine-readable result to FILE.json ('-' or no FILE: stdout)")


def config_overrides(pairs: list[str], project: str) -> dict[str, str]:
    """``-c KEY=VALUE`` pairs as namespaced config (a key without ':' is the project's)."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key or key.endswith(":") or key.startswith(":"):
            raise CommandError(f"--config expects KEY=VALUE (e.g. {project}:tier=high), got {pair!r}")
        result[key if ":" in key else f"{project}:{key}"] = value
    return result


def check_stack(stack: str, overrides: dict[str, Any] | None = None, project_dir: Path | None = None,
                files: Any = None) -> None:
    """The stack file readable and (for this project) its settings valid with ``overrides`` laid over,
    checked before any work starts. Raises CommandError (exit 2) with one line per problem.
    ``files``: the stack's accunode.engine.project.StackFiles when already read (then the others are ignored)."""
    from accunode.engine.project import StackFiles
    from accunode.settings import PROJECT, SettingsError, settings_from_config

    if files is None:
        try:
            files = StackFiles.read(stack, project_dir, overrides)
        except ValueError as error:
            raise CommandError(str(error)) from None
    if files.project != PROJECT:
        return
    try:
        settings_from_config(stack, dict(files.config))
    except SettingsError as error:
        raise CommandError("\n".join(error.problems)) from None


# ---- output files -----------------------------------------------------------------------------------
def check_output(flag: str, value: str | None, suffixes: tuple[str, ...]) -> Path | str | None:
    """An output path checked before the work starts: '-' (stdout), or a file in an existing directory
    with one of ``suffixes``. Raises CommandError naming the flag."""
    if value is None or value == "-":
        return value
    path = Path(value)
    if path.is_dir():
        raise CommandError(f"{flag} {value}: is a directory; give a file name, e.g. {path / ('out' + suffixes[0])}")
    if path.suffix.lower() not in suffixes:
        raise CommandError(f"{flag} {value}: unsupported extension {path.suffix or '(none)'!r}; "
                           f"use {' or '.join(suffixes)} (or '-' for stdout)")
    parent = path.parent
    if not parent.is_dir():
        raise CommandError(f"{flag} {value}: the directory {parent} does not exist")
    return path


def check_outputs(**outputs: tuple[str | None, tuple[str, ...]]) -> None:
    """Every output of one run checked together; at most one may be stdout."""
    to_stdout = [f"--{flag}" for flag, (value, _) in outputs.items() if value == "-"]
    if len(to_stdout) > 1:
        raise CommandError(f"only one output can go to stdout ('-'); {' and '.join(to_stdout)} both ask for it")
    for flag, (value, suffixes) in outputs.items():
        check_output(f"--{flag}", value, suffixes)


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by None (JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(document: Any) -> str:
    """Strict JSON (never ``Infinity`` or ``NaN``), indented, as every command writes it."""
    return json.dumps(finite(document), indent=2, allow_nan=False)


def write_output(value: Path | str, text: str) -> None:
    """Write ``text`` to stdout ('-') or the file (checked earlier with check_output)."""
    if str(value) == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    try:
        Path(value).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {value}: {error.strerror or error}", ExitCode.ERROR) from None
