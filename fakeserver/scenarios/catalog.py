"""The catalog of scenarios: every condition cell for every authentication mode, plus the failures.

:func:`matrix` builds them from the rules (:mod:`.rules`); :func:`select` filters them.
Each authentication mode also fixes a transport: ``basic`` over plain HTTP, ``bearer`` over
HTTPS, ``certificate`` over HTTPS with client certificates (mTLS, ``optional``), ``oauth2``
over HTTPS with the target as its own OAuth 2 issuer (the password grant). Cells of an
unsecured target send no credentials when (b) is unmet, and the mode's admin credentials
when (b) is "met": the target ignores them and the client must still see ``admin=False``
(an unsecured target has no issuer: ``oauth2`` takes its token from a second, issuer-only
server then, as a deployment whose identity provider stands apart would).

A scenario runs through :mod:`.live`, the one module that drives the thin client; it is
loaded when a scenario is run, not when the catalog is built or listed.
"""

from __future__ import annotations

import atexit
import dataclasses
import itertools
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import trustme

from ..config import (
    DEFAULT_PYTHON_API_VERSION,
    DEFAULT_SERVER_VERSION,
    OidcConfig,
    SecurityConfig,
    ServerConfig,
    TlsConfig,
    User,
)
from ..keyfiles import write_file
from ..server import FakeServer
from ..tls import issue_client_files
from .rules import (
    AUTH_MODES,
    FAILURE,
    AuthMode,
    Cell,
    expected_capabilities,
    expected_conditions,
    expected_tier,
)

if TYPE_CHECKING:
    from .live import LiveScenario

__all__ = ["Credentials", "Scenario", "matrix", "select"]

CredentialKind = Literal["none", "basic", "bearer", "certificate", "oauth2"]

ADMIN = User("admin", "admin-pass", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
PLAIN = User("user", "user-pass", roles=frozenset({"ROLE_USER"}))
TOKENS = {"admin-token": "admin", "user-token": "user"}
SECURITY = SecurityConfig(users=(ADMIN, PLAIN), tokens=TOKENS)
CLIENT_ID = "scenario-client"
CLIENT_SECRET = "scenario-secret"
#: The ``oauth2`` mode's targets: the same users, and their own issuer.
OAUTH2_SECURITY = dataclasses.replace(SECURITY, oidc=OidcConfig(clients={CLIENT_ID: CLIENT_SECRET}))


@dataclass(frozen=True)
class Credentials:
    """Neutral credential data: map it onto whichever client you test.

    ``oauth2``: the password grant of ``user``/``password`` for client ``client_id``/
    ``client_secret`` at ``issuer_url`` (``{issuer_url}/.well-known/openid-configuration``).
    """

    kind: CredentialKind = "none"
    user: str | None = None
    # Out of reprs: they end up in test reports and CI logs, demo credentials or not.
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    cert_path: str | None = None
    key_path: str | None = None
    issuer_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Scenario:
    name: str
    auth: AuthMode
    config: ServerConfig
    credentials: Credentials
    expected_tier: str | None
    expected_capabilities: frozenset[str]
    cell: Cell | None = None
    expected_conditions: dict[str, bool | None] | None = None
    expected_error: Literal["authentication", "tls"] | None = None
    client_server_version: str = DEFAULT_SERVER_VERSION
    client_python_api_version: str = DEFAULT_PYTHON_API_VERSION
    foreign_client_certificate: bool = False
    foreign_server_ca: bool = False
    #: Present a token of the target's issuer that expired (beyond its clock skew).
    expired_token: bool = False
    description: str = field(default="", compare=False)

    @contextmanager
    def run(self) -> Iterator[LiveScenario]:
        """Start the scenario's server and hand out what a client needs to connect."""
        with FakeServer(self.config) as server:
            yield self.attach(server)

    def attach(self, server: FakeServer) -> LiveScenario:
        """Bind this scenario to a running server of its config (e.g. a reused one)."""
        # The runner imports the thin client: loaded here, when a scenario runs, so that
        # building, listing and selecting the catalog never does.
        from .live import LiveScenario

        credentials = self.credentials
        if credentials.kind == "certificate" and credentials.user is not None:
            if self.foreign_client_certificate:
                cert, key = _foreign().client_certificate(credentials.user)
            else:
                cert, key = server.client_certificate(credentials.user)
            credentials = Credentials(
                "certificate", user=credentials.user, cert_path=cert, key_path=key
            )
        if credentials.kind == "oauth2":
            issuer = server.issuer_url or _standalone_issuer().issuer_url
            credentials = dataclasses.replace(credentials, issuer_url=issuer)
        if self.expired_token and credentials.user is not None:
            oidc = OAUTH2_SECURITY.oidc
            skew = oidc.clock_skew if oidc is not None else 0
            token = server.issue_token(credentials.user, expires_in=-(skew + 60))
            credentials = Credentials("bearer", user=credentials.user, token=token)
        ca = _foreign().ca_path if self.foreign_server_ca else server.ca_path
        return LiveScenario(self, server, credentials, ca)


class _ForeignCA:
    """A CA no fake server trusts: for the untrusted-certificate and unknown-CA scenarios."""

    def __init__(self) -> None:
        self.ca = trustme.CA(organization_name="not-the-server")
        self.directory = Path(tempfile.mkdtemp(prefix="fakeserver-foreign-"))
        self.ca_path = str(self.directory / "foreign-ca.pem")
        write_file(self.ca_path, self.ca.cert_pem.bytes(), private=False)
        self._certificates: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        atexit.register(shutil.rmtree, self.directory, True)

    def client_certificate(self, user: str) -> tuple[str, str]:
        with self._lock:
            if user not in self._certificates:
                self._certificates[user] = issue_client_files(self.ca, user, self.directory)
            return self._certificates[user]


_FOREIGN: _ForeignCA | None = None
_FOREIGN_LOCK = threading.Lock()


def _foreign() -> _ForeignCA:
    global _FOREIGN
    with _FOREIGN_LOCK:
        if _FOREIGN is None:
            _FOREIGN = _ForeignCA()
        return _FOREIGN


_ISSUER: FakeServer | None = None


def _standalone_issuer() -> FakeServer:
    """An issuer-only server (plain HTTP), for ``oauth2`` cells whose target is unsecured."""
    global _ISSUER
    with _FOREIGN_LOCK:
        if _ISSUER is None:
            _ISSUER = FakeServer(ServerConfig(security=OAUTH2_SECURITY, exposed=False))
            _ISSUER.start()
            atexit.register(_ISSUER.stop)
        return _ISSUER


def _other_version(version: str) -> str:
    """A different, valid version: the last number bumped (6.1.2 -> 6.1.3)."""
    match = re.match(r"^(.*?)(\d+)(\D*)$", version)
    if match is None:  # pragma: no cover - config validation guarantees a number
        return version + ".1"
    head, number, tail = match.groups()
    return f"{head}{int(number) + 1}{tail}"


def _credentials(mode: AuthMode, user: User) -> Credentials:
    if mode == "basic":
        return Credentials("basic", user=user.name, password=user.password)
    if mode == "bearer":
        token = next(t for t, owner in TOKENS.items() if owner == user.name)
        return Credentials("bearer", user=user.name, token=token)
    if mode == "oauth2":  # issuer_url: the running server's, known at attach()
        return _oauth2(user.name, user.password)
    return Credentials("certificate", user=user.name)


def _oauth2(user: str, password: str, client_secret: str = CLIENT_SECRET) -> Credentials:
    return Credentials(
        "oauth2", user=user, password=password, client_id=CLIENT_ID, client_secret=client_secret
    )


def _tls(mode: AuthMode) -> TlsConfig | None:
    return {
        "basic": None,
        "bearer": TlsConfig(),
        "certificate": TlsConfig("optional"),
        "oauth2": TlsConfig(),
    }[mode]


def _security(mode: AuthMode) -> SecurityConfig:
    return OAUTH2_SECURITY if mode == "oauth2" else SECURITY


def _cell_name(mode: AuthMode, cell: Cell) -> str:
    if cell.secured:
        who = "admin" if cell.admin else "user"
    else:
        who = "unsecured-admin" if cell.admin else "unsecured-anonymous"
    parts = [
        mode,
        who,
        "same_api" if cell.same_python_api else "other_api",
        "local_host" if cell.same_host else "remote_host",
    ]
    if not cell.same_server_version:
        parts.append("other_server")
    if not cell.exposed:
        parts.append("not_exposed")
    return "-".join(parts)


def matrix(
    server_version: str = DEFAULT_SERVER_VERSION,
    python_api_version: str = DEFAULT_PYTHON_API_VERSION,
    *,
    seed: int = 0,
) -> list[Scenario]:
    """Every scenario: 64 cells x 4 authentication modes, then the connect failures.

    ``server_version``/``python_api_version`` are what the client expects; "other" cells
    run a target one patch release away.
    """
    base = ServerConfig(
        server_version=server_version, python_api_version=python_api_version, seed=seed
    )
    scenarios: list[Scenario] = []
    for mode in AUTH_MODES:
        for values in itertools.product((True, False), repeat=6):
            cell = Cell(*values)
            config = base.replace(
                security=_security(mode) if cell.secured else None,
                tls=_tls(mode),
                python_api_version=python_api_version
                if cell.same_python_api
                else _other_version(python_api_version),
                host="local" if cell.same_host else "remote",
                server_version=server_version
                if cell.same_server_version
                else _other_version(server_version),
                exposed=cell.exposed,
            )
            if cell.secured or cell.admin:
                credentials = _credentials(mode, ADMIN if cell.admin else PLAIN)
            else:
                credentials = Credentials()
            scenarios.append(
                Scenario(
                    name=_cell_name(mode, cell),
                    auth=mode,
                    config=config,
                    credentials=credentials,
                    expected_tier=expected_tier(cell),
                    expected_capabilities=expected_capabilities(cell),
                    cell=cell,
                    expected_conditions=expected_conditions(cell),
                    client_server_version=server_version,
                    client_python_api_version=python_api_version,
                )
            )
    scenarios.extend(_failures(base))
    return scenarios


def _failures(base: ServerConfig) -> list[Scenario]:
    """The connect failures; ``base`` carries the versions the client expects."""

    def failure(
        name: str,
        mode: AuthMode,
        credentials: Credentials,
        error: Literal["authentication", "tls"],
        description: str,
        *,
        tls: TlsConfig | None = None,  # None: the mode's own transport
        foreign_client_certificate: bool = False,
        foreign_server_ca: bool = False,
        expired_token: bool = False,
    ) -> Scenario:
        return Scenario(
            name=name,
            auth=mode,
            config=base.replace(security=_security(mode), tls=tls or _tls(mode)),
            credentials=credentials,
            expected_tier=None,
            expected_capabilities=frozenset(),
            expected_error=error,
            description=description,
            client_server_version=base.server_version,
            client_python_api_version=base.python_api_version,
            foreign_client_certificate=foreign_client_certificate,
            foreign_server_ca=foreign_server_ca,
            expired_token=expired_token,
        )

    return [
        failure(
            "basic-no_credentials",
            "basic",
            Credentials(),
            "authentication",
            "secured target, no credentials",
        ),
        failure(
            "basic-wrong_password",
            "basic",
            Credentials("basic", "admin", "not-the-password"),
            "authentication",
            "a known user with the wrong password",
        ),
        failure(
            "basic-unknown_user",
            "basic",
            Credentials("basic", "nobody", "admin-pass"),
            "authentication",
            "a user the target does not know",
        ),
        failure(
            "bearer-no_credentials",
            "bearer",
            Credentials(),
            "authentication",
            "secured HTTPS target, no credentials",
        ),
        failure(
            "bearer-unknown_token",
            "bearer",
            Credentials("bearer", token="not-a-token"),
            "authentication",
            "a token the target does not know",
        ),
        failure(
            "certificate-untrusted_client_certificate",
            "certificate",
            Credentials("certificate", user="admin"),
            "tls",
            "a client certificate from a CA the target does not trust",
            foreign_client_certificate=True,
        ),
        failure(
            "certificate-required_no_certificate",
            "certificate",
            Credentials(),
            "tls",
            "the target requires a client certificate and none is presented",
            tls=TlsConfig("required"),
        ),
        failure(
            "certificate-unknown_user",
            "certificate",
            Credentials("certificate", user="nobody"),
            "authentication",
            "a trusted client certificate naming a user the target does not know",
        ),
        failure(
            "bearer-unknown_ca",
            "bearer",
            Credentials("bearer", user="admin", token="admin-token"),
            "tls",
            "the client trusts another CA than the target's",
            foreign_server_ca=True,
        ),
        failure(
            "certificate-unknown_ca",
            "certificate",
            Credentials("certificate", user="admin"),
            "tls",
            "the client trusts another CA than the target's",
            foreign_server_ca=True,
        ),
        failure(
            "oauth2-wrong_password",
            "oauth2",
            _oauth2("admin", "not-the-password"),
            "authentication",
            "the token endpoint refuses the password grant (invalid_grant)",
        ),
        failure(
            "oauth2-wrong_client_secret",
            "oauth2",
            _oauth2("admin", "admin-pass", client_secret="not-the-secret"),
            "authentication",
            "the token endpoint refuses the client (invalid_client)",
        ),
        failure(
            "oauth2-expired_token",
            "oauth2",
            _oauth2("admin", "admin-pass"),
            "authentication",
            "a token of the target's issuer, expired beyond the clock skew",
            expired_token=True,
        ),
        failure(
            "oauth2-unknown_ca",
            "oauth2",
            _oauth2("admin", "admin-pass"),
            "tls",
            "the client trusts another CA than the issuer's and the target's",
            foreign_server_ca=True,
        ),
    ]


def select(
    scenarios: Sequence[Scenario],
    *,
    tiers: Sequence[str] | None = None,
    auth: Sequence[str] | None = None,
) -> list[Scenario]:
    """Filter by expected tier (``None``/:data:`FAILURE` for connect failures) and auth mode."""
    wanted_tiers = None if tiers is None else {(FAILURE if t is None else t) for t in tiers}
    return [
        s
        for s in scenarios
        if (wanted_tiers is None or (s.expected_tier or FAILURE) in wanted_tiers)
        and (auth is None or s.auth in auth)
    ]
