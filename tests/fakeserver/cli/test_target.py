"""``serve``'s flags and config file, turned into a ServerConfig (``fakeserver.cli.target``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from fakeserver.cli import target
from fakeserver.config import Fault

from .command import assert_one_line_error, in_process


def test_fault_flags_build_faults() -> None:
    assert target._fault("error:*/ping:status=502,times=1") == Fault(
        "error", "*/ping", status=502, times=1
    )
    assert target._fault("latency:*:delay=0.2,delay_max=1") == Fault(
        "latency", "*", delay=0.2, delay_max=1.0
    )
    assert target._fault("drop") == Fault("drop", "*")
    assert target._fault("error:probability=0.5") == Fault("error", "*", probability=0.5)


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("explode:*", "kind"),
        ("error:*:status=200", "status"),
        ("error:*:status=abc", "not a number"),
        ("latency:*:speed=2", "expected KEY=VALUE"),
    ],
)
def test_bad_fault_flags_are_one_line(
    flag: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_one_line_error(in_process(["serve", "--fault", flag], capsys), message)


@pytest.mark.parametrize(
    ("name", "text", "fragments"),
    [
        ("syntax.toml", "server_version = \n", ["not valid TOML"]),
        ("unknown.toml", "bogus = 1\n", ["bogus", "unknown field"]),
        ("version.toml", 'server_version = "x"\n', ["server_version", "'x'"]),
        (
            "roles.toml",
            '[[security.users]]\nname = "a"\npassword = "b"\nroles = ["admin"]\n',
            ["roles", "'admin'"],
        ),
        ("cube.toml", '[[cubes]]\nname = "c"\ntable = "nope"\n', ["'nope'"]),
        ("broken.json", "{", ["not valid JSON"]),
        ("list.json", "[1]", ["config"]),
        # Each of these ended in a traceback before issue 13.
        ("deep.toml", "x = " + "[" * 3000 + "]" * 3000, ["deep.toml", "too deeply"]),
        ("deep.json", '{"x": ' + "[" * 3000 + "]" * 3000 + "}", ["too deeply"]),
        ("tables.toml", 'tables = "abc"\n', ["tables: must be a list"]),
        (
            "unhashable.toml",
            '[[security.users]]\nname = "a"\npassword = "b"\nroles = [["ROLE_X"]]\n',
            ["user 'a'.roles", "['ROLE_X']"],
        ),
        (
            "objects.toml",
            '[[tables]]\nname = "t"\ncolumns = { a = "int" }\nrows = [{ b = 1 }]\n',
            ["table 't'.rows[0]: no column 'b'"],
        ),
    ],
)
def test_bad_config_files_are_one_line_exit_2(
    tmp_path: Path,
    name: str,
    text: str,
    fragments: Sequence[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / name
    path.write_text(text)
    result = in_process(["serve", "--port", "0", "--config", str(path)], capsys)
    assert_one_line_error(result, *fragments)
