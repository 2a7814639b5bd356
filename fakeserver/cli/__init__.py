"""The ``fakeserver`` command (also ``python -m fakeserver``).

* ``fakeserver serve`` — a fake target started by hand, until SIGINT/SIGTERM (:mod:`.serve`).
* ``fakeserver matrix`` — the thin client over every scenario; exit 1 on any mismatch.
* ``fakeserver scenarios`` — the scenarios, their conditions and expected tiers
  (both in :mod:`.matrix`).

Every mistake in flags or a config file ends as one line ``fakeserver: <field>: <problem>``
on stderr and exit status 2, never as a traceback (:mod:`.usage`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from . import matrix, serve
from .usage import Parser, UsageError

__all__ = ["main"]


class _Command(NamedTuple):
    """One command: its module owns its flags and what runs it; this package wires them."""

    name: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    summary: str
    description: str


_COMMANDS = (
    _Command(
        "serve",
        serve.add_arguments,
        serve.run,
        "run a fake target until Ctrl+C / SIGTERM",
        "Run a fake Atoti target until SIGINT or SIGTERM. Without arguments: a "
        "secured target on 127.0.0.1:9090 with demo users, generated tables and a "
        "cube. Flags override --config.",
    ),
    _Command(
        "matrix",
        matrix.add_arguments,
        matrix.run,
        "run the thin client over the scenarios; exit 1 on any mismatch",
        "Start a fake per scenario, connect with the thin client, and compare the "
        "observed tier, conditions and capabilities with the expected ones. "
        "Exit 1 on any mismatch.",
    ),
    _Command(
        "scenarios",
        matrix.add_arguments,
        matrix.list_scenarios,
        "list the scenarios, their conditions and expected tiers",
        "List the scenarios of the matrix without running them.",
    ),
)


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="fakeserver",
        description="A fake Atoti target server, and the tier matrix of the thin client.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for spec in _COMMANDS:
        command = commands.add_parser(spec.name, help=spec.summary, description=spec.description)
        spec.add_arguments(command)
        command.set_defaults(run=spec.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script ``fakeserver``: run a command, return its exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except UsageError as error:
        print(f"fakeserver: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # e.g. `fakeserver scenarios | head`: not worth a traceback; point stdout at devnull
        # so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
