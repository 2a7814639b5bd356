"""How the commands print: aligned or Markdown tables, check marks, plurals, progress.

Presentation only, so the commands decide *what* to show and these decide *how* it looks
on a terminal, in a log or in a Markdown report.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

__all__ = ["FORMATS", "Progress", "Table", "marks", "plural"]

#: ``--format`` choices: JSON is written by each command, the others by :class:`Table`.
FORMATS = ("table", "markdown", "json")


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
    """Rows printed as they come, as aligned text or as a Markdown table."""

    def __init__(self, fmt: str, columns: Sequence[tuple[str, int]], out: IO[str]) -> None:
        self.fmt = fmt
        self.columns = [(name, max(width, len(name))) for name, width in columns]
        self.out = out

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
        print(self._cells(cells), file=self.out, flush=True)
