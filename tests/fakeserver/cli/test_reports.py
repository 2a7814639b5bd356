"""The grid and JUnit reports (``fakeserver.cli.reports``), read back and checked against
the rules and the outcomes they were given, not against themselves."""

from __future__ import annotations

import dataclasses
import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from fakeserver import scenarios
from fakeserver.cli.reports import NO_TIER, TIER_LETTERS, Result, grid, junit
from fakeserver.scenarios import Cell, Outcome, Scenario, expected_tier

ANSI = re.compile(r"\x1b\[[0-9;]*m")
COMBINATIONS = list(itertools.product((True, False), repeat=3))
EVERY = scenarios.matrix()


def passed(scenario: Scenario) -> Result:
    """A run that saw exactly what was expected."""
    return Result(scenario, Outcome(scenario, scenario.expected_tier, True), 0.01)


def blocks(lines: list[str]) -> dict[str, list[list[str]]]:
    """Each mode's 8 x 8 letters (with their marks), read back from the printed grid."""
    found: dict[str, list[list[str]]] = {}
    plain = [ANSI.sub("", line) for line in lines]
    for index, line in enumerate(plain):
        for match in re.finditer(r"(\w+): ", line):
            mode = match.group(1)
            if mode not in scenarios.AUTH_MODES:
                continue
            start = match.start()
            rows = plain[index + 4 : index + 12]
            found[mode] = [
                [row[start + 11 + 3 * j : start + 13 + 3 * j].strip() for j in range(8)]
                for row in rows
            ]
    return found


def test_the_grid_puts_each_cell_where_its_conditions_say() -> None:
    read = blocks(grid([passed(s) for s in EVERY], colour=False, width=None))
    assert set(read) == set(scenarios.AUTH_MODES)
    for mode, letters in read.items():
        for i, row in enumerate(COMBINATIONS):
            for j, column in enumerate(COMBINATIONS):
                tier = expected_tier(Cell(*row, *column))
                assert letters[i][j] == TIER_LETTERS[tier], (mode, row, column)


def test_a_mismatch_is_marked_in_its_cell_and_named_below() -> None:
    wrong = next(s for s in EVERY if s.name == "bearer-user-same_api-remote_host")
    results = [
        Result(s, Outcome(s, "LOCAL", False, "tier LOCAL != READ_ONLY"))
        if s is wrong
        else passed(s)
        for s in EVERY
    ]
    lines = grid(results, colour=False, width=None)
    read = blocks(lines)
    marked = [
        (mode, i, j)
        for mode, letters in read.items()
        for i, row in enumerate(letters)
        for j, letter in enumerate(row)
        if letter.endswith("!")
    ]
    # bearer, row (a b c) = (✓ · ✓), column (d e f) = (· ✓ ✓)
    assert marked == [("bearer", COMBINATIONS.index((True, False, True)), 4)]
    assert read["bearer"][2][4] == "L!"
    assert lines[0].startswith("basic: 64/64 as expected")
    assert any(line.startswith("bearer: 63/64 as expected") for line in lines)
    assert (
        "  bearer-user-same_api-remote_host: expected READ_ONLY, observed LOCAL "
        "(tier LOCAL != READ_ONLY)"
    ) in lines
    failures = sum(s.cell is None for s in EVERY)
    assert f"connect failures: {failures}/{failures} as expected" in lines


def test_a_failed_connect_and_a_wrong_failure_are_reported() -> None:
    cell = next(s for s in EVERY if s.name == "basic-admin-same_api-local_host")
    failure = next(s for s in EVERY if s.name == "basic-wrong_password")
    results = [
        Result(cell, Outcome(cell, None, False, "AuthenticationError: 401", "AuthenticationError")),
        Result(failure, Outcome(failure, "LOCAL", False, "connected; expected a failure")),
    ]
    lines = grid(results, colour=False, width=None)
    assert blocks(lines)["basic"][0][0] == NO_TIER + "!"
    assert "connect failures: 0/1 as expected" in lines
    assert any(
        "basic-admin-same_api-local_host: expected LOCAL, observed auth error" in line
        for line in lines
    )
    assert any(
        "basic-wrong_password: expected auth error, observed LOCAL" in line for line in lines
    )


def test_cells_not_run_are_blank_and_listed_scenarios_show_expected_tiers() -> None:
    local = scenarios.select(EVERY, tiers=["LOCAL"], auth=["certificate"])
    lines = grid([Result(s) for s in local], colour=False, width=None)
    letters = blocks(lines)["certificate"]
    assert sum(letter == "L" for row in letters for letter in row) == 2
    assert sum(letter == "" for row in letters for letter in row) == 62
    assert lines[0].startswith("certificate: expected tiers")
    assert set(blocks(lines)) == {"certificate"}, "modes with nothing selected are left out"


@pytest.mark.parametrize(("width", "fits"), [(None, 1), (60, 1), (80, 2), (120, 3), (400, 9)])
def test_grids_sit_side_by_side_as_the_width_allows(width: int | None, fits: int) -> None:
    modes = len(scenarios.AUTH_MODES)
    per_band = min(fits, modes)
    lines = grid([passed(s) for s in EVERY], colour=False, width=width)
    titles = [line for line in lines if re.match(r"^\w+: \d+/64 as expected", line)]
    assert len(titles) == -(-modes // per_band)
    assert titles[0].count("as expected") == per_band
    if width is not None and per_band > 1:
        assert max(len(line) for line in lines[:12]) <= width


def test_colour_only_when_asked() -> None:
    results = [passed(s) for s in EVERY[:64]]
    results[0] = Result(EVERY[0], Outcome(EVERY[0], "MINIMAL", False, "wrong"))
    plain = "\n".join(grid(results, colour=False, width=None))
    coloured = "\n".join(grid(results, colour=True, width=None))
    assert "\x1b[" not in plain
    assert "\x1b[32mL\x1b[0m" in coloured, "LOCAL in green"
    assert "\x1b[1;97;41mM!\x1b[0m" in coloured, "a mismatch stands out"
    assert ANSI.sub("", coloured) == plain, "colour changes nothing else"


def test_ascii_marks() -> None:
    lines = grid([passed(s) for s in EVERY[:64]], colour=False, width=None, met="+", unmet="-")
    assert lines[1].endswith("d  +  +  +  +  -  -  -  -")
    assert "✓" not in "".join(lines) and "·" not in "".join(lines)


# -- JUnit ---------------------------------------------------------------------------------------


def test_junit_has_one_case_per_scenario_and_the_right_counts() -> None:
    wrong = {"basic-admin-same_api-local_host", "certificate-unknown_ca"}
    results = [
        Result(s, Outcome(s, "MINIMAL", False, "tier MINIMAL != LOCAL\x00<&>"))
        if s.name in wrong
        else passed(s)
        for s in EVERY
    ]
    crashed = EVERY[70]
    results[70] = Result(crashed, Outcome(crashed, None, False, "OSError: boom", "crashed"), 0.5)
    root = ET.fromstring(junit(results, server_version="6.1.2", python_api_version="0.9.2"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == (
        str(len(EVERY)),
        "2",
        "1",
    )
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {f"fakeserver.matrix.{m}" for m in scenarios.AUTH_MODES}
    cases = list(root.iter("testcase"))
    by_mode = [s.name for mode in scenarios.AUTH_MODES for s in EVERY if s.auth == mode]
    assert [c.get("name") for c in cases] == by_mode, "each mode's suite, in matrix order"
    assert sum(int(suite.get("tests", "0")) for suite in suites.values()) == len(EVERY)
    failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
    assert set(failed) == wrong
    failure = failed["basic-admin-same_api-local_host"]
    assert failure is not None
    assert failure.get("message") == "expected LOCAL, observed MINIMAL"
    assert failure.get("type") == "TierMismatch"
    assert failure.text is not None and "tier MINIMAL != LOCAL\ufffd<&>" in failure.text
    errored = [c for c in cases if c.find("error") is not None]
    assert [c.get("name") for c in errored] == [crashed.name]
    bearer = suites["fakeserver.matrix.bearer"]
    assert (bearer.get("failures"), bearer.get("errors")) == ("0", "1")
    properties = {p.get("name"): p.get("value") for p in bearer.iter("property")}
    assert properties == {"client.server_version": "6.1.2", "client.python_api_version": "0.9.2"}


def test_junit_of_a_clean_subset() -> None:
    chosen = scenarios.select(EVERY, auth=["certificate"], tiers=["REMOTE"])
    results = [dataclasses.replace(passed(s), seconds=0.25) for s in chosen]
    root = ET.fromstring(junit(results, server_version="6.1.3", python_api_version="0.9.3"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == (
        str(len(chosen)),
        "0",
        "0",
    )
    assert root.get("time") == f"{0.25 * len(chosen):.3f}"
    assert [s.get("name") for s in root.iter("testsuite")] == ["fakeserver.matrix.certificate"]
    assert not list(root.iter("failure"))
