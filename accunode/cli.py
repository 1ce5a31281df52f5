"""The ``accunode`` command. Each area registers its own subcommands; heavy imports stay in handlers
so ``accunode --help`` and every command start fast."""

from __future__ import annotations

import argparse
import importlib
import sys

# Modules that define ``register(subparsers)``; a module that is missing is skipped.
COMMAND_MODULES = ("accunode.engine.cli", "accunode.costs.cli", "accunode.health")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accunode", description="Preview, price and check AccuNode stacks.")
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
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
