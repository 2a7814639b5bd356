"""How the commands print (``fakeserver.cli.output``): tables, marks, plurals, progress."""

from __future__ import annotations

import io
import sys

import pytest

from fakeserver.cli.output import Progress, Table, marks, plural


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
