"""The ``fakeserver`` command: ``matrix`` runs the thin client over every scenario."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import scenarios as _scenarios

__all__ = ["main"]


def _matrix(args: argparse.Namespace) -> int:
    selected = _scenarios.select(
        _scenarios.matrix(args.server_version, args.python_api_version),
        tiers=args.tier or None,
        auth=args.auth or None,
    )
    if not selected:
        print("fakeserver: no scenario matches the filters", file=sys.stderr)
        return 2
    width = max(len(s.name) for s in selected)
    print(f"{'scenario':<{width}}  {'auth':<11}  {'expected':<22}  {'observed':<22}  ok")
    failures = 0
    for scenario in selected:
        with scenario.run() as live:
            outcome = live.verify()
        expected = scenario.expected_tier or f"fails ({scenario.expected_error})"
        if not outcome.ok and outcome.observed_tier is None:
            observed = "error"
        observed = outcome.observed_tier or f"fails ({outcome.detail})"
        mark = "✓" if outcome.ok else "✗"
        print(f"{scenario.name:<{width}}  {scenario.auth:<11}  {expected:<22}  {observed:<22}  {mark}")
        if not outcome.ok:
            failures += 1
            print(f"    {outcome.detail}")
    print(f"{len(selected) - failures} passed, {failures} failed")
    return 1 if failures else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fakeserver", description="A fake Atoti target server and its tier matrix."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    matrix = commands.add_parser(
        "matrix", help="run the thin client over every scenario; exit 1 on any mismatch"
    )
    matrix.add_argument("--tier", action="append", choices=[*_scenarios.TIERS, "FAILURE"],
                        help="only scenarios expecting this tier (repeatable)")
    matrix.add_argument("--auth", action="append", choices=list(_scenarios.AUTH_MODES),
                        help="only scenarios of this authentication mode (repeatable)")
    matrix.add_argument("--server-version", default=_scenarios.DEFAULT_SERVER_VERSION)
    matrix.add_argument("--python-api-version", default=_scenarios.DEFAULT_PYTHON_API_VERSION)
    matrix.set_defaults(run=_matrix)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except ValueError as error:
        print(f"fakeserver: {error}", file=sys.stderr)
        return 2
