"""The ``accunode`` command. Each area registers its own subcommands; heavy imports stay in handlers
so ``accunode --help`` and every command start fast. Exit codes and the error type are shared
(``accunode.command``): a handler returns an ExitCode or raises CommandError; anything else that
escapes is an internal error with its own exit code, printed as one line."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from accunode.command import CommandError, ExitCode, exit_code_table, print_error

# Modules that define ``register(subparsers)``; a module that is missing is skipped.
COMMAND_MODULES = ("accunode.engine.cli", "accunode.costs.cli", "accunode.health")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("accunode-infra")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accunode", description="Preview, price and check AccuNode stacks.",
                                     epilog=exit_code_table(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"accunode {_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name is None or not (name + ".").startswith(error.name + "."):  # the area or its package is absent
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # bad flags: argparse prints usage and exits 2 (ExitCode.USAGE)
    try:
        return int(args.handler(args) or 0)
    except CommandError as error:
        print_error(error)
        return int(error.code)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # the reader stopped early (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return int(ExitCode.OK)
    except Exception as error:
        if os.environ.get("ACCUNODE_DEBUG"):
            raise
        print(f"accunode: internal error: {type(error).__name__}: {error} "
              "(a bug in accunode; run again with ACCUNODE_DEBUG=1 for the traceback)", file=sys.stderr)
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
