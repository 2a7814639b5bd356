"""How the commands print (``fakeserver.cli.output``): tables, marks, plurals, progress,
colour and the terminal's width."""

from __future__ import annotations

import io
import sys

import pytest

from fakeserver.cli.output import (
    Progress,
    Table,
    colour_enabled,
    marks,
    paint,
    plural,
    terminal_width,
)


def test_plural() -> None:
    assert [plural(n, "scenario") for n in (0, 1, 2)] == [
        "0 scenarios",
        "1 scenario",
        "2 scenarios",
    ]


def printed(fmt: str, columns: list[tuple[str, int]], rows: list[list[str]]) -> list[str]:
    """The lines a :class:`Table` prints: its header, then ``rows``."""
    out = io.StringIO()
    table = Table(fmt, columns, out)
    table.header()
    for row in rows:
        table.row(row)
    return out.getvalue().splitlines()


def test_an_aligned_table_is_as_wide_as_its_headers_and_has_no_trailing_spaces() -> None:
    lines = printed("table", [("name", 2), ("tier", 6)], [["basic-admin", "LOCAL"], ["b", ""]])
    assert lines == ["name  tier", "basic-admin  LOCAL", "b"]


def test_a_markdown_table_escapes_pipes() -> None:
    lines = printed("markdown", [("name", 4), ("note", 4)], [["x", "a|b"]])
    assert lines == ["| name | note |", "|---|---|", "| x | a\\|b |"]


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", ("✓", "✗", "·")), ("ascii", ("ok", "FAIL", "-"))]
)
def test_marks_fit_what_stdout_can_encode(
    monkeypatch: pytest.MonkeyPatch, encoding: str, expected: tuple[str, str, str]
) -> None:
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding=encoding))
    assert marks() == expected


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    quiet = Progress(3)
    quiet.show(1, "basic-admin")
    quiet.clear()
    assert log.getvalue() == "", "a log stays clean"
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    shown = Progress(3)
    shown.show(1, "basic-admin")
    shown.clear()
    assert terminal.getvalue() == "\r\x1b[K[1/3] basic-admin\r\x1b[K"


def test_a_table_fits_its_width_by_wrapping_the_named_columns() -> None:
    out = io.StringIO()
    columns = [("scenario", 60), ("tier", 9), ("ok", 2)]
    table = Table("table", columns, out, width=40, wrap=("scenario",))
    table.header()
    table.row(["certificate-unsecured-anonymous-other_api-remote_host", "READ_ONLY", "✓"])
    table.row(["short", "LOCAL", "✓"])
    lines = out.getvalue().splitlines()
    assert max(map(len, lines)) <= 40
    assert lines == [
        "scenario                   tier       ok",
        "certificate-unsecured-     READ_ONLY  ✓",
        "anonymous-other_api-",
        "remote_host",
        "short                      LOCAL      ✓",
    ]


def test_a_table_without_a_width_keeps_one_line_per_row() -> None:
    long = "certificate-unsecured-anonymous-other_api-remote_host-other_server-not_exposed"
    lines = printed("table", [("scenario", len(long)), ("tier", 4)], [[long, "LOCAL"]])
    assert lines[1] == f"{long}  LOCAL"


def test_a_last_column_of_free_text_wraps_at_spaces() -> None:
    out = io.StringIO()
    table = Table("table", [("name", 6), ("notes", 0)], out, width=30, wrap=("notes",))
    table.row(["abc", "a client certificate from a CA the target does not trust"])
    assert out.getvalue().splitlines() == [
        "abc     a client certificate",
        "        from a CA the target",
        "        does not trust",
    ]


def test_markdown_never_wraps() -> None:
    out = io.StringIO()
    table = Table("markdown", [("name", 4), ("notes", 0)], out, width=10, wrap=("notes",))
    table.row(["x", "a long note that would wrap"])
    assert out.getvalue() == "| x | a long note that would wrap |\n"


@pytest.mark.parametrize(
    ("environment", "terminal", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # empty: not set, says no-color.org
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, False, False),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "dumb", "FORCE_COLOR": "yes"}, False, True),
    ],
)
def test_colour_follows_the_terminal_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], terminal: bool, expected: bool
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    stream = _Terminal() if terminal else io.StringIO()
    assert colour_enabled(stream) is expected


def test_paint() -> None:
    assert paint("L", "green", True) == "\x1b[32mL\x1b[0m"
    assert paint("L", "green", False) == "L"
    assert paint("L", None, True) == "L"


def test_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "97")
    assert terminal_width(_Terminal()) == 97
    assert terminal_width(io.StringIO()) is None, "a pipe or a file: no width, even then"
