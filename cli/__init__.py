"""The command lines, in one place: ``python -m cli COMMAND ...``.

Each command is a module here with ``add_arguments(parser)`` and ``run(args) -> int``;
the core layers (metrics/, pipelines/, warehouse/) hold no argparse. The historical
names (``python -m pipelines.ingest``, ``python -m metrics.report``, ...) keep working:
their modules hand over to :func:`run_command` when run as ``__main__``.

Exit status: 0 on success, 2 with one line on stderr when the input cannot be used.
With ``--json``, stdout carries exactly one JSON document.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from types import ModuleType

COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("cli.ingest", "python -m pipelines.ingest"),
    "demo": ("cli.demo", "python -m pipelines.demo"),
    "report": ("cli.report", "python -m metrics.report"),
    "compare": ("cli.compare", "python -m metrics.compare"),
    "experiments": ("cli.experiments", "python -m warehouse.experiments"),
    "findings": ("cli.findings", "python -m metrics.findings"),
    "catalog": ("cli.catalog", "python -m warehouse.catalog"),
    "whatif": ("cli.whatif", "python -m metrics.whatif"),
    "conformance": ("cli.conformance", "python -m metrics.conformance"),
    "forecast": ("cli.forecast", "python -m metrics.forecast"),
    "export": ("cli.export", "python -m warehouse.export"),
}
"""Command name → (module, the historical ``python -m`` name that runs it too)."""


def _module(command: str) -> ModuleType:
    return import_module(COMMANDS[command][0])


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """Every command's parser; only `command`'s when given (a run imports only the
    module of its command, not every command's libraries)."""
    top = argparse.ArgumentParser(
        prog="python -m cli", description="Value stream dashboard: command lines."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in [command] if command in COMMANDS else COMMANDS:
        module = _module(name)
        sub = commands.add_parser(name, help=module.HELP, description=module.__doc__)
        module.add_arguments(sub)
    return top


def _run(command: str, args: argparse.Namespace) -> int:
    from cli.common import CommandError, fail

    try:
        return int(_module(command).run(args))
    except CommandError as exc:
        return fail(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cli COMMAND ...``."""
    given = list(sys.argv[1:] if argv is None else argv)
    args = parser(given[0] if given else None).parse_args(given)
    return _run(args.command, args)


def run_command(command: str, argv: Sequence[str] | None = None) -> int:
    """One command on its own, as its historical ``python -m`` name runs it."""
    module = _module(command)
    sub = argparse.ArgumentParser(prog=COMMANDS[command][1], description=module.__doc__)
    module.add_arguments(sub)
    args = sub.parse_args(sys.argv[1:] if argv is None else argv)
    return _run(command, args)
