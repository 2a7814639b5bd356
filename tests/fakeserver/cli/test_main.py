"""The command itself: usage, help, and the commands it wires (``fakeserver.cli``)."""

from __future__ import annotations

import pytest

from .command import fakeserver, in_process


def test_bare_command_prints_usage_and_exits_2() -> None:
    bare = fakeserver()
    assert bare.returncode == 2 and "usage:" in bare.stderr and "Traceback" not in bare.stderr


def test_help_lists_every_command_and_flag(capsys: pytest.CaptureFixture[str]) -> None:
    top = in_process(["--help"], capsys)
    assert top.returncode == 0
    for command in ("serve", "matrix", "scenarios"):
        assert command in top.stdout
    serve_help = in_process(["serve", "--help"], capsys).stdout
    flags = "--host --port --server-version --python-api-version --not-exposed --remote-host "
    flags += "--unsecured --user --token --tls --client-certificate --seed --config --cert-dir "
    flags += "--ready-file --allow-demo-credentials -v"
    for flag in flags.split():
        assert flag in serve_help, flag
    assert "--expectations" not in in_process(["matrix", "--help"], capsys).stdout, "no hidden flag"
