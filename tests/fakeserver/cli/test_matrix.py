"""``fakeserver matrix`` and ``fakeserver scenarios`` (``fakeserver.cli.matrix``)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

import pytest

from fakeserver import scenarios
from fakeserver.scenarios import Scenario

from .command import (
    ENV,
    TIMEOUT,
    assert_one_line_error,
    fakeserver,
    in_process,
    on_a_terminal,
    read_terminal,
)


def expect_instead(monkeypatch: pytest.MonkeyPatch, name: str, tier: str | None) -> None:
    """Make the matrix expect another tier of one scenario, to watch it report a mismatch.

    This replaces the hidden ``--expectations FILE`` flag the command once had for tests: a
    wrong expectation is a test's business, not a user's.
    """
    real = scenarios.matrix

    def matrix(*args: str) -> list[Scenario]:
        every = real(*args)
        assert name in {s.name for s in every}, name
        return [
            dataclasses.replace(s, expected_tier=tier, expected_error=None) if s.name == name else s
            for s in every
        ]

    monkeypatch.setattr(scenarios, "matrix", matrix)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["matrix", "--filter", "no-such-scenario"], ["--filter"]),
        (["scenarios", "--format", "yaml"], ["--format"]),
        (["matrix", "--expectations", "wrong.json"], ["--expectations"]),
    ],
)
def test_bad_flags_are_one_line_exit_2(
    args: list[str], fragments: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert_one_line_error(in_process(args, capsys), *fragments)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_matrix_passes_with_a_filter_and_shows_progress_on_a_terminal() -> None:
    primary, secondary = os.openpty()
    command = [sys.executable, "-m", "fakeserver", "matrix", "--filter", "basic"]
    command += ["--filter", "LOCAL,FAILURE"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=secondary, env=ENV)
    os.close(secondary)
    seen = read_terminal(primary)
    assert process.stdout is not None
    with process.stdout:
        stdout = process.stdout.read().decode("utf-8")
    assert process.wait(timeout=TIMEOUT) == 0, stdout
    lines = stdout.strip().splitlines()
    assert lines[0].split() == ["scenario", "auth", "expected", "observed", "ok"]
    assert lines[-1] == "5 passed, 0 failed"
    assert any(line.startswith("basic-wrong_password") and "auth error" in line for line in lines)
    assert all(line.endswith("✓") for line in lines[1:-1])
    assert b"[1/5] basic-admin-same_api-local_host" in seen
    assert b"Traceback" not in seen
    assert "[1/5]" not in stdout, "progress goes to stderr only"


def test_matrix_exits_1_on_a_wrong_expectation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_instead(monkeypatch, "bearer-admin-same_api-local_host", "MINIMAL")
    result = in_process(
        ["matrix", "--auth", "bearer", "--filter", "bearer-admin-same_api-local_host"], capsys
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    row = next(line for line in lines if line.startswith("bearer-admin-same_api-local_host "))
    assert row.split()[2:] == ["MINIMAL", "LOCAL", "✗"]
    assert "tier LOCAL != MINIMAL" in result.stdout
    assert lines[-1].endswith(" passed, 1 failed")
    assert "Traceback" not in result.stderr


def test_matrix_json() -> None:
    result = fakeserver("matrix", "--filter", "certificate,REMOTE", "--format", "json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data["failed"] == 0 and data["passed"] == len(data["results"]) > 0
    assert {r["expected_tier"] for r in data["results"]} == {"REMOTE"}
    assert {r["auth"] for r in data["results"]} == {"certificate"}
    assert result.stderr.strip().endswith("passed, 0 failed"), "stdout stays pure JSON"


def test_matrix_markdown_and_failure_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    result = in_process(
        ["matrix", "--filter", "basic-unknown_user", "--format", "markdown"], capsys
    )
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "| scenario | auth | expected | observed | ok | detail |"
    assert set(lines[1]) == {"|", "-"}
    assert lines[2].startswith("| basic-unknown_user | basic | auth error | auth error | ✓ |")
    assert lines[-1] == "1 passed, 0 failed"

    expect_instead(monkeypatch, "basic-wrong_password", "LOCAL")
    args = ["matrix", "--filter", "basic-wrong_password", "--format", "json"]
    result = in_process(args, capsys)
    assert result.returncode == 1
    (row,) = json.loads(result.stdout)["results"]
    assert row["ok"] is False and row["observed_error"] == "AuthenticationError"
    assert row["expected_tier"] == "LOCAL" and row["observed_tier"] is None


def test_scenarios_json_lists_every_scenario() -> None:
    result = fakeserver("scenarios", "--format", "json")
    assert result.returncode == 0
    listed = json.loads(result.stdout)["scenarios"]
    assert [s["name"] for s in listed] == [s.name for s in scenarios.matrix()]
    local = next(s for s in listed if s["name"] == "basic-admin-same_api-local_host")
    assert local["conditions"] == dict.fromkeys(scenarios.KEYS, True)
    assert local["expected_tier"] == "LOCAL" and "security" in local["expected_capabilities"]
    failure = next(s for s in listed if s["name"] == "bearer-unknown_ca")
    assert failure["expected_tier"] is None and failure["expected_error"] == "tls"


def test_scenarios_table_and_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    table = in_process(["scenarios", "--filter", "basic-user-same_api-local_host"], capsys).stdout
    header, row = table.splitlines()[:2]
    assert header.split()[:3] == ["scenario", "auth", "transport"] and "a b c d e f" in header
    expected = ["basic-user-same_api-local_host", "basic", "http", "✓", "·", "✓", "✓", "✓", "✓"]
    assert row.split() == [*expected, "READ_ONLY"]
    assert re.search(r"^\d+ scenarios; conditions as set up: a secured", table, re.MULTILINE)

    args = ["scenarios", "--filter", "NO_SECURITY_MANAGEMENT", "--format", "markdown"]
    lines = in_process(args, capsys).stdout.splitlines()
    assert lines[0].startswith("| scenario | auth | transport | a b c d e f | expected |")
    rows = [line for line in lines[2:] if line.startswith("| ")]
    assert rows and all("| NO_SECURITY_MANAGEMENT |" in line for line in rows)


def test_matrix_grid_marks_a_wrong_expectation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_instead(monkeypatch, "basic-user-other_api-remote_host-other_server", "REMOTE")
    result = in_process(["matrix", "--auth", "basic", "--format", "grid"], capsys)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("basic: 63/64 as expected")
    # row (a b c) = (✓ · ·): the 4th; column (d e f) = (· · ✓): the 7th
    row = lines[4 + 3]
    assert row.startswith("✓ · ·")
    assert row[11 + 3 * 6 : 11 + 3 * 6 + 2] == "M!", row
    assert sum(line.count("!") for line in lines[4:12]) == 1
    assert (
        "  basic-user-other_api-remote_host-other_server: expected REMOTE, observed MINIMAL "
        "(tier MINIMAL != REMOTE)"
    ) in lines
    assert "connect failures: 3/3 as expected" in lines
    assert lines[-1] == "66 passed, 1 failed"
    assert "\x1b[" not in result.stdout, "no colour off a terminal"


def test_matrix_junit_to_a_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    expect_instead(monkeypatch, "certificate-unknown_user", "LOCAL")
    report = tmp_path / "matrix.xml"
    args = ["matrix", "--auth", "certificate", "--format", "junit", "--output", str(report)]
    result = in_process(args, capsys)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "67 passed, 1 failed"
    root = ET.parse(report).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("68", "1", "0")
    [suite] = root.iter("testsuite")
    assert suite.get("name") == "fakeserver.matrix.certificate"
    [failed] = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert failed.get("name") == "certificate-unknown_user"
    failure = failed.find("failure")
    assert failure is not None
    assert failure.get("message") == "expected LOCAL, observed auth error"


def test_matrix_junit_on_stdout_is_pure_xml() -> None:
    result = fakeserver("matrix", "--filter", "bearer,LOCAL", "--format", "junit")
    assert result.returncode == 0
    root = ET.fromstring(result.stdout)
    assert (root.get("tests"), root.get("failures")) == ("2", "0")
    assert result.stderr.strip() == "2 passed, 0 failed"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_the_default_table_fits_the_terminal() -> None:
    args = ["matrix", "--auth", "certificate", "--filter", "not_exposed"]
    lines = on_a_terminal(args, {**ENV, "COLUMNS": "80"}).splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[0].split() == ["scenario", "expected", "observed", "ok"], "auth gives way"
    rows = [line for line in lines[1:-1] if line.split()[-1] == "✓"]
    continued = [line for line in lines[1:-1] if line.split()[-1] != "✓"]
    assert len(rows) == 32 and continued, "long names wrap onto continuation lines"
    assert all(line.startswith("certificate-") for line in rows)
    assert lines[-1] == "32 passed, 0 failed"
    listed = on_a_terminal(["scenarios", "--auth", "certificate"], {**ENV, "COLUMNS": "80"})
    assert max(map(len, listed.splitlines())) <= 80
    wide = on_a_terminal(args, {**ENV, "COLUMNS": "200"}).splitlines()
    assert wide[0].split() == ["scenario", "auth", "expected", "observed", "ok"]
    assert len(wide) == 34, "one line per row when it fits"


def test_a_pipe_gets_one_line_per_row_whatever_columns_says() -> None:
    result = fakeserver(
        "matrix", "--auth", "certificate", "--filter", "not_exposed", env={**ENV, "COLUMNS": "80"}
    )
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["scenario", "auth", "expected", "observed", "ok"]
    assert len(lines) == 34


def test_scenarios_grid_shows_the_expected_tiers(capsys: pytest.CaptureFixture[str]) -> None:
    result = in_process(["scenarios", "--format", "grid", "--tier", "REMOTE"], capsys)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("basic: expected tiers")
    # Two REMOTE cells per mode: a b c met, d not, f met (e either way).
    modes = len(scenarios.AUTH_MODES)
    assert [line[11:].split() for line in lines if line.startswith("✓ ✓ ✓")] == [["R", "R"]] * modes
    assert sum(line[11:].count("R") for line in lines if line[:1] in "✓·") == 2 * modes
    refused = in_process(["scenarios", "--format", "junit"], capsys)
    assert_one_line_error(refused, "--format", "matrix")


def test_an_unwritable_output_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["matrix", "--filter", "basic-unknown_user", "--output", "/no/such/dir/out.xml"]
    assert_one_line_error(in_process(args, capsys), "--output", "/no/such/dir/out.xml")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_unless_no_color() -> None:
    quiet = {k: v for k, v in ENV.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM")}
    grid = ["scenarios", "--format", "grid"]
    assert "\x1b[32mL\x1b[0m" in on_a_terminal(grid, quiet)
    assert "\x1b[" not in on_a_terminal(grid, {**quiet, "NO_COLOR": "1"})
    piped = fakeserver("scenarios", "--format", "grid", env={**quiet, "FORCE_COLOR": "1"})
    assert "\x1b[32mL\x1b[0m" in piped.stdout, "FORCE_COLOR colours a pipe"
