"""Mistakes of the caller (``fakeserver.cli.usage``): one line naming the flag, exit status 2."""

from __future__ import annotations

import pytest

from fakeserver.cli.usage import Parser, UsageError, blame, rename_field


def test_argparse_mistakes_are_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    parser = Parser(prog="fakeserver serve")
    parser.add_argument("--port", type=int)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--port", "x"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "fakeserver: --port: invalid int value: 'x' (see 'fakeserver serve --help')\n"
    )


def test_a_config_error_is_told_about_the_flag_the_user_typed() -> None:
    renamed = rename_field(ValueError("server_version: must be a version"), "--server-version")
    assert isinstance(renamed, UsageError)
    assert str(renamed) == "--server-version: must be a version"
    whole = rename_field(ValueError("no field named here"), "--config")
    assert str(whole) == "--config: no field named here"


@pytest.mark.parametrize("error", [ValueError("seed: must be >= 0"), TypeError("seed: not an int")])
def test_blame_turns_config_errors_into_usage_errors(error: Exception) -> None:
    with pytest.raises(UsageError, match=r"^--seed: ") as raised, blame("--seed"):
        raise error
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_blame_lets_anything_else_through() -> None:
    with pytest.raises(KeyError), blame("--seed"):
        raise KeyError("not a mistake of the caller")
