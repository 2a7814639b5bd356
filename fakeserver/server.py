"""``FakeServer``: one fake target on a real socket, with pytest-httpserver's expectations on top.

It is a :class:`pytest_httpserver.HTTPServer`: its expectations are a layer over the
emulated target (:mod:`fakeserver.expectations`), and every request it answers is kept in
``log`` (:mod:`fakeserver.requestlog`). Only the engine differs from pytest-httpserver's:
:mod:`fakeserver.serving` keeps connections alive and stops without polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pytest_httpserver.httpserver import HTTPServerError
from werkzeug.wrappers import Request, Response

from . import requestlog
from .app import Emulation
from .config import ServerConfig
from .expectations import ExpectationError, ExpectationLayer, HandlerFailure, describe_matcher
from .faults import FaultInjector
from .oidc import Issuer
from .requestlog import request_log
from .serving import KeepAliveServer
from .state import ServerState
from .status import UNLOGGED_KEY, LoggedRequest
from .tls import ServerTls
from .wsgi import USER_KEY

if TYPE_CHECKING:
    import trustme

__all__ = ["ExpectationError", "FakeServer", "HandlerFailure", "describe_matcher", "request_log"]

# What the log keeps of each request in its environ, for the status page.
_ID_KEY = "fakeserver.request_id"
_RECEIVED_KEY = "fakeserver.received"
_MS_KEY = "fakeserver.ms"
# A restart asked for over HTTP waits this long at most for the requests in flight.
_RESTART_GRACE = 5.0


class FakeServer(ExpectationLayer):
    """A running fake Atoti target; use it as a context manager.

    ``certificate_authority`` (a ``trustme.CA``) signs the server certificate and is trusted
    for client certificates when TLS is configured; by default each server makes its own,
    and from ``start()`` on it is here to issue certificates of your own (expired, for
    another name) with trustme.
    ``server.log`` lists every ``(request, response)`` pair, expectations and emulation alike.
    """

    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        certificate_authority: trustme.CA | None = None,
        log_limit: int | None = None,
    ) -> None:
        super().__init__(host=host, port=port)
        #: Keep only the newest ``log_limit`` entries of ``log`` (None: all, as
        #: pytest-httpserver does) so a long-running server's memory stays flat.
        self.log_limit = log_limit
        self.config = config if config is not None else ServerConfig()
        self.state = ServerState(self.config)
        self.emulation = Emulation(self.state)
        self.certificate_authority = certificate_authority
        self._busy = threading.Condition()
        self._in_flight = 0
        self._logged = 0  # the id of the newest log entry
        # start/stop/restart one at a time: the status page restarts from another thread.
        self._lifecycle = threading.RLock()
        self._tls: ServerTls | None = None
        self._engine: KeepAliveServer | None = None
        self.emulation.console = _Console(self)

    def __repr__(self) -> str:
        where = self.url if self.is_running() else "stopped"
        return f"<FakeServer {where} {self.config.server_version}>"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        with self._lifecycle:
            self._start()

    def _start(self) -> None:
        if self.is_running():
            raise HTTPServerError("Server is already running")
        if self.config.tls is not None and self._tls is None:
            self._tls = ServerTls(
                self.config.tls, ca=self.certificate_authority, bind_host=self.host
            )
            # Public from now on: tests issue their own certificates with it (expired ones,
            # other names), and a later start() keeps the same CA.
            self.certificate_authority = self._tls.ca
            self.ssl_context = self._tls.context
        self.emulation.faults.reset()  # a stop() cut its delays short; start afresh
        try:
            self._start_engine()
        except BaseException:
            # A failed bind must not leave the CA and its key behind in the temp dir.
            if self._tls is not None:
                self._tls.close()
                self._tls = None
                self.ssl_context = None
            raise

    def _start_engine(self) -> None:
        self._engine = KeepAliveServer(
            Request.application(self.application),
            self.host,
            self.port,
            ssl_context=self.ssl_context,
            max_body_size=self.config.max_body_size,
            limits=self.config.limits,
        )
        self.port = self._engine.port
        if self.state.issuer is not None:
            self.state.issuer.bind(self.url)  # tokens name the URL the server listens on

    def stop(self) -> None:
        with self._lifecycle:
            self._stop()

    def _stop(self) -> None:
        if self._engine is None:
            raise HTTPServerError("Server is not running")
        self.emulation.faults.interrupt()  # a delayed answer must not hold the stop up
        self._engine.stop()
        self._engine = None
        if self._tls is not None:
            self._tls.close()
            self._tls = None
            self.ssl_context = None

    def is_running(self) -> bool:
        return self._engine is not None

    def reset(self) -> None:
        """Back to the configured baseline, with no expectations and an empty log; cheap."""
        self.clear()
        self.state.reset()
        self.emulation.faults.reset()

    def restart(self) -> None:
        """Stop and start again on the same URL, as the configured baseline.

        As with a real target, what connected sessions changed is lost; the CA and the
        client certificates already issued stay valid.
        """
        with self._lifecycle:
            self._restart()

    def _restart(self) -> None:
        if self._engine is None:  # stopped (its TLS files are gone): a plain start
            self.state.reset()
            self._start()
            return
        self.emulation.faults.interrupt()
        self._engine.stop()
        self._engine = None
        self.state.reset()
        self.emulation.faults.reset()
        self._start_engine()

    # -- where and how to reach it ---------------------------------------------------------

    @property
    def url(self) -> str:
        return self.url_for("/").rstrip("/")

    @property
    def certificate_names(self) -> tuple[str, ...]:
        """The names (SANs) of the server certificate; empty over plain HTTP."""
        return tuple(self._tls.server_names) if self._tls is not None else ()

    @property
    def ca_path(self) -> str | None:
        """Path of the PEM file of this server's CA (None over plain HTTP)."""
        return self._tls.ca_path if self._tls is not None else None

    def client_certificate(self, user: str) -> tuple[str, str]:
        """``(cert_path, key_path)`` for ``user``, issued by this server's CA."""
        if self._tls is None:
            raise HTTPServerError("client certificates need a running server with tls=TlsConfig()")
        return self._tls.issue_client_certificate(user)

    # -- the OAuth 2 issuer (SecurityConfig.oidc) -----------------------------------------

    @property
    def issuer_url(self) -> str | None:
        """``{url}{oidc.path}``: what ``issuer_url=`` of an OAuth 2 client is (None without
        an issuer, or before the server listens)."""
        issuer = self.state.issuer
        return issuer.bound_url if issuer is not None else None

    def _issuer(self, *, bound: bool) -> Issuer:
        issuer = self.state.issuer
        if issuer is None:
            raise HTTPServerError("no OAuth 2 issuer: configure SecurityConfig(oidc=OidcConfig())")
        if bound and issuer.bound_url is None:
            raise HTTPServerError("the issuer has no URL until the server is started")
        return issuer

    def issue_token(
        self,
        user: str,
        *,
        expires_in: int | None = None,
        roles: Iterable[str] | None = None,
        scopes: Sequence[str] = (),
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """An access token as the token endpoint would sign it, without the round trip.

        ``expires_in`` seconds from now (default: the configured lifetime; negative for an
        expired one — beyond ``clock_skew`` to be refused); ``roles`` default to the user's
        current ones; ``claims`` are set last, e.g. ``{"aud": "other"}`` for a token the
        target must refuse. Send it as ``Authorization: Bearer <token>``.
        """
        issuer = self._issuer(bound=True)
        if roles is None:
            with self.state.security_lock:
                account = self.state.accounts.get(user)
            if account is None:
                raise ValueError(f"no user named {user!r}: give roles= to mint a token anyway")
            roles = account.roles
        if expires_in is not None and (
            isinstance(expires_in, bool) or not isinstance(expires_in, int)
        ):
            raise ValueError("expires_in: must be whole seconds")
        return issuer.mint(
            issuer.url(self.url), user, roles, scopes=scopes, expires_in=expires_in, claims=claims
        )

    def rotate_signing_key(self, *, keep_previous: bool = False) -> str:
        """Sign with a new key from now on; returns its ``kid``.

        Tokens signed before are refused (401 ``invalid_token``) unless ``keep_previous``:
        then the previous key stays in the JWKS and valid until the next rotation.
        """
        return self._issuer(bound=False).rotate(keep_previous=keep_previous)

    @property
    def wsgi_app(self) -> Any:
        """The same answers in-process, for ``httpx.WSGITransport`` (no socket, no TLS)."""
        return Request.application(self.application)

    # -- the request log and the emulation beneath the expectations ------------------------

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being answered (e.g. a slow handler); False on timeout."""
        with self._busy:
            return self._busy.wait_for(lambda: self._in_flight == 0, timeout)

    def emulate(self, request: Request) -> Response:
        """What the emulated target answers to ``request``, ignoring every expectation.

        For handlers that alter the real answer, e.g. delay it::

            def slow(request):
                release.wait()
                return server.emulate(request)
        """
        return self.emulation.handle(request)

    def application(self, request: Request) -> Response:
        with self._busy:
            self._in_flight += 1
        try:
            return self._logged_application(request)
        finally:
            with self._busy:
                self._in_flight -= 1
                self._busy.notify_all()

    def _logged_application(self, request: Request) -> Response:
        # pytest-httpserver's application(), with the log kept here: each entry gets an id
        # in log order, and the status page's own polling stays out of it.
        environ = request.environ
        environ[_RECEIVED_KEY] = time.time()
        started = time.perf_counter()
        request.get_data()
        response = self.dispatch(request)
        elapsed = environ[_MS_KEY] = (time.perf_counter() - started) * 1000
        if environ.get(UNLOGGED_KEY):
            return response
        with self._busy:
            self._logged += 1
            environ[_ID_KEY] = self._logged
            self.log.append((request, response))
            excess = len(self.log) - self.log_limit if self.log_limit is not None else 0
            if excess > 0:
                del self.log[:excess]
        requestlog.write(request, response, environ.get(USER_KEY, "-"), elapsed)
        return response


class _Console:
    """What the status page needs from its server (:class:`fakeserver.status.Console`)."""

    def __init__(self, server: FakeServer) -> None:
        self._server = server

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def ca_path(self) -> str | None:
        return self._server.ca_path

    @property
    def bind_host(self) -> str:
        return self._server.host

    @property
    def faults(self) -> FaultInjector:
        return self._server.emulation.faults

    def requests(self) -> list[LoggedRequest]:
        return [
            LoggedRequest(
                id=request.environ.get(_ID_KEY, 0),
                time=request.environ.get(_RECEIVED_KEY, 0.0),
                method=request.method,
                path=request.path,
                user=request.environ.get(USER_KEY),
                status=response.status_code,
                ms=request.environ.get(_MS_KEY),
            )
            for request, response in list(self._server.log)
        ]

    def reset(self) -> None:
        self._server.state.reset()
        self._server.emulation.faults.reset()

    def restart_later(self) -> None:
        threading.Thread(target=self._restart, name="fakeserver-restart", daemon=True).start()

    def _restart(self) -> None:
        server = self._server
        # The request that asked is answered first: its engine is the one restarted.
        server.wait_idle(_RESTART_GRACE)
        time.sleep(0.1)  # its answer leaves the socket after the app returns
        with server._lifecycle:
            if server.is_running():  # not if it was stopped meanwhile
                server._restart()
