"""How the commands print: aligned or Markdown tables, check marks, plurals, progress, colour.

Presentation only, so the commands decide *what* to show and these decide *how* it looks
on a terminal, in a log or in a Markdown report. A table fits the terminal it is printed
on (long cells wrap); in a file or a pipe it keeps one line per row, for grep. Colour is
for terminals only: ``NO_COLOR`` turns it off, ``FORCE_COLOR`` on (https://no-color.org).
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import IO

__all__ = [
    "FORMATS",
    "Progress",
    "Table",
    "colour_enabled",
    "marks",
    "paint",
    "plural",
    "terminal_width",
]

#: ``--format`` choices: JSON, grid and JUnit are written by each command, the others by
#: :class:`Table`.
FORMATS = ("table", "markdown", "json", "grid", "junit")
# A wrapped column is never narrower than this, whatever the terminal.
_MIN_WRAP = 12
#: SGR codes by style name.
_STYLES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "alarm": "1;97;41",  # bold white on red: a mismatch
}


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


def colour_enabled(stream: IO[str]) -> bool:
    """Colour on a terminal; ``NO_COLOR`` (non-empty) wins, then ``FORCE_COLOR``, then
    ``TERM=dumb`` (the order CPython's own colour follows)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR", "0") not in ("", "0"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


def paint(text: str, style: str | None, enabled: bool) -> str:
    """``text`` in ``style`` (a key of the style table) when colour is enabled."""
    if not enabled or style is None:
        return text
    return f"\x1b[{_STYLES[style]}m{text}\x1b[0m"


def terminal_width(stream: IO[str]) -> int | None:
    """Columns of the terminal ``stream`` is (``COLUMNS`` overrides, as
    ``shutil.get_terminal_size`` reads it); None for a file or a pipe, whatever ``COLUMNS``
    says: runners such as pytest-xdist export ``COLUMNS=80`` to processes that log."""
    if not _is_terminal(stream):
        return None
    return shutil.get_terminal_size().columns


def marks() -> tuple[str, str, str]:
    """(pass, fail, unmet) marks; ASCII when stdout cannot encode the nicer ones."""
    try:
        "✓✗·".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "ok", "FAIL", "-"
    return "✓", "✗", "·"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


class Progress:
    """``[i/n] name`` on stderr, redrawn in place; only on a terminal, so logs stay clean."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.enabled = sys.stderr.isatty()

    def show(self, index: int, name: str) -> None:
        if self.enabled:
            sys.stderr.write(f"\r\x1b[K[{index}/{self.total}] {name}")
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


class Table:
    """Rows printed as they come, as aligned text or as a Markdown table.

    With a ``width``, aligned text fits it: the columns named in ``wrap`` share what the
    others leave and their cells wrap (after a hyphen or a space) onto continuation lines.
    A column declared with width 0 takes the rest of the line.
    """

    def __init__(
        self,
        fmt: str,
        columns: Sequence[tuple[str, int]],
        out: IO[str],
        *,
        width: int | None = None,
        wrap: Sequence[str] = (),
    ) -> None:
        self.fmt = fmt
        self.columns = [(name, max(w, len(name))) for name, w in columns]
        self.out = out
        self.wrap_at: dict[int, int] = {}
        if width is not None and fmt == "table" and wrap:
            free = {name for name, w in columns if w == 0}
            self._fit(width, set(wrap), free)

    def _fit(self, width: int, wrap: set[str], free: set[str]) -> None:
        fixed = sum(w for name, w in self.columns if name not in wrap)
        gaps = 2 * (len(self.columns) - 1)
        wrapped = [i for i, (name, _) in enumerate(self.columns) if name in wrap]
        room = (width - fixed - gaps) // len(wrapped)
        # Bounded columns first; a free one (the last, free text) takes what they leave.
        wrapped.sort(key=lambda i: self.columns[i][0] in free)
        for index in wrapped:
            name, natural = self.columns[index]
            if name in free:
                used = sum(w for i, (n, w) in enumerate(self.columns) if i != index)
                room = width - used - gaps
            elif natural <= room:
                continue  # fits as it is
            limit = max(room, _MIN_WRAP, len(name))
            self.wrap_at[index] = limit
            self.columns[index] = (name, limit)

    def _cells(self, cells: Sequence[str]) -> str:
        if self.fmt == "markdown":
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
        padded = [f"{c:<{w}}" for c, (_, w) in zip(cells, self.columns, strict=True)]
        return "  ".join(padded).rstrip()

    def header(self) -> None:
        print(self._cells([name for name, _ in self.columns]), file=self.out)
        if self.fmt == "markdown":
            print("|" + "|".join("---" for _ in self.columns) + "|", file=self.out)

    def row(self, cells: Sequence[str]) -> None:
        if not self.wrap_at:
            print(self._cells(cells), file=self.out, flush=True)
            return
        parts = [
            textwrap.wrap(cell, self.wrap_at[i]) or [""] if i in self.wrap_at else [cell]
            for i, cell in enumerate(cells)
        ]
        for line in range(max(map(len, parts))):
            print(self._cells([p[line] if line < len(p) else "" for p in parts]), file=self.out)
        self.out.flush()
