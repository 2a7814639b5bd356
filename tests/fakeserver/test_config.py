"""ServerConfig and friends: validated on construction, loadable from TOML and JSON."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeserver import (
    CubeSpec,
    OidcConfig,
    SecurityConfig,
    ServerConfig,
    TableSpec,
    TlsConfig,
    User,
)
from fakeserver.config import Fault
from fakeserver.state import ServerState

from .model.samples import SCALARS


def test_defaults_match_the_spec() -> None:
    config = ServerConfig()
    assert config.server_version == "6.1.2"
    assert config.python_api_version == "0.9.2"
    assert config.exposed is True
    assert config.host == "local"
    assert config.security is None and config.tls is None
    assert config.tables == () and config.cubes == ()
    assert config.seed == 0
    assert config.status_page is False, "the page is the command's, not the fixtures'"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ServerConfig(server_version="six"), "server_version"),
        (lambda: ServerConfig(server_version="6"), "server_version"),
        (lambda: ServerConfig(python_api_version="0.9.2 "), "python_api_version"),
        (lambda: ServerConfig(host="elsewhere"), "host"),  # type: ignore[arg-type]
        (lambda: ServerConfig(exposed="yes"), "exposed"),  # type: ignore[arg-type]
        (lambda: ServerConfig(seed="0"), "seed"),  # type: ignore[arg-type]
        (lambda: ServerConfig(status_page="on"), "status_page"),  # type: ignore[arg-type]
        (lambda: User("admin", "pw", roles=frozenset({"admin"})), "roles"),
        (lambda: User("admin", "pw", roles="ROLE_ADMIN"), "roles"),  # type: ignore[arg-type]
        (lambda: User("", "pw"), "user.name"),
        (lambda: User("a:b", "pw"), "user.name"),
        (lambda: SecurityConfig(users=(User("a", "p"),), tokens={"t": "ghost"}), "security.tokens"),
        (lambda: SecurityConfig(users=(User("a", "p"), User("a", "q"))), "security.users"),
        (lambda: SecurityConfig(tokens={"has space": "a"}, users=(User("a", "p"),)), "tokens"),
        (lambda: TlsConfig(client_certificate="maybe"), "tls.client_certificate"),  # type: ignore[arg-type]
        (lambda: TableSpec("t", {"a": "str"}), "columns.a"),
        (lambda: TableSpec("a:b", {"a": "int"}), "table.name"),
        (lambda: TableSpec("a/b", {"a": "int"}), "table.name"),
        (lambda: TableSpec("t\n", {"a": "int"}), "table.name"),
        (lambda: TableSpec("t", {"a:b": "int"}), "table 't'.columns"),
        (lambda: CubeSpec("c:d", "t"), "cube.name"),
        (lambda: CubeSpec("c", ".."), "cube 'c'.table"),
        (lambda: TableSpec("t", {"a": "int"}, keys=("b",)), "keys"),
        (lambda: TableSpec("t", {"a": "int"}, rows=((1, 2),)), "rows[0]"),
        (lambda: ServerConfig(cubes=(CubeSpec("c", "missing"),)), "table"),
        (lambda: ServerConfig(cloud_files={"http://x/y.csv": "a"}), "cloud_files"),
        (lambda: ServerConfig(file_roots=("relative",)), "file_roots"),
    ],
)
def test_bad_values_name_their_field(build: Callable[[], object], field: str) -> None:
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        build()


def test_valid_versions_are_accepted() -> None:
    for version in ("6.1.2", "6.1", "6.1.2-SNAPSHOT", "0.9.2rc1", "10.0.0.1"):
        assert ServerConfig(server_version=version).server_version == version


def test_roles_and_collections_are_normalised() -> None:
    user = User("admin", "pw", roles={"ROLE_USER", "ROLE_ADMIN"})  # type: ignore[arg-type]
    assert isinstance(user.roles, frozenset) and "ROLE_ADMIN" in user.roles
    assert "ROLE_ADMIN" not in User("u", "pw").roles
    security = SecurityConfig(users=[user])  # type: ignore[arg-type]
    assert security.users == (user,)


def test_replace_validates_again() -> None:
    with pytest.raises(ValueError, match="server_version"):
        ServerConfig().replace(server_version="nope")
    with pytest.raises(ValueError, match=r"unexpected keyword|no_such"):
        ServerConfig().replace(no_such=1)


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


def test_secrets_stay_out_of_reprs() -> None:
    config = ServerConfig(
        security=SecurityConfig(users=(User("alice", "pa55word"),), tokens={"t0k3n": "alice"})
    )
    text = repr(config)
    assert "alice" in text
    assert "pa55word" not in text and "t0k3n" not in text


@pytest.mark.parametrize("token", ["tok@en!", "abc=def", "a b", ""])
def test_tokens_a_header_cannot_carry_are_refused(token: str) -> None:
    with pytest.raises(ValueError, match=r"security\.tokens") as caught:
        SecurityConfig(users=(User("a", "p"),), tokens={token: "a"})
    assert token not in str(caught.value) or not token


def test_every_accepted_token_authenticates() -> None:
    import httpx

    from fakeserver import FakeServer

    tokens = {"abc.def-ghi_jkl~mno+pqr/stu==": "a", "Zz09": "a"}
    config = ServerConfig(security=SecurityConfig(users=(User("a", "p"),), tokens=tokens))
    with FakeServer(config) as server:
        for token in tokens:
            response = httpx.get(
                server.url + "/activeviam/pivot/rest/v9/ping",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.text == "pong", token


# -- the OAuth 2 issuer (SecurityConfig.oidc) -------------------------------------------------


def test_oidc_defaults() -> None:
    oidc = OidcConfig()
    assert (oidc.path, oidc.audience, oidc.roles_claim) == ("/oidc", "fakeserver", "roles")
    assert oidc.clients == {"fakeserver": "fakeserver-secret"}
    assert (oidc.token_lifetime, oidc.clock_skew, oidc.algorithm) == (300, 30, "ES256")
    assert SecurityConfig().oidc is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"path": "oidc"}, "oidc.path"),
        ({"path": "/oidc/"}, "oidc.path"),
        ({"path": "/"}, "oidc.path"),
        ({"path": "/a b"}, "oidc.path"),
        ({"path": "/atoti"}, "would hide"),
        ({"path": "/activeviam/pivot/rest/v9"}, "would hide"),
        ({"path": "/versions/rest"}, "would hide"),
        ({"path": "/_fakeserver"}, "would hide"),  # the status page's prefix
        ({"audience": " "}, "oidc.audience"),
        ({"roles_claim": ""}, "oidc.roles_claim"),
        ({"roles_claim": "a..b"}, "oidc.roles_claim"),
        ({"clients": {}}, "at least one client"),
        ({"clients": {"a b": "s"}}, "not a client id"),
        ({"clients": {"app": ""}}, "secret of 'app'"),
        ({"token_lifetime": 0}, "oidc.token_lifetime"),
        ({"token_lifetime": 1.5}, "oidc.token_lifetime"),
        ({"clock_skew": -1}, "oidc.clock_skew"),
        ({"clock_skew": True}, "oidc.clock_skew"),
        ({"algorithm": "HS256"}, "oidc.algorithm"),
    ],
)
def test_bad_oidc_values_name_their_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OidcConfig(**fields)


def test_oidc_client_secrets_stay_out_of_reprs_and_errors() -> None:
    oidc = OidcConfig(clients={"app": "sup3r-secret"})
    assert "sup3r-secret" not in repr(SecurityConfig(oidc=oidc))
    with pytest.raises(ValueError) as caught:
        OidcConfig(clients={"app": "sup3r-secret", "b\n": "sup3r-secret"})
    assert "sup3r-secret" not in str(caught.value)
    with pytest.raises(ValueError, match=r"security.oidc"):
        SecurityConfig(oidc={"path": "/oidc"})  # type: ignore[arg-type]


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


def test_for_client_emulates_the_releases_server() -> None:
    config = ServerConfig.for_client("0.9.16", exposed=False)
    assert (config.server_version, config.python_api_version) == ("6.1.23", "0.9.16")
    assert config.exposed is False
    assert ServerConfig.for_client("0.9.2") == ServerConfig()
    assert ServerConfig.for_client("6.2.2", server_version="6.2.2-SNAPSHOT").server_version == (
        "6.2.2-SNAPSHOT"
    )
    with pytest.raises(ValueError, match=r"'1\.0' is not a known release \(known releases"):
        ServerConfig.for_client("1.0")


def test_pivot_ids_default_to_nine_and_are_checked() -> None:
    assert ServerConfig().pivot_ids == ("9",)
    assert ServerConfig(pivot_ids=["9", "10"]).pivot_ids == ("9", "10")  # type: ignore[arg-type]
    assert ServerConfig(pivot_ids="10").pivot_ids == ("10",)  # type: ignore[arg-type]
    for bad in ((), ("",), ("9 10",), (9,)):
        with pytest.raises(ValueError, match="pivot_ids"):
            ServerConfig(pivot_ids=bad)  # type: ignore[arg-type]
    round_trip = ServerConfig(pivot_ids=("9", "9zz1"))
    assert ServerConfig.from_mapping(round_trip.to_mapping()) == round_trip


# -- rows as objects (issue 13) ------------------------------------------------------------------

PEOPLE = {"name": "String", "city": "String", "age": "int"}


def test_rows_given_as_objects_are_mapped_by_column_name() -> None:
    spec = TableSpec(
        "people",
        PEOPLE,
        rows=({"name": "ann", "city": "Paris", "age": 30}, {"age": 41, "name": "bob"}),
    )
    # By name, not by position; a missing column is null, so its default applies.
    assert spec.rows == (("ann", "Paris", 30), ("bob", None, 41))
    table = ServerState(ServerConfig(tables=(spec,))).tables["people"]
    assert table.rows() == [("ann", "Paris", 30), ("bob", "N/A", 41)]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (({"name": "ann", "town": "Paris"},), r"table 'people'.rows\[0\]: no column 'town'"),
        (({"name": "ann", "age": "old"},), r"rows\[0\], column 'age': 'old' is not an int"),
        (("ann",), r"table 'people'.rows\[0\]: must be a list of values or an object"),
        ((("ann", "Paris"),), r"table 'people'.rows\[0\]: has 2 values for 3 columns"),
    ],
    ids=["unknown_column", "bad_value", "a_string", "too_few_values"],
)
def test_bad_rows_name_the_row(rows: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TableSpec("people", PEOPLE, rows=rows)  # type: ignore[arg-type]


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


# -- $ is not the end of a string (issue 13) -----------------------------------------------------

VALIDATED: dict[str, Callable[[str], object]] = {
    "server_version": lambda v: ServerConfig(server_version=v),
    "python_api_version": lambda v: ServerConfig(python_api_version=v),
    "user name": lambda v: User(v, "pw"),
    "role": lambda v: User("u", "pw", roles=frozenset({v})),
    "token": lambda v: SecurityConfig(users=(User("u", "pw"),), tokens={v: "u"}),
    "token owner": lambda v: SecurityConfig(users=(User("u", "pw"),), tokens={"t": v}),
    "token type": lambda v: SecurityConfig(token_type=v),
    "table name": lambda v: TableSpec(v, {"a": "int"}),
    "column name": lambda v: TableSpec("t", {v: "int"}),
    "column type": lambda v: TableSpec("t", {"a": v}),
    "key": lambda v: TableSpec("t", {"u": "int"}, keys=(v,)),
    "cube name": lambda v: CubeSpec(v, "t"),
    "cloud URL": lambda v: ServerConfig(cloud_files={v: "a\n1\n"}),
    "fault kind": lambda v: Fault(v),  # type: ignore[arg-type]
    "tls mode": lambda v: TlsConfig(v),  # type: ignore[arg-type]
    "host": lambda v: ServerConfig(host=v),  # type: ignore[arg-type]
    "pivot id": lambda v: ServerConfig(pivot_ids=(v,)),
    "issuer path": lambda v: OidcConfig(path=v),
    "roles claim": lambda v: OidcConfig(roles_claim=v),
    "client id": lambda v: OidcConfig(clients={v: "secret"}),
    "algorithm": lambda v: OidcConfig(algorithm=v),  # type: ignore[arg-type]
}
#: A value each validator accepts.
GOOD = {
    "server_version": "6.1.2",
    "python_api_version": "0.9.2",
    "user name": "u",
    "role": "ROLE_ADMIN",
    "token": "t0ken",
    "token owner": "u",
    "token type": "Bearer",
    "table name": "t",
    "column name": "a",
    "column type": "int",
    "key": "u",
    "cube name": "c",
    "cloud URL": "s3://bucket/key.csv",
    "fault kind": "drop",
    "tls mode": "optional",
    "host": "local",
    "pivot id": "9",
    "issuer path": "/oidc",
    "roles claim": "realm_access.roles",
    "client id": "my-client",
    "algorithm": "ES256",
}


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["LF", "CRLF"])
@pytest.mark.parametrize("what", list(VALIDATED))
def test_no_validator_takes_a_trailing_newline(what: str, ending: str) -> None:
    VALIDATED[what](GOOD[what])  # the value is good ...
    with pytest.raises(ValueError):  # ... and not with a line ending after it
        VALIDATED[what](GOOD[what] + ending)


def test_a_role_with_a_newline_cannot_pass_for_the_admin_role() -> None:
    with pytest.raises(ValueError, match=r"user 'root'.roles: 'ROLE_ADMIN\\n' is not a role"):
        User("root", "pw", roles=frozenset({"ROLE_ADMIN\n"}))


# -- wrong types name their field (issue 13) -----------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ServerConfig(tables="abc"), "tables: must be a list of TableSpec, not 'abc'"),  # type: ignore[arg-type]
        (lambda: ServerConfig(tables=["abc"]), "tables: 'abc' is not a TableSpec"),  # type: ignore[arg-type]
        (lambda: ServerConfig(cubes="c"), "cubes: must be a list of CubeSpec"),  # type: ignore[arg-type]
        (lambda: ServerConfig(faults=5), "faults: must be a list of Fault"),  # type: ignore[arg-type]
        (lambda: ServerConfig(file_roots="/tmp"), "file_roots: must be a list of absolute"),  # type: ignore[arg-type]
        (lambda: SecurityConfig(users="admin"), "security.users: must be a list of User"),  # type: ignore[arg-type]
        (lambda: User("u", "p", roles=[["ROLE_X"]]), r"user 'u'.roles: \['ROLE_X'\] is not a"),  # type: ignore[arg-type]
        (lambda: User("u", "p", roles=None), "user 'u'.roles: must be a collection"),  # type: ignore[arg-type]
        (lambda: TableSpec("t", {"a": "int"}, keys="a"), "table 't'.keys: must be a list"),  # type: ignore[arg-type]
        (lambda: TableSpec("t", {"a": "int"}, keys=[["a"]]), r"table 't'.keys: \['a'\] is not"),  # type: ignore[arg-type]
        (lambda: TableSpec("t", {"a": "int"}, rows=7), "table 't'.rows: must be a list of rows"),  # type: ignore[arg-type]
    ],
    ids=[
        "tables_str",
        "tables_of_str",
        "cubes",
        "faults",
        "file_roots",
        "users",
        "unhashable_roles",
        "no_roles",
        "keys_str",
        "unhashable_key",
        "rows_int",
    ],
)
def test_wrong_types_are_value_errors_naming_the_field(
    build: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        build()


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
