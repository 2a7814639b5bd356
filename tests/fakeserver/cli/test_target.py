"""``serve``'s flags and config file, turned into a ServerConfig (``fakeserver.cli.target``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pytest

from fakeserver.cli import target
from fakeserver.config import Fault, OidcConfig, ServerConfig

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
    assert target._fault("error:*:method=POST") == Fault("error", "*", method="POST")


def test_the_fault_help_names_every_key() -> None:
    parser = argparse.ArgumentParser()
    target.add_arguments(parser)
    action = next(a for a in parser._actions if "--fault" in a.option_strings)
    assert sorted(k for k in target.FAULT_KEYS if f"{k}=" not in (action.help or "")) == []


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


def _config(*flags: str) -> ServerConfig:
    parser = argparse.ArgumentParser()
    target.add_arguments(parser)
    return target.build_config(parser.parse_args(list(flags)))


def test_oidc_flag_adds_the_default_issuer_to_the_demo() -> None:
    security = _config("--oidc").security
    assert security is not None and security.oidc == OidcConfig()
    assert _config().security is not None and _config().security.oidc is None  # type: ignore[union-attr]


def test_oidc_clients_replace_the_demo_client_and_imply_oidc() -> None:
    security = _config("--oidc-client", "app:s3cret", "--oidc-client", "cli:x").security
    assert security is not None and security.oidc is not None
    assert security.oidc.clients == {"app": "s3cret", "cli": "x"}


def test_oidc_from_a_file_keeps_its_settings_under_the_flags(tmp_path: Path) -> None:
    path = tmp_path / "issuer.toml"
    path.write_text(
        '[[security.users]]\nname = "a"\npassword = "b"\n'
        '[security.oidc]\npath = "/realms/x"\nclients = { app = "one" }\n'
    )
    security = _config("--config", str(path), "--oidc-client", "app:two").security
    assert security is not None and security.oidc is not None
    assert (security.oidc.path, security.oidc.clients) == ("/realms/x", {"app": "two"})


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--unsecured", "--oidc"], "--oidc: the target is unsecured"),
        (["--unsecured", "--oidc-client", "a:b"], "--oidc-client: the target is unsecured"),
        (["--oidc-client", "nosecret"], "expected ID:SECRET"),
        (["--oidc-client", "a b:c"], "not a client id"),
    ],
)
def test_bad_oidc_flags_are_one_line(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_one_line_error(in_process(["serve", "--port", "0", *args], capsys), fragment)


def test_atoti_client_sets_both_versions_and_explicit_flags_win() -> None:
    parser = argparse.ArgumentParser()
    target.add_arguments(parser)
    config = target.build_config(parser.parse_args(["--atoti-client", "0.9.16"]))
    assert (config.server_version, config.python_api_version) == ("6.1.23", "0.9.16")
    both = ["--atoti-client", "0.9.16", "--server-version", "6.1.2"]
    config = target.build_config(parser.parse_args(both))
    assert (config.server_version, config.python_api_version) == ("6.1.2", "0.9.16")


def test_an_atoti_client_newer_than_the_table_is_served_with_a_warning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser()
    target.add_arguments(parser)
    config = target.build_config(parser.parse_args(["--atoti-client", "6.2.3"]))
    assert (config.server_version, config.python_api_version) == ("6.2.3", "6.2.3")
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "fakeserver: warning: --atoti-client: atoti-client 6.2.3 is not in fakeserver's "
        "release table yet (newest: 6.2.2); emulating server 6.2.3, as every release from "
        "6.2.0 on expects the server of its own version, with the newest dialect (6.2.0)"
    ]


def test_an_unknown_atoti_client_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert_one_line_error(
        in_process(["serve", "--atoti-client", "0.8.0"], capsys), "known releases are 0.9.0"
    )
