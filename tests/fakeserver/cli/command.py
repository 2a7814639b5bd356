"""Running the ``fakeserver`` command as a user would, or ``main()`` in-process for speed.

Real processes prove what a user sees (exit status, no traceback); in-process runs keep the
long tables of mistakes fast. Both give a ``CompletedProcess``, so assertions read the same.
:func:`serve` runs ``fakeserver serve`` until the test is done with it (the browser tests
use it too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class Served:
    process: subprocess.Popen[str]
    ready: dict[str, Any]
    ready_file: Path
    stdout_path: Path
    stderr_path: Path

    @property
    def url(self) -> str:
        return str(self.ready["url"])

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=TIMEOUT)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8")


@contextmanager
def serve(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> Iterator[Served]:
    """``fakeserver serve --port 0 --ready-file ...``, up once the ready file appears;
    ``stdin``, when given, is written to the command's standard input, then closed."""
    ready_file = tmp_path / "ready.json"
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    command = [sys.executable, "-m", "fakeserver", "serve", "--port", "0"]
    command += ["--ready-file", str(ready_file), *args]
    # Files, not pipes: a chatty -v server can never block on a full pipe.
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=stdout,
            stderr=stderr,
            env=env or ENV,
            text=True,
        )
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
    try:
        ready = _wait_ready(process, ready_file, err)
        yield Served(process, ready, ready_file, out, err)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=TIMEOUT)


def _wait_ready(process: subprocess.Popen[str], ready_file: Path, err: Path) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            data: dict[str, Any] = json.loads(ready_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # not there yet, or a stale one not yet removed
            pass
        else:
            return data
        if process.poll() is not None:
            pytest.fail(f"fakeserver serve exited {process.returncode}: {err.read_text()}")
        time.sleep(0.01)
    pytest.fail("fakeserver serve never wrote its ready file")


def read_terminal(primary: int) -> bytes:
    """Everything written to a pseudo-terminal until the child closes it; closes ``primary``."""
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    return seen


def on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """``fakeserver ARGS`` with stdout on a pseudo-terminal: what a user's terminal shows."""
    primary, secondary = os.openpty()
    command = [sys.executable, "-m", "fakeserver", *args]
    process = subprocess.Popen(command, stdout=secondary, stderr=subprocess.DEVNULL, env=env)
    os.close(secondary)
    seen = read_terminal(primary)
    assert process.wait(timeout=TIMEOUT) in (0, 1), "1: a mismatch, still a full report"
    return seen.decode("utf-8").replace("\r\n", "\n")
