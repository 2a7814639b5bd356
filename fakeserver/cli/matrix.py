"""``fakeserver matrix`` and ``fakeserver scenarios``: the scenario matrix, run or listed.

``matrix`` starts a fake per scenario and connects with the thin client (through
:meth:`LiveScenario.verify <fakeserver.scenarios.LiveScenario.verify>`); ``scenarios``
only lists what would run. Both select scenarios with the same flags, and print a table
(fitted to the terminal), Markdown, JSON, or the compact tier map (``grid``); ``matrix``
also writes JUnit XML. This is the only module of the command that may drive the thin
client.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import textwrap
import time
from collections.abc import Iterator, Sequence
from typing import IO, Any

from .. import scenarios as _scenarios
from ..config import ServerConfig
from ..protocol import DEFAULT_PYTHON_API_VERSION, DEFAULT_SERVER_VERSION
from ..scenarios import FAILURE, Outcome, Scenario
from .output import FORMATS, Progress, Table, colour_enabled, marks, plural, terminal_width
from .reports import Result, expected_label, grid, junit, observed_label
from .usage import UsageError, rename_field

__all__ = ["add_arguments", "list_scenarios", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The selection and version flags both commands share."""
    parser.add_argument(
        "--filter",
        action="append",
        metavar="TERM",
        help="keep scenarios matching TERM: a tier (LOCAL, REMOTE, NO_SECURITY_MANAGEMENT, "
        "READ_ONLY, MINIMAL, or FAILURE for connect failures), an auth mode (basic, bearer, "
        "certificate, oauth2; the first three are the original 202 scenarios) or a part of "
        "a scenario name; repeatable or comma-separated; terms of one kind widen the "
        "selection, different kinds narrow it",
    )
    parser.add_argument(
        "--tier",
        action="append",
        choices=[*_scenarios.TIERS, FAILURE],
        help="same as --filter TIER",
    )
    parser.add_argument(
        "--auth", action="append", choices=list(_scenarios.AUTH_MODES), help="same as --filter MODE"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (fits the terminal), markdown, json, grid (the 64 cells per auth mode "
        "as a tier map) or junit (JUnit XML, matrix only); default: table",
    )
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the output to FILE instead of stdout (progress stays on stderr)",
    )
    parser.add_argument(
        "--server-version",
        metavar="VERSION",
        default=DEFAULT_SERVER_VERSION,
        help="the Atoti Server version the client expects (default: %(default)s)",
    )
    parser.add_argument(
        "--python-api-version",
        metavar="VERSION",
        default=DEFAULT_PYTHON_API_VERSION,
        help="the Python API version of the client (default: %(default)s)",
    )


# -- selection -------------------------------------------------------------------------------


def _filter_terms(args: argparse.Namespace) -> list[str]:
    terms = [t for value in args.filter or () for t in value.split(",") if t.strip()]
    return [*terms, *(args.tier or ()), *(args.auth or ())]


def _select(all_scenarios: Sequence[Scenario], terms: Sequence[str]) -> list[Scenario]:
    """Terms of one kind (tier, auth mode, name part) widen; different kinds narrow."""
    tiers: set[str] = set()
    modes: set[str] = set()
    parts: list[str] = []
    for raw in terms:
        term = raw.strip()
        if term.upper() in (*_scenarios.TIERS, FAILURE):
            tiers.add(term.upper())
        elif term.lower() in _scenarios.AUTH_MODES:
            modes.add(term.lower())
        else:
            parts.append(term)
    chosen = _scenarios.select(
        all_scenarios, tiers=sorted(tiers) or None, auth=sorted(modes) or None
    )
    return [s for s in chosen if not parts or any(p in s.name for p in parts)]


def _chosen(args: argparse.Namespace) -> list[Scenario]:
    try:
        every = _scenarios.matrix(args.server_version, args.python_api_version)
    except ValueError as error:
        field = str(error).partition(":")[0]
        raise rename_field(error, "--" + field.replace("_", "-")) from None
    chosen = _select(every, _filter_terms(args))
    if not chosen:
        tiers = ", ".join((*_scenarios.TIERS, FAILURE))
        kinds = f"tiers {tiers}; auth modes {', '.join(_scenarios.AUTH_MODES)}"
        raise UsageError(f"--filter: no scenario matches (filter by {kinds}, or a part of a name)")
    return chosen


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    """stdout, or the ``--output`` file (written as the run goes)."""
    if path is None:
        yield sys.stdout
        return
    try:
        file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as error:
        raise UsageError(f"--output: cannot write {path!r}: {error.strerror}") from None
    with file:
        yield file


def _too_wide(columns: Sequence[tuple[str, int]], width: int | None) -> bool:
    """Whether a table must give up its auth column (a scenario's name starts with it)."""
    natural = sum(max(w, len(name)) for name, w in columns) + 2 * (len(columns) - 1)
    return width is not None and natural > width


def _print_grid(results: Sequence[Result], out: IO[str]) -> None:
    met, _, unmet = marks()
    for line in grid(
        results,
        colour=colour_enabled(out),
        width=terminal_width(out),
        met=met if len(met) == 1 else "+",
        unmet=unmet,
    ):
        print(line, file=out)


# -- matrix ----------------------------------------------------------------------------------


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    s = outcome.scenario
    return {
        "name": s.name,
        "auth": s.auth,
        "expected_tier": s.expected_tier,
        "expected_error": s.expected_error,
        "observed_tier": outcome.observed_tier,
        "observed_error": outcome.observed_error,
        "ok": outcome.ok,
        "detail": outcome.detail,
    }


def _run_one(scenario: Scenario) -> Outcome:
    try:
        with scenario.run() as live:
            return live.verify()
    except Exception as error:  # a scenario that cannot even start is a failed row, not a crash
        detail = f"{type(error).__name__}: {error}"
        return Outcome(scenario, None, False, detail, observed_error="crashed")


def run(args: argparse.Namespace) -> int:
    """``fakeserver matrix``: one row per scenario as it finishes; 1 on any mismatch."""
    chosen = _chosen(args)
    with _output(args.output) as out:
        results = _run_all(args, chosen, out)
        failures = sum(not r.ok for r in results)
        total = f"{len(results) - failures} passed, {failures} failed"
        if args.format == "json":
            json.dump(
                {
                    "results": [_outcome_json(r.outcome) for r in results if r.outcome],
                    "passed": len(results) - failures,
                    "failed": failures,
                },
                out,
                indent=2,
            )
            print(file=out)
        elif args.format == "junit":
            xml = junit(
                results,
                server_version=args.server_version,
                python_api_version=args.python_api_version,
            )
            print(xml, file=out)
        elif args.format == "grid":
            _print_grid(results, out)
            print(file=out)
            print(total, file=out)
        else:
            if args.format == "markdown":
                print(file=out)
            print(total, file=out)
    if args.format in ("json", "junit") or args.output is not None:
        print(total, file=sys.stderr)  # the output stays pure JSON / XML
    return 1 if failures else 0


def _run_all(args: argparse.Namespace, chosen: Sequence[Scenario], out: IO[str]) -> list[Result]:
    """Run every chosen scenario; tables print a row as each one finishes."""
    passed, failed = marks()[:2]
    table: Table | None = None
    show_auth = True
    if args.format in ("table", "markdown"):
        expected_width = max(len(expected_label(s)) for s in chosen)
        columns = [
            ("scenario", max(len(s.name) for s in chosen)),
            ("auth", max(len(m) for m in _scenarios.AUTH_MODES)),
            ("expected", expected_width),
            ("observed", max(expected_width, len("auth error"))),
            ("ok", 2),
        ]
        width = terminal_width(out) if args.format == "table" else None
        if _too_wide(columns, width):
            show_auth = False
            columns.pop(1)
        if args.format == "markdown":
            columns.append(("detail", 0))
        table = Table(args.format, columns, out, width=width, wrap=("scenario",))
        table.header()
    progress = Progress(len(chosen))
    results: list[Result] = []
    try:
        for index, scenario in enumerate(chosen, 1):
            progress.show(index, scenario.name)
            started = time.perf_counter()
            outcome = _run_one(scenario)
            results.append(Result(scenario, outcome, time.perf_counter() - started))
            if table is None:
                continue
            progress.clear()
            cells = [scenario.name, scenario.auth] if show_auth else [scenario.name]
            cells += [
                expected_label(scenario),
                observed_label(outcome),
                passed if outcome.ok else failed,
            ]
            if args.format == "markdown":
                cells.append("" if outcome.ok else outcome.detail)
            table.row(cells)
            if args.format == "table" and not outcome.ok:
                print(f"    {outcome.detail}", file=out, flush=True)
    finally:
        progress.clear()  # also on Ctrl+C: leave the terminal clean
    return results


# -- scenarios -------------------------------------------------------------------------------


def _transport(config: ServerConfig) -> str:
    if config.tls is None:
        return "http"
    if config.tls.client_certificate == "none":
        return "https"
    return f"mtls/{config.tls.client_certificate}"


def _scenario_json(scenario: Scenario) -> dict[str, Any]:
    cell = scenario.cell
    return {
        "name": scenario.name,
        "auth": scenario.auth,
        "transport": _transport(scenario.config),
        "credentials": scenario.credentials.kind,
        "conditions": None if cell is None else {k: getattr(cell, k) for k in _scenarios.KEYS},
        "expected_conditions": scenario.expected_conditions,
        "expected_tier": scenario.expected_tier,
        "expected_error": scenario.expected_error,
        "expected_capabilities": sorted(scenario.expected_capabilities),
        "description": scenario.description,
    }


def list_scenarios(args: argparse.Namespace) -> int:
    """``fakeserver scenarios``: what ``matrix`` would run, with the conditions it sets up."""
    if args.format == "junit":
        raise UsageError("--format: junit reports a run: use it with `fakeserver matrix`")
    chosen = _chosen(args)
    with _output(args.output) as out:
        _list(args, chosen, out)
    return 0


def _list(args: argparse.Namespace, chosen: Sequence[Scenario], out: IO[str]) -> None:
    if args.format == "json":
        json.dump({"scenarios": [_scenario_json(s) for s in chosen]}, out, indent=2)
        print(file=out)
        return
    if args.format == "grid":
        _print_grid([Result(s) for s in chosen], out)
        return
    met, _, unmet = marks()
    letters = [_scenarios.LETTERS[key] for key in _scenarios.KEYS]
    columns = [
        ("scenario", max(len(s.name) for s in chosen)),
        ("auth", max(len(m) for m in _scenarios.AUTH_MODES)),
        ("transport", len("mtls/optional")),
        (" ".join(letters), 2 * len(letters) - 1),
        ("expected", max(len(expected_label(s)) for s in chosen)),
        ("notes", 0),
    ]
    width = terminal_width(out) if args.format == "table" else None
    show_auth = not _too_wide(columns, width)
    if not show_auth:
        columns.pop(1)
    table = Table(args.format, columns, out, width=width, wrap=("scenario", "notes"))
    table.header()
    for s in chosen:
        # Failure scenarios are not cells: their setup is in the notes.
        conditions = (
            " ".join("-" * len(letters))
            if s.cell is None
            else " ".join(met if getattr(s.cell, k) else unmet for k in _scenarios.KEYS)
        )
        cells = [s.name, s.auth] if show_auth else [s.name]
        table.row([*cells, _transport(s.config), conditions, expected_label(s), s.description])
    pairs = zip(letters, _scenarios.KEYS, strict=True)
    legend = ", ".join(f"{letter} {key}" for letter, key in pairs)
    print(file=out)
    summary = (
        f"{plural(len(chosen), 'scenario')}; conditions as set up: {legend} "
        f"({met} met, {unmet} not met)"
    )
    print(textwrap.fill(summary, width) if width else summary, file=out)
