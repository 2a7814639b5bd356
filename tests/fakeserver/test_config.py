"""ServerConfig and friends: validated on construction, loadable from TOML and JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
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
