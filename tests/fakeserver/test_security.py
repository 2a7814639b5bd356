"""Who is asking, and may they (``fakeserver.security``, SPEC §4.3).

On the wire with a raw HTTP client first (every refusal in the error shape, with its
challenges, never echoing a secret), then :func:`authenticate` and :func:`authorize` in
process, on werkzeug requests built by hand.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from collections.abc import Callable
from dataclasses import replace

import httpx
import jwt
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from fakeserver import FakeServer, OidcConfig, ServerConfig
from fakeserver.errors import FakeHTTPError
from fakeserver.protocol import PIVOT_PATH
from fakeserver.security import (
    ANONYMOUS,
    Access,
    Identity,
    authenticate,
    authorize,
    challenge_headers,
)
from fakeserver.state import ServerState
from fakeserver.wsgi import PEER_CERTIFICATE_KEY

from ..conftest import SECURITY
from .wire import ADMIN, PLAIN, assert_error, basic


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Full authentication is required"),
        (basic("admin", "wrong"), "Bad credentials"),
        (basic("ghost", "admin-pass"), "Bad credentials"),
        ({"Authorization": "Bearer not-a-token"}, "invalid token"),
        ({"Authorization": "Basic %%%"}, "malformed"),
        ({"Authorization": "Basic"}, "malformed"),
        ({"Authorization": "Basic dXNlcg=="}, "malformed"),  # "user": no colon
        ({"Authorization": "Basic YWRtaW46YWRtaW4tcGFzcw== junk"}, "malformed"),
        ({"Authorization": "Basic  YWRtaW46YWRtaW4tcGFzcw=="}, "malformed"),
        ({"Authorization": "Digest abc"}, "unsupported"),
    ],
)
def test_secured_target_refuses_bad_identities(
    secured_server: FakeServer, headers: dict[str, str], message: str
) -> None:
    path = PIVOT_PATH + "/ping"
    response = httpx.get(secured_server.url + path, headers=headers)
    body = assert_error(response, 401, path)
    assert message in str(body["error"])
    challenges = response.headers.get_list("www-authenticate")
    assert 'Basic realm="fakeserver"' in challenges
    assert 'Bearer realm="fakeserver"' in challenges
    for secret in ("admin-pass", "not-a-token", "wrong"):
        assert secret not in response.text


def test_bearer_challenge_only_when_tokens_are_configured() -> None:
    config = ServerConfig(security=SECURITY.__class__(users=SECURITY.users))
    with FakeServer(config) as server:
        response = httpx.get(server.url + PIVOT_PATH + "/ping")
        assert response.headers.get_list("www-authenticate") == ['Basic realm="fakeserver"']


@pytest.mark.parametrize(
    "headers",
    [ADMIN, PLAIN, {"Authorization": "Bearer admin-token"}, {"Authorization": "Bearer user-token"}],
)
def test_secured_target_accepts_valid_identities(
    secured_server: FakeServer, headers: dict[str, str]
) -> None:
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=headers).text == "pong"


def test_malformed_headers_never_crash_the_server(secured_server: FakeServer) -> None:
    # httpx refuses to send such headers, so speak HTTP by hand.
    for value in (
        b"Basic",
        b"Basic \xff\xfe",
        b"Bearer ",
        b"Basic YWRtaW46YWRtaW4tcGFzcw== junk",
        b"Basic " + b"\xc3\xa9" * 10,
        b"B" * 8192,
        b"Basic " + b"Q" * 8192,
    ):
        conn = http.client.HTTPConnection("127.0.0.1", secured_server.port, timeout=5)
        try:
            conn.putrequest("GET", PIVOT_PATH + "/ping")
            conn.putheader("Authorization", value)
            conn.endheaders()
            response = conn.getresponse()
            body = json.loads(response.read())
        finally:
            conn.close()
        assert response.status == 401, value
        assert body["status"] == 401
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=ADMIN).text == "pong"


def test_scheme_is_case_insensitive_as_on_the_real_server(secured_server: FakeServer) -> None:
    # RFC 7235 and Spring Security both match the scheme case-insensitively.
    lower = {"Authorization": ADMIN["Authorization"].replace("Basic", "basic")}
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=lower).text == "pong"
    bearer = {"Authorization": "bearer admin-token"}
    assert httpx.get(secured_server.url + PIVOT_PATH + "/ping", headers=bearer).text == "pong"


# -- authenticate and authorize in process ---------------------------------------------------


def request(headers: dict[str, str] | None = None, certificate: bytes | None = None) -> Request:
    """A werkzeug request as the engine hands it over, optionally with a verified peer cert."""
    environ = {PEER_CERTIFICATE_KEY: certificate} if certificate is not None else {}
    builder = EnvironBuilder(
        path=PIVOT_PATH + "/ping", headers=list((headers or {}).items()), environ_base=environ
    )
    return Request(builder.get_environ())


def certificate_der(user: str) -> bytes:
    """A client certificate naming ``user``, as the engine hands over a verified one."""
    leaf = trustme.CA().issue_cert("client.fakeserver.invalid", common_name=user)
    pem = leaf.cert_chain_pems[0].bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


@pytest.fixture
def secured() -> ServerState:
    return ServerState(ServerConfig(security=SECURITY))


@pytest.fixture
def unsecured() -> ServerState:
    return ServerState(ServerConfig())


def refusal(state: ServerState, headers: dict[str, str], certificate: bytes | None = None) -> str:
    """The message of the 401 ``authenticate`` raises, checked for its challenges."""
    with pytest.raises(FakeHTTPError) as raised:
        authenticate(request(headers, certificate), state)
    assert raised.value.status == 401
    assert list(raised.value.headers) == challenge_headers(state)
    return raised.value.message


def test_identities_of_a_secured_target(secured: ServerState) -> None:
    admin = authenticate(request(ADMIN), secured)
    assert admin == Identity("admin", frozenset({"ROLE_USER", "ROLE_ADMIN"}))
    assert admin.is_admin
    user = authenticate(request({"Authorization": "Bearer user-token"}), secured)
    assert user == Identity("user", frozenset({"ROLE_USER"}))
    assert not user.is_admin


def test_an_unsecured_target_is_anonymous_whatever_is_sent(unsecured: ServerState) -> None:
    for headers in ({}, ADMIN, {"Authorization": "Basic %%%"}):
        assert authenticate(request(headers), unsecured) is ANONYMOUS
    assert not ANONYMOUS.is_admin and ANONYMOUS.name is None


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Full authentication is required to access this resource"),
        (basic("admin", "wrong"), "Bad credentials"),
        (basic("ghost", "admin-pass"), "Bad credentials"),
        ({"Authorization": "Bearer not-a-token"}, "invalid token"),
        ({"Authorization": "Bearer"}, "malformed Authorization header"),
        ({"Authorization": "Basic !!!!"}, "malformed Authorization header"),
        ({"Authorization": "Basic dXNlcg=="}, "malformed Authorization header"),  # no colon
        ({"Authorization": "Basic //79/g=="}, "malformed Authorization header"),  # not UTF-8
        ({"Authorization": "Digest abc"}, "unsupported authentication scheme"),
    ],
    ids=[
        "none",
        "wrong_password",
        "unknown_user",
        "unknown_token",
        "no_token",
        "not_base64",
        "no_colon",
        "not_utf8",
        "other_scheme",
    ],
)
def test_refusals_say_why_and_never_echo_a_secret(
    secured: ServerState, headers: dict[str, str], message: str
) -> None:
    said = refusal(secured, headers)
    assert said == message
    for secret in ("admin-pass", "not-a-token", "wrong"):
        assert secret not in said


def test_a_token_of_a_removed_user_is_refused(secured: ServerState) -> None:
    secured.update_credentials({"user": None})
    assert refusal(secured, {"Authorization": "Bearer user-token"}) == "invalid token"


def test_client_certificates_name_the_user(secured: ServerState) -> None:
    assert authenticate(request(certificate=certificate_der("admin")), secured).name == "admin"
    unknown = "the client certificate names no known user"
    assert refusal(secured, {}, certificate_der("ghost")) == unknown
    assert refusal(secured, {}, b"not a certificate") == unknown
    # An Authorization header is what identifies the caller when both are present.
    assert refusal(secured, basic("admin", "wrong"), certificate_der("admin")) == "Bad credentials"


def test_authorize_reads_and_public_routes_for_anyone(
    secured: ServerState, unsecured: ServerState
) -> None:
    plain = Identity("user", frozenset({"ROLE_USER"}))
    for state in (secured, unsecured):
        for identity in (ANONYMOUS, plain):
            authorize(Access.PUBLIC, identity, state)
            authorize(Access.READ, identity, state)


@pytest.mark.parametrize("access", [Access.ADMIN, Access.OPERATOR])
def test_authorize_admin_and_status_routes(
    secured: ServerState, unsecured: ServerState, access: Access
) -> None:
    admin = Identity("admin", frozenset({"ROLE_USER", "ROLE_ADMIN"}))
    authorize(access, admin, secured)
    with pytest.raises(FakeHTTPError) as refused:
        authorize(access, Identity("user", frozenset({"ROLE_USER"})), secured)
    assert (refused.value.status, refused.value.message) == (
        403,
        "access denied: ROLE_ADMIN is required",
    )
    if access is Access.OPERATOR:
        # Unsecured, the status page is everyone's: there is nobody to tell apart.
        authorize(access, ANONYMOUS, unsecured)
        return
    # Unsecured, nobody is an admin of the live extension: not even a caller claiming it.
    with pytest.raises(FakeHTTPError) as unsecured_refusal:
        authorize(access, admin, unsecured)
    assert (unsecured_refusal.value.status, unsecured_refusal.value.message) == (
        403,
        "live extension requires a secured target",
    )


def test_bearer_challenge_follows_the_configured_token_type() -> None:
    state = ServerState(ServerConfig(security=replace(SECURITY, token_type="Jwt")))
    assert challenge_headers(state) == [
        ("WWW-Authenticate", 'Basic realm="fakeserver"'),
        ("WWW-Authenticate", 'Jwt realm="fakeserver"'),
    ]
    assert authenticate(request({"Authorization": "Jwt admin-token"}), state).name == "admin"
    assert refusal(state, {"Authorization": "Bearer admin-token"}) == (
        "unsupported authentication scheme"
    )


# -- bearer JWTs of the target's own issuer (SecurityConfig.oidc) -----------------------------


def _forged(server: FakeServer, **changes: object) -> str:
    """A token the issuer signed, then re-signed by a key the target has never seen."""
    import jwt

    good = server.issue_token("admin")
    body = {**jwt.decode(good, options={"verify_signature": False}), **changes}
    kid = jwt.get_unverified_header(good)["kid"]
    return jwt.encode(body, ec.generate_private_key(ec.SECP256R1()), "ES256", {"kid": kid})


def _unsigned(server: FakeServer) -> str:
    good = server.issue_token("admin")
    header = {"alg": "none", "typ": "JWT", "kid": jwt.get_unverified_header(good)["kid"]}
    encoded = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    return f"{encoded}.{good.split('.')[1]}."


def _tampered(server: FakeServer) -> str:
    head, body, signature = server.issue_token("user").split(".")
    # the same payload with one character changed: the signature no longer covers it
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    return f"{head}.{flipped}.{signature}"


BAD_JWTS: dict[str, Callable[[FakeServer], str]] = {
    "expired": lambda s: s.issue_token("admin", expires_in=-3600),
    "not_yet_valid": lambda s: s.issue_token("admin", claims={"nbf": 4_000_000_000}),
    "wrong_audience": lambda s: s.issue_token("admin", claims={"aud": "another-api"}),
    "wrong_issuer": lambda s: s.issue_token("admin", claims={"iss": "https://idp.invalid"}),
    "another_key": _forged,
    "alg_none": _unsigned,
    "tampered": _tampered,
}


@pytest.mark.parametrize("kind", list(BAD_JWTS))
def test_bad_jwts_are_401_invalid_token(oidc_server: FakeServer, kind: str) -> None:
    token = BAD_JWTS[kind](oidc_server)
    assert oidc_server.ca_path is not None
    with httpx.Client(verify=_context(oidc_server.ca_path)) as client:
        response = client.get(
            oidc_server.url + PIVOT_PATH + "/ping", headers={"Authorization": f"Bearer {token}"}
        )
    assert_error(response, 401, PIVOT_PATH + "/ping")
    assert response.json()["error"].startswith("invalid token: ")
    challenges = response.headers.get_list("WWW-Authenticate")
    assert 'Basic realm="fakeserver"' in challenges
    [bearer] = [c for c in challenges if c.startswith("Bearer ")]
    assert 'error="invalid_token"' in bearer and "error_description=" in bearer
    assert token not in response.text
    assert not token.split(".")[2] or token.split(".")[2] not in bearer


def _context(ca_path: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_path)


def test_a_valid_jwt_authenticates_and_opaque_tokens_still_work(oidc_server: FakeServer) -> None:
    assert oidc_server.ca_path is not None
    with httpx.Client(verify=_context(oidc_server.ca_path)) as client:
        session = oidc_server.url + "/atoti/rest/v1/session"
        for header, user in (
            (f"Bearer {oidc_server.issue_token('user')}", "user"),
            (f"bearer {oidc_server.issue_token('admin')}", "admin"),  # scheme in any case
            ("Bearer admin-token", "admin"),  # the configured opaque token
        ):
            response = client.get(session, headers={"Authorization": header})
            assert response.status_code == 200, response.text
            assert response.json()["user"]["name"] == user
        anonymous = client.get(session)
        assert 'Bearer realm="fakeserver"' in anonymous.headers.get_list("WWW-Authenticate")


def test_the_token_is_trusted_as_a_resource_server_trusts_it(oidc_server: FakeServer) -> None:
    # The roles are the token's, not the accounts' of now: a change shows in the next token.
    token = oidc_server.issue_token("user")
    oidc_server.state.update_individual_roles({"user": ["ROLE_USER", "ROLE_ADMIN"]})
    promoted = oidc_server.issue_token("user")
    oidc_server.state.update_credentials({"user": None})  # removed after its token was issued
    assert oidc_server.ca_path is not None
    with httpx.Client(verify=_context(oidc_server.ca_path)) as client:
        session = oidc_server.url + "/atoti/rest/v1/session"
        old = client.get(session, headers={"Authorization": f"Bearer {token}"}).json()
        new = client.get(session, headers={"Authorization": f"Bearer {promoted}"}).json()
    assert old["user"] == {"name": "user", "roles": ["ROLE_USER"]}
    assert new["user"] == {"name": "user", "roles": ["ROLE_ADMIN", "ROLE_USER"]}


def test_tokens_minted_for_unknown_users_need_roles(oidc_server: FakeServer) -> None:
    with pytest.raises(ValueError, match="no user named 'ghost'"):
        oidc_server.issue_token("ghost")
    token = oidc_server.issue_token("ghost", roles={"ROLE_USER"})
    request = Request(EnvironBuilder(headers=[("Authorization", f"Bearer {token}")]).get_environ())
    # in-process the issuer expected is the bound one, whatever the request's host
    assert authenticate(request, oidc_server.state) == Identity("ghost", frozenset({"ROLE_USER"}))


def test_jwts_are_not_accepted_without_an_issuer(secured_server: FakeServer) -> None:
    with FakeServer(ServerConfig(security=replace(SECURITY, oidc=None))) as plain:
        assert plain.state.issuer is None
    with FakeServer(ServerConfig(security=replace(SECURITY, oidc=OidcConfig()))) as issuer:
        token = issuer.issue_token("admin")
    response = httpx.get(
        secured_server.url + PIVOT_PATH + "/ping", headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(response, 401, PIVOT_PATH + "/ping")
    assert response.json()["error"] == "invalid token"  # an unknown opaque token, no more
