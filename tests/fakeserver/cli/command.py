"""Running the ``fakeserver`` command as a user would, or ``main()`` in-process for speed.

Real processes prove what a user sees (exit status, no traceback); in-process runs keep the
long tables of mistakes fast. Both give a ``CompletedProcess``, so assertions read the same.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from fakeserver import cli

TIMEOUT = 30.0
#: The environment of every subprocess; ``conftest`` points its TMPDIR at the test's own.
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


def fakeserver(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fakeserver", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env or ENV,
        timeout=TIMEOUT,
        check=False,
    )


def in_process(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> subprocess.CompletedProcess[str]:
    """``cli.main(args)`` with its output, shaped like a finished subprocess."""
    try:
        code = cli.main(args)
    except SystemExit as exit:  # argparse exits
        code = exit.code if isinstance(exit.code, int) else 1
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fakeserver: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""
