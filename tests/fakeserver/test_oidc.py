"""The issuer's keys and tokens (``fakeserver.oidc``): what it signs, what it accepts.

Forged tokens are made here with PyJWT and ``cryptography`` directly, as an attacker (or a
misconfigured identity provider) would make them: never by the code under test.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fakeserver import OidcConfig
from fakeserver.oidc import InvalidToken, Issuer, looks_like_jwt

ISSUER = "https://127.0.0.1:9999/oidc"
ROLES = {"ROLE_USER", "ROLE_ADMIN"}


@pytest.fixture(params=["ES256", "RS256"])
def issuer(request: pytest.FixtureRequest) -> Issuer:
    return Issuer(OidcConfig(algorithm=request.param))


def claims_of(token: str) -> dict[str, Any]:
    """The payload, read without verifying (as a test reads what was signed)."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def kid_of(issuer: Issuer) -> str:
    [key] = issuer.jwks()["keys"]
    kid: str = key["kid"]
    return kid


def test_a_minted_token_carries_every_claim_and_validates(issuer: Issuer) -> None:
    token = issuer.mint(ISSUER, "alice", ROLES, client_id="app", scopes=["openid", "x"])
    claims = claims_of(token)
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "fakeserver"
    assert claims["sub"] == "alice"
    assert claims["azp"] == "app"
    assert claims["scope"] == "openid x"
    assert claims["roles"] == ["ROLE_ADMIN", "ROLE_USER"]
    assert claims["iat"] == claims["nbf"] and claims["exp"] == claims["iat"] + 300
    assert abs(claims["iat"] - time.time()) < 3600  # a real clock, not a constant
    assert claims["jti"] != claims_of(issuer.mint(ISSUER, "alice", ROLES))["jti"]
    header = jwt.get_unverified_header(token)
    assert header == {"alg": issuer.config.algorithm, "kid": kid_of(issuer), "typ": "JWT"}
    assert issuer.validate(token, ISSUER) == ("alice", frozenset(ROLES))


def test_the_signature_verifies_with_the_published_jwk_alone(issuer: Issuer) -> None:
    # What any resource server does: fetch the JWKS, pick the key by kid, verify.
    token = issuer.mint(ISSUER, "alice", ROLES)
    [published] = issuer.jwks()["keys"]
    assert published["use"] == "sig" and published["alg"] == issuer.config.algorithm
    assert "d" not in published  # the public half only
    key = jwt.PyJWK(published)
    claims = jwt.decode(token, key, algorithms=[published["alg"]], audience="fakeserver")
    assert claims["sub"] == "alice"


def test_roles_can_live_in_a_nested_claim() -> None:
    issuer = Issuer(OidcConfig(roles_claim="realm_access.roles"))
    token = issuer.mint(ISSUER, "alice", {"ROLE_USER"})
    assert claims_of(token)["realm_access"] == {"roles": ["ROLE_USER"]}
    assert issuer.validate(token, ISSUER) == ("alice", frozenset({"ROLE_USER"}))


def test_a_token_without_roles_is_a_user_without_roles(issuer: Issuer) -> None:
    token = issuer.mint(ISSUER, "alice", ROLES, claims={"roles": None})
    assert issuer.validate(token, ISSUER) == ("alice", frozenset())


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "another-api"}, "another audience"),
        ({"iss": "https://idp.invalid/realms/x"}, "another issuer"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"roles": "ROLE_ADMIN"}, "'roles' claim is not a list"),
        ({"roles": [1, 2]}, "'roles' claim is not a list"),
        ({"sub": ""}, "subject is not a user name"),
        ({"sub": 7}, "malformed"),
    ],
)
def test_signed_tokens_with_wrong_claims_are_refused(
    issuer: Issuer, claims: dict[str, Any], reason: str
) -> None:
    token = issuer.mint(ISSUER, "alice", ROLES, claims=claims)
    with pytest.raises(InvalidToken, match=reason):
        issuer.validate(token, ISSUER)


def test_the_issuer_compared_is_the_one_the_target_expects(issuer: Issuer) -> None:
    token = issuer.mint(ISSUER, "alice", ROLES)
    with pytest.raises(InvalidToken, match="another issuer"):
        issuer.validate(token, "https://localhost:9999/oidc")


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "jti", "sub", "aud", "iss"])
def test_a_missing_claim_is_refused(issuer: Issuer, claim: str) -> None:
    token = issuer.mint(ISSUER, "alice", ROLES)
    body = claims_of(token)
    del body[claim]
    forged = jwt.encode(
        body,
        issuer._current().private,
        algorithm=issuer.config.algorithm,
        headers={"kid": kid_of(issuer)},
    )
    with pytest.raises(InvalidToken, match=f"no '{claim}' claim"):
        issuer.validate(forged, ISSUER)


def test_expiry_is_judged_with_the_clock_skew() -> None:
    issuer = Issuer(OidcConfig(clock_skew=30))
    inside = issuer.mint(ISSUER, "alice", ROLES, expires_in=-10)  # 10 s late: tolerated
    assert issuer.validate(inside, ISSUER)[0] == "alice"
    expired = issuer.mint(ISSUER, "alice", ROLES, expires_in=-60)
    with pytest.raises(InvalidToken, match="expired"):
        issuer.validate(expired, ISSUER)
    strict = Issuer(OidcConfig(clock_skew=0))
    with pytest.raises(InvalidToken, match="expired"):
        strict.validate(strict.mint(ISSUER, "alice", ROLES, expires_in=-10), ISSUER)


def test_a_token_signed_by_another_key_is_refused(issuer: Issuer) -> None:
    body = claims_of(issuer.mint(ISSUER, "alice", ROLES))
    other = ec.generate_private_key(ec.SECP256R1())
    unknown_kid = jwt.encode(body, other, algorithm="ES256", headers={"kid": "not-ours"})
    with pytest.raises(InvalidToken, match="key the issuer does not publish"):
        issuer.validate(unknown_kid, ISSUER)
    no_kid = jwt.encode(body, other, algorithm="ES256")
    with pytest.raises(InvalidToken, match="key the issuer does not publish"):
        issuer.validate(no_kid, ISSUER)
    # The attacker copies our kid: the signature then fails (or the algorithm, for RS256).
    stolen_kid = jwt.encode(body, other, algorithm="ES256", headers={"kid": kid_of(issuer)})
    with pytest.raises(InvalidToken, match=r"signature does not verify|algorithm"):
        issuer.validate(stolen_kid, ISSUER)


def test_alg_none_is_refused(issuer: Issuer) -> None:
    body = claims_of(issuer.mint(ISSUER, "alice", ROLES))
    header = {"alg": "none", "typ": "JWT", "kid": kid_of(issuer)}
    unsigned = f"{b64(header)}.{b64(body)}."
    with pytest.raises(InvalidToken, match="algorithm is not accepted"):
        issuer.validate(unsigned, ISSUER)


def test_hs256_keyed_with_the_public_key_is_refused(issuer: Issuer) -> None:
    # The classic algorithm confusion: the public key (PEM) used as an HMAC secret.
    import hashlib
    import hmac

    body = claims_of(issuer.mint(ISSUER, "alice", ROLES))
    header = {"alg": "HS256", "typ": "JWT", "kid": kid_of(issuer)}
    public_pem = (
        issuer._current()
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = f"{b64(header)}.{b64(body)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="algorithm is not accepted"):
        issuer.validate(forged, ISSUER)


def test_a_tampered_token_is_refused(issuer: Issuer) -> None:
    token = issuer.mint(ISSUER, "user", {"ROLE_USER"})
    header, _, signature = token.split(".")
    body = claims_of(token)
    body["roles"] = ["ROLE_USER", "ROLE_ADMIN"]  # promote oneself, keep the signature
    with pytest.raises(InvalidToken, match="signature does not verify"):
        issuer.validate(f"{header}.{b64(body)}.{signature}", ISSUER)


@pytest.mark.parametrize("garbage", ["a.b.c", "x", "e30.e30.", "...", "eyJhbGciOiJFUzI1NiJ9.%%.x"])
def test_garbage_is_malformed(issuer: Issuer, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        issuer.validate(garbage, ISSUER)


def test_rotation_retires_the_old_key_unless_kept(issuer: Issuer) -> None:
    old = issuer.mint(ISSUER, "alice", ROLES)
    first = kid_of(issuer)
    kept = issuer.rotate(keep_previous=True)
    assert [k["kid"] for k in issuer.jwks()["keys"]] == [kept, first]
    assert issuer.validate(old, ISSUER)[0] == "alice"  # the grace period
    new = issuer.mint(ISSUER, "alice", ROLES)
    assert jwt.get_unverified_header(new)["kid"] == kept
    latest = issuer.rotate()
    assert [k["kid"] for k in issuer.jwks()["keys"]] == [latest]
    for token in (old, new):
        with pytest.raises(InvalidToken, match="does not publish"):
            issuer.validate(token, ISSUER)


def test_keys_are_made_at_run_time_and_differ_between_issuers() -> None:
    one, two = Issuer(OidcConfig()), Issuer(OidcConfig())
    assert one.jwks() != two.jwks()
    token = one.mint(ISSUER, "alice", ROLES)
    with pytest.raises(InvalidToken):
        two.validate(token, ISSUER)


def test_the_issuer_url_is_bound_or_the_requests_origin() -> None:
    issuer = Issuer(OidcConfig(path="/realms/test"))
    assert issuer.url("http://fake/") == "http://fake/realms/test"
    issuer.bind("https://127.0.0.1:8443/")
    assert issuer.url("http://fake/") == "https://127.0.0.1:8443/realms/test"
    assert issuer.bound_url == "https://127.0.0.1:8443/realms/test"
    document = issuer.discovery(issuer.url("http://fake/"))
    assert document["token_endpoint"] == "https://127.0.0.1:8443/realms/test/token"
    assert document["jwks_uri"] == "https://127.0.0.1:8443/realms/test/jwks"
    assert document["grant_types_supported"] == ["password"]


def test_what_looks_like_a_jwt() -> None:
    issuer = Issuer(OidcConfig())
    assert looks_like_jwt(issuer.mint(ISSUER, "a", ROLES))
    for opaque in ("t0ken", "admin-token", "a.b.c", "abc.def.ghi", "e30", "bm90IGpzb24.e30.x"):
        assert not looks_like_jwt(opaque), opaque
