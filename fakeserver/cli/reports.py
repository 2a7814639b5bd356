"""The matrix's results as a compact tier map (``--format grid``) and as JUnit XML
(``--format junit``), and the labels every format gives a scenario's outcome.

The grid shows the 64 condition cells of each authentication mode as 8 x 8: rows are the
combinations of (a, b, c), columns those of (d, e, f), one tier letter per cell, and a
mark where the thin client's tier differs from the expected one. JUnit XML is one test
case per scenario, one suite per authentication mode, so a CI system lists the matrix as
test results.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..scenarios import AUTH_MODES, KEYS, LETTERS, TIERS, Scenario
from .output import paint, plural

if TYPE_CHECKING:
    from ..scenarios import Outcome

__all__ = [
    "NO_TIER",
    "TIER_LETTERS",
    "Result",
    "expected_label",
    "grid",
    "junit",
    "observed_label",
]

#: One letter per tier, as the grid prints them (READ_ONLY is O: R is REMOTE's).
TIER_LETTERS = {
    "LOCAL": "L",
    "REMOTE": "R",
    "NO_SECURITY_MANAGEMENT": "N",
    "READ_ONLY": "O",
    "MINIMAL": "M",
}
#: The letter of a cell whose connect failed: no tier at all.
NO_TIER = "X"
_TIER_STYLES = {
    "LOCAL": "green",
    "REMOTE": "cyan",
    "NO_SECURITY_MANAGEMENT": "blue",
    "READ_ONLY": "yellow",
    "MINIMAL": "dim",
}
_ERROR_LABELS = {"authentication": "auth error", "tls": "TLS error"}
_ERROR_CLASSES = {"AuthenticationError": "auth error", "TlsError": "TLS error"}
#: The grid's rows and columns: (a, b, c) down, (d, e, f) across.
_ROW_KEYS = KEYS[:3]
_COLUMN_KEYS = KEYS[3:]
_COMBINATIONS = tuple(itertools.product((True, False), repeat=3))
_CELL = 3  # a letter, a mismatch mark, a space
_GAP = "    "
# Characters XML 1.0 cannot carry, even escaped (an exception message may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Result:
    """One scenario in a report: its outcome (None when only listed, not run) and how long
    it took."""

    scenario: Scenario
    outcome: Outcome | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is None or self.outcome.ok

    @property
    def tier(self) -> str | None:
        """The tier it shows: the observed one once run, the expected one before."""
        if self.outcome is None:
            return self.scenario.expected_tier
        return self.outcome.observed_tier


def expected_label(scenario: Scenario) -> str:
    if scenario.expected_tier is not None:
        return scenario.expected_tier
    return _ERROR_LABELS.get(scenario.expected_error or "", "connect fails")


def observed_label(outcome: Outcome) -> str:
    if outcome.observed_tier is not None:
        return outcome.observed_tier
    return _ERROR_CLASSES.get(outcome.observed_error or "", outcome.observed_error or "?")


# -- grid -------------------------------------------------------------------------------------


def _cell(result: Result | None, colour: bool) -> str:
    if result is None:
        return " " * _CELL  # not run (filtered out)
    letter = TIER_LETTERS.get(result.tier or "", NO_TIER)
    if not result.ok:
        return paint(letter + "!", "alarm", colour) + " "
    return paint(letter, _TIER_STYLES.get(result.tier or ""), colour) + "  "


def _block(mode: str, results: Sequence[Result], colour: bool, met: str, unmet: str) -> list[str]:
    """One mode's grid: its lines, each exactly as wide as the block (colour aside)."""
    by_cell = {
        tuple(getattr(r.scenario.cell, k) for k in KEYS): r
        for r in results
        if r.scenario.cell is not None
    }
    prefix = len("a b c") + 3 + len("f") + 2
    width = prefix + _CELL * len(_COMBINATIONS)
    differ = sum(not r.ok for r in by_cell.values())
    if any(r.outcome is not None for r in by_cell.values()):
        title = f"{mode}: {len(by_cell) - differ}/{len(by_cell)} as expected"
    else:
        title = f"{mode}: expected tiers"
    lines = [paint(title[:width], "bold", colour) + " " * max(0, width - len(title))]
    row_letters = " ".join(LETTERS[k] for k in _ROW_KEYS)
    for position, key in enumerate(_COLUMN_KEYS):
        label = row_letters if position == len(_COLUMN_KEYS) - 1 else " " * len(row_letters)
        marks = "".join((met if combo[position] else unmet).ljust(_CELL) for combo in _COMBINATIONS)
        lines.append(f"{label}   {LETTERS[key]}  {marks}")
    for row in _COMBINATIONS:
        label = " ".join(met if value else unmet for value in row)
        cells = "".join(_cell(by_cell.get(row + column), colour) for column in _COMBINATIONS)
        lines.append(label.ljust(prefix) + cells)
    return lines


def grid(
    results: Sequence[Result],
    *,
    colour: bool,
    width: int | None,
    met: str = "✓",
    unmet: str = "·",
) -> list[str]:
    """The grids of every mode that has cells among ``results`` (side by side as far as
    ``width`` allows; one under the other without a width), a legend, and the connect
    failures and mismatches in words."""
    modes = [
        m for m in AUTH_MODES if any(r.scenario.auth == m and r.scenario.cell for r in results)
    ]
    blocks = [
        _block(m, [r for r in results if r.scenario.auth == m], colour, met, unmet) for m in modes
    ]
    lines: list[str] = []
    if blocks:
        block_width = len(blocks[0][1])  # a line without colour
        per_band = 1 if width is None else max(1, (width + len(_GAP)) // (block_width + len(_GAP)))
        for start in range(0, len(blocks), per_band):
            band = blocks[start : start + per_band]
            lines += [_GAP.join(parts).rstrip() for parts in zip(*band, strict=True)]
            lines.append("")
        tiers = "  ".join(paint(TIER_LETTERS[t], _TIER_STYLES[t], colour) + f" {t}" for t in TIERS)
        mismatch = paint("!", "alarm", colour)
        lines.append(tiers)
        lines.append(f"{NO_TIER} connect failed  {mismatch} not the expected tier  blank: not run")
        for label, keys in (("rows:   ", _ROW_KEYS), ("columns:", _COLUMN_KEYS)):
            named = "  ".join(f"{LETTERS[k]} {k}" for k in keys)
            lines.append(
                f"{label} {named}"
                + (f"  ({met} met, {unmet} not met)" if keys == _ROW_KEYS else "")
            )
    failures = [r for r in results if r.scenario.cell is None]
    if failures:
        run = [r for r in failures if r.outcome is not None]
        if run:
            as_expected = sum(r.ok for r in run)
            lines.append(f"connect failures: {as_expected}/{len(run)} as expected")
        else:
            lines.append(f"connect failures: {plural(len(failures), 'scenario')} (not run)")
    wrong = [r for r in results if not r.ok and r.outcome is not None]
    if wrong:
        lines.append("")
        lines.append(paint("not as expected:", "bold", colour))
        for r in wrong:
            assert r.outcome is not None
            lines.append(
                f"  {r.scenario.name}: expected {expected_label(r.scenario)}, "
                f"observed {observed_label(r.outcome)}"
                + (f" ({r.outcome.detail})" if r.outcome.detail else "")
            )
    return lines


# -- JUnit XML --------------------------------------------------------------------------------


def _text(value: str) -> str:
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", value)


def _count(results: Sequence[Result]) -> dict[str, str]:
    errors = sum(r.outcome is not None and r.outcome.observed_error == "crashed" for r in results)
    failures = sum(not r.ok for r in results) - errors
    return {
        "tests": str(len(results)),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": "0",
        "time": f"{sum(r.seconds for r in results):.3f}",
    }


def junit(results: Sequence[Result], *, server_version: str, python_api_version: str) -> str:
    """JUnit XML: one ``testsuite`` per authentication mode, one ``testcase`` per scenario;
    a tier that differs is a ``failure``, a scenario that could not run an ``error``."""
    root = ET.Element("testsuites", {"name": "fakeserver matrix", **_count(results)})
    for mode in AUTH_MODES:
        chosen = [r for r in results if r.scenario.auth == mode]
        if not chosen:
            continue
        suite = ET.SubElement(
            root, "testsuite", {"name": f"fakeserver.matrix.{mode}", **_count(chosen)}
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("client.server_version", server_version),
            ("client.python_api_version", python_api_version),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": value})
        for result in chosen:
            case = ET.SubElement(
                suite,
                "testcase",
                {
                    "classname": f"fakeserver.matrix.{mode}",
                    "name": result.scenario.name,
                    "time": f"{result.seconds:.3f}",
                },
            )
            outcome = result.outcome
            if outcome is None or outcome.ok:
                continue
            summary = (
                f"expected {expected_label(result.scenario)}, observed {observed_label(outcome)}"
            )
            crashed = outcome.observed_error == "crashed"
            problem = ET.SubElement(
                case,
                "error" if crashed else "failure",
                {
                    "message": _text(summary),
                    "type": "ScenarioError" if crashed else "TierMismatch",
                },
            )
            problem.text = _text(f"{summary}\n{outcome.detail}".rstrip())
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")
