"""A config from plain data, TOML and JSON, and back (``fakeserver.config.files``)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeserver import (
    OidcConfig,
    ServerConfig,
    TableSpec,
    TlsConfig,
)
from fakeserver.config import files

from ..model.samples import SCALARS

TOML = """
server_version = "6.1.3"
python_api_version = "0.9.1"
exposed = false
host = "remote"
seed = 7

[security]
tokens = { "t0ken" = "admin" }

[[security.users]]
name = "admin"
password = "passwd"
roles = ["ROLE_USER", "ROLE_ADMIN"]

[[security.users]]
name = "user"
password = "passwd"

[tls]
client_certificate = "optional"

[[tables]]
name = "trades"
columns = { id = "int", desk = "String" }
keys = ["id"]
rows = [[1, "a"], [2, "b"]]

[[cubes]]
name = "Trades"
table = "trades"
"""


def test_toml_and_json_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text(TOML)
    config = ServerConfig.from_toml(path)
    assert config.server_version == "6.1.3" and config.host == "remote" and not config.exposed
    assert config.security is not None
    admin = config.security.user("admin")
    assert admin is not None and "ROLE_ADMIN" in admin.roles
    assert config.security.tokens == {"t0ken": "admin"}
    assert config.tls == TlsConfig("optional")
    assert config.tables[0].rows == ((1, "a"), (2, "b"))
    json_path = tmp_path / "server.json"
    json_path.write_text(json.dumps(config.to_mapping()))
    assert ServerConfig.from_json(json_path) == config
    assert ServerConfig.from_file(json_path) == ServerConfig.from_file(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("server_version = ", "not valid TOML"),
        ("colour = 'blue'", "colour: unknown field"),
        ("[security]\nusers = [{ name = 'a' }]", r"security.users\[0\]"),
        ("[tls]\nclient_certificate = 'sometimes'", "tls.client_certificate"),
        ("[[tables]]\nname = 't'\ncolumns = { a = 'Integer' }", "columns.a"),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        ServerConfig.from_toml(path)


def test_missing_and_invalid_json_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        ServerConfig.from_toml(tmp_path / "absent.toml")
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ValueError, match="not valid JSON"):
        ServerConfig.from_json(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="config"):
        ServerConfig.from_json(bad)


@pytest.mark.parametrize("read", [ServerConfig.from_toml, ServerConfig.from_json])
def test_a_file_that_is_not_utf8_is_one_clear_error(tmp_path: Path, read: Any) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('server_version = "6.1.2" # café\n'.encode("latin-1"))
    with pytest.raises(ValueError, match=r"^config: '.*latin1.toml' is not UTF-8 text: "):
        read(path)


@pytest.mark.parametrize("read", [ServerConfig.from_toml, ServerConfig.from_json])
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("fifo", "nothing came through the pipe {path!r} (is anything writing to it?)"),
        ("directory", "{path!r} is not a regular file or a pipe"),
        ("device", "{path!r} is not a regular file or a pipe"),
    ],
)
def test_what_is_not_a_file_or_a_pipe_with_data_fails_and_nothing_blocks(
    tmp_path: Path, read: Any, kind: str, message: str
) -> None:
    path = tmp_path / "config"
    if kind == "fifo":
        os.mkfifo(path)  # no writer: a blocking open would wait forever
    elif kind == "directory":
        path.mkdir()
    else:
        path = Path("/dev/null")  # a character device
    raised: list[BaseException] = []

    def attempt() -> None:
        try:
            read(path)
        except BaseException as error:  # examined below
            raised.append(error)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=30)  # a hang guard, not a timing: the read must not block
    if reader.is_alive() and kind == "fifo":
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # release the reader
    assert not reader.is_alive(), f"reading a {kind} blocked"
    assert len(raised) == 1 and isinstance(raised[0], ValueError), raised
    assert str(raised[0]) == "config: " + message.format(path=str(path))


def test_a_pipe_is_read_to_its_end() -> None:
    # What --config <(envsubst < target.toml) and --config /dev/stdin hand over.
    read_end, write_end = os.pipe()

    def write() -> None:
        os.write(write_end, b'server_version = "6.1.7"\n')
        os.close(write_end)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        config = ServerConfig.from_toml(f"/dev/fd/{read_end}")
    finally:
        writer.join()
        os.close(read_end)
    assert config.server_version == "6.1.7"


def test_a_config_larger_than_the_bound_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_CONFIG_BYTES", 64)
    path = tmp_path / "big.toml"
    path.write_text('server_version = "6.1.2"\n' + "# padding\n" * 5)
    with pytest.raises(ValueError, match=r"^config: '.*big.toml' holds more than 64 bytes$"):
        ServerConfig.from_toml(path)
    path.write_text('server_version = "6.1.2"\n')
    assert ServerConfig.from_toml(path).server_version == "6.1.2"


def test_oidc_from_toml_and_back(tmp_path: Path) -> None:
    path = tmp_path / "issuer.toml"
    path.write_text(
        """
[security]
users = [{ name = "admin", password = "pw", roles = ["ROLE_USER", "ROLE_ADMIN"] }]

[security.oidc]
path = "/realms/test"
audience = "atoti"
roles_claim = "realm_access.roles"
clients = { my-app = "s3cret" }
token_lifetime = 60
algorithm = "RS256"
"""
    )
    config = ServerConfig.from_toml(path)
    assert config.security is not None
    assert config.security.oidc == OidcConfig(
        path="/realms/test",
        audience="atoti",
        roles_claim="realm_access.roles",
        clients={"my-app": "s3cret"},
        token_lifetime=60,
        algorithm="RS256",
    )
    assert ServerConfig.from_mapping(config.to_mapping()) == config
    path.write_text("[security.oidc]\nlifetime = 60\n")
    with pytest.raises(ValueError, match=r"security.oidc.lifetime: unknown field"):
        ServerConfig.from_toml(path)


def test_toml_rows_may_be_inline_tables(tmp_path: Path) -> None:
    path = tmp_path / "people.toml"
    path.write_text(
        "[[tables]]\n"
        'name = "people"\n'
        'columns = { name = "String", city = "String", age = "int" }\n'
        'rows = [{ name = "ann", city = "Paris", age = 30 }, { age = 41, name = "bob" }, '
        '["cy", "Rome", 50]]\n'
    )
    config = ServerConfig.from_toml(path)
    assert config.tables[0].rows == (("ann", "Paris", 30), ("bob", None, 41), ("cy", "Rome", 50))
    assert ServerConfig.from_mapping(config.to_mapping()) == config


# -- wrong shapes and deep nesting are value errors (issue 13) ----------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"security": {"users": [{"name": "u", "password": "p", "roles": [["ROLE_X"]]}]}},
        {"security": {"users": [{"name": "u", "password": "p", "roles": [{"a": 1}]}]}},
        {"tables": [{"name": "t", "columns": {"a": "int"}, "keys": [["a"]]}]},
        {"tables": "abc"},
        {"file_roots": "/tmp"},
    ],
)
def test_plain_data_of_the_wrong_shape_is_a_value_error(data: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"^[\w\[\]' .]+: "):
        ServerConfig.from_mapping(data)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("arrays.toml", "x = " + "[" * 3000 + "]" * 3000),
        ("tables.toml", "x = " + "{a = " * 3000 + "1" + "}" * 3000),
        ("arrays.json", '{"x": ' + "[" * 3000 + "]" * 3000 + "}"),
    ],
)
def test_deeply_nested_files_are_a_value_error(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ValueError, match="nests arrays and tables too deeply to be read"):
        ServerConfig.from_file(path)


def test_deeply_nested_values_are_a_value_error_quoting_a_little() -> None:
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    for field in ("server_version", "seed", "file_roots", "tables", "limits"):
        with pytest.raises(ValueError, match=f"^{field}"):
            ServerConfig.from_mapping({field: deep})
    with pytest.raises(ValueError, match=r"column 'a': default value \[\[\[\[\.\.\.\]\]\]\]"):
        TableSpec("t", {"a": "int"}, default_values={"a": deep})


# -- any plain data ------------------------------------------------------------------------------


#: Field names and values a config is made of, so generated data reaches deep validation.
_NAMES = [f.name for f in dataclasses.fields(ServerConfig)] + [
    *["name", "password", "roles", "users", "tokens", "token_type", "client_certificate"],
    *["columns", "keys", "rows", "generate", "default_values", "table", "kind", "path"],
    *["method", "delay", "status", "times", "probability", "max_json_depth", "head_timeout"],
]


#: What an error message may start with: a field of the config, or a part of it by name.
_FIELD = re.compile(
    rf"({'|'.join(_NAMES[:14])}|config|user|security|tls|table|tables|cube|cubes|fault|faults"
    r"|limits)\b"
)


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


_SCALARS = (
    SCALARS
    | st.sampled_from(["6.1.2", "ROLE_USER", "ROLE_ADMIN\n", "int", "t", "s3://b/k.csv", "/tmp"])
    | st.integers(min_value=900, max_value=3000).map(_nested)  # past the recursion limit
)


_PLAIN = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(_NAMES) | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=500, deadline=None)
@given(data=st.dictionaries(st.sampled_from(_NAMES[:14]), _PLAIN, max_size=5))
def test_any_plain_data_builds_a_config_or_a_value_or_type_error(data: dict[str, Any]) -> None:
    try:
        config = ServerConfig.from_mapping(data)
    except (ValueError, TypeError) as error:
        field, colon, problem = str(error).partition(": ")
        assert colon and problem and _FIELD.match(field), f"the error names no field: {error}"
        return
    assert ServerConfig.from_mapping(config.to_mapping()) == config
