"""The parts of a config (``fakeserver.config.parts``): each refuses a bad value by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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


def test_roles_and_collections_are_normalised() -> None:
    user = User("admin", "pw", roles={"ROLE_USER", "ROLE_ADMIN"})  # type: ignore[arg-type]
    assert isinstance(user.roles, frozenset) and "ROLE_ADMIN" in user.roles
    assert "ROLE_ADMIN" not in User("u", "pw").roles
    security = SecurityConfig(users=[user])  # type: ignore[arg-type]
    assert security.users == (user,)


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
