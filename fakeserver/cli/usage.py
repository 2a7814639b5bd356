"""Mistakes of the caller: one line ``fakeserver: <flag>: <problem>`` on stderr, exit status 2.

Every command raises :class:`UsageError` for a mistake in its flags or config file;
``main`` prints it. The config layer names the *field* it rejects, so the helpers here
re-attribute its messages to the *flag* the user typed.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import NoReturn

__all__ = ["Parser", "UsageError", "blame", "rename_field"]


class UsageError(Exception):
    """A mistake of the caller: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but its errors are one line like every other mistake."""

    def error(self, message: str) -> NoReturn:
        message = message.removeprefix("argument ")
        self.exit(2, f"fakeserver: {message} (see '{self.prog} --help')\n")


def rename_field(error: ValueError, flag: str) -> UsageError:
    """``"field: problem"`` from the config layer, re-attributed to the flag that caused it."""
    _, _, problem = str(error).partition(": ")
    return UsageError(f"{flag}: {problem or error}")


@contextlib.contextmanager
def blame(flag: str) -> Iterator[None]:
    """Turn a config error raised inside the block into a :class:`UsageError` about ``flag``."""
    try:
        yield
    except (ValueError, TypeError) as error:
        raise rename_field(ValueError(str(error)), flag) from None
