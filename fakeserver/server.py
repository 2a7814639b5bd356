"""``FakeServer``: one fake target on a real socket, with pytest-httpserver's expectations on top.

It is a :class:`pytest_httpserver.HTTPServer`, so everything that library offers —
``expect_request``, ``expect_oneshot_request``, ``expect_ordered_request``, ``respond_with_*``,
``log``, ``assert_request_made``, ``wait`` — works as documented there, with one difference:
expectations are a layer over the emulated target, not the whole server. A request that no
expectation matches — including one that arrives while ordered expectations are still
pending — is answered by the emulation instead of failing the server for good.

What goes wrong in that layer (a handler that raises, an ordered or oneshot expectation
never requested, ordered expectations requested out of order) is collected and reported by
:meth:`FakeServer.check_expectations`, which the pytest fixtures call at teardown. The
client only ever sees the documented JSON error shape, never a traceback.

Only the engine differs from pytest-httpserver's: :mod:`fakeserver.serving` keeps
connections alive and stops without polling.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pytest_httpserver import METHOD_ALL, HTTPServer, RequestHandler, RequestMatcher
from pytest_httpserver import httpserver as httpserver_module
from pytest_httpserver.httpserver import UNDEFINED, HTTPServerError, NoHandlerError
from werkzeug.wrappers import Request, Response

from .app import Emulation
from .config import ServerConfig
from .errors import error_response
from .faults import FaultInjector
from .oidc import Issuer
from .serving import KeepAliveServer
from .state import ServerState
from .status import UNLOGGED_KEY, LoggedRequest
from .tls import ServerTls
from .wsgi import USER_KEY, DropConnection

if TYPE_CHECKING:
    import trustme

__all__ = ["ExpectationError", "FakeServer", "HandlerFailure", "describe_matcher", "request_log"]

#: One INFO record per request: method, path, user, status, milliseconds.
request_log = logging.getLogger("fakeserver.requests")

# How many of the most recent requests a failure report lists.
_LOG_LINES = 20
# What the log keeps of each request in its environ, for the status page.
_ID_KEY = "fakeserver.request_id"
_RECEIVED_KEY = "fakeserver.received"
_MS_KEY = "fakeserver.ms"
# A restart asked for over HTTP waits this long at most for the requests in flight.
_RESTART_GRACE = 5.0
# Frames of these files are noise in a handler's traceback.
_LAYER_FILES = frozenset({__file__, httpserver_module.__file__})


class ExpectationError(AssertionError):
    """What :meth:`FakeServer.check_expectations` raises: every problem, readably."""


@dataclass(frozen=True)
class HandlerFailure:
    """A ``respond_with_handler`` function that raised while answering a request."""

    expectation: str
    request: str
    error: BaseException
    traceback: str

    def describe(self) -> str:
        message = str(self.error)
        error = type(self.error).__name__ + (f": {message}" if message else "")
        return (
            f"the handler of expectation {self.expectation} raised {error}\n"
            f"while answering {self.request}:\n{self.traceback.rstrip()}"
        )


def describe_matcher(matcher: RequestMatcher) -> str:
    """``GET /path`` plus whatever else the matcher requires, for humans."""
    method = "any method" if matcher.method == METHOD_ALL else matcher.method
    uri = matcher.uri
    where = f"re:{uri.pattern}" if isinstance(uri, re.Pattern) else str(uri) or "any path"
    parts = [f"{method} {where}"]
    if matcher.query_string is not None:
        parts.append(f"query_string={matcher.query_string!r}")
    if matcher.headers:
        parts.append(f"headers={dict(matcher.headers)!r}")
    if matcher.data is not None:
        parts.append(f"data={matcher.data!r}")
    if matcher.json is not UNDEFINED:
        parts.append(f"json={matcher.json!r}")
    return " ".join(parts)


def _describe_request(request: Request) -> str:
    query = request.query_string.decode("latin-1")
    return _loggable(f"{request.method} {request.path}" + (f"?{query}" if query else ""))


def _loggable(text: str) -> str:
    """``text`` on one line: control characters (and the backslash) escaped as ``repr`` does.

    Paths and user names come from clients: a ``%0A`` in a path must not start a forged
    line in the request log, nor an escape sequence repaint a terminal.
    """
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(c if c.isprintable() and c != "\\" else repr(c)[1:-1] for c in text)


def _user_traceback(error: BaseException) -> str:
    """The traceback of a handler's error without the frames of this layer."""
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename not in _LAYER_FILES
    ]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return "".join(lines + traceback.format_exception_only(type(error), error))


class FakeServer(HTTPServer):
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
        self.handler_failures: list[HandlerFailure] = []
        self._ordered_served = 0
        # Claiming a oneshot/ordered expectation must be atomic: requests arrive on many
        # threads. Handlers run outside the lock so a slow one does not stall the others.
        self._claim_lock = threading.Lock()
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

    def clear(self) -> None:
        """pytest-httpserver's ``clear()``: expectations, log and collected problems."""
        with self._claim_lock:
            super().clear()
            self.handler_failures = []
            self._ordered_served = 0

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

    # -- expectations over the emulation ---------------------------------------------------

    def expectation_problems(self) -> list[str]:
        """Everything wrong so far, one readable paragraph each; empty when all is well.

        Counts: handler errors, assertions (e.g. ordered expectations hit out of order, or a
        handler's ``AssertionError``), and ordered/oneshot expectations never requested.
        Permanent expectations (``expect_request``) may go unused.
        """
        with self._claim_lock:
            problems = [failure.describe() for failure in self.handler_failures]
            problems += [str(assertion) for assertion in self.assertions]
            first = self._ordered_served + 1
            problems += [
                f"ordered expectation #{first + index} was never requested: "
                f"{describe_matcher(handler.matcher)}"
                for index, handler in enumerate(self.ordered_handlers)
            ]
            problems += [
                f"oneshot expectation was never requested: {describe_matcher(handler.matcher)}"
                for handler in self.oneshot_handlers
            ]
        return problems

    def check_expectations(self) -> None:
        """Raise :class:`ExpectationError` listing every problem, with the recent requests.

        Unlike pytest-httpserver's ``check()``, nothing is consumed: calling it twice
        reports the same problems. ``reset()`` or ``clear()`` forgets them.
        """
        problems = self.expectation_problems()
        if not problems:
            return
        where = self.url if self.is_running() else "(stopped)"
        lines = [f"FakeServer {where}: {len(problems)} problem(s) with its expectations"]
        for number, problem in enumerate(problems, 1):
            first, *rest = problem.splitlines()
            lines.append(f"  {number}. {first}")
            lines.extend(f"     {line}" for line in rest)
        log = list(self.log)
        shown = log[-_LOG_LINES:]
        if not log:
            lines.append("Requests received: none")
        elif len(log) > len(shown):
            lines.append(f"Requests received ({len(log)}, last {len(shown)} shown):")
        else:
            lines.append(f"Requests received ({len(log)}):")
        lines.extend(f"  {_describe_request(rq)} -> {rs.status_code}" for rq, rs in shown)
        raise ExpectationError("\n".join(lines))

    def assert_requested(
        self, uri: Any, method: str = METHOD_ALL, *, count: int = 1, **matcher_fields: Any
    ) -> None:
        """``assert_request_made`` without building a matcher: ``uri`` is matched as in
        ``expect_request`` (path, ``re.compile(...)`` or URIPattern); ``count=0`` asserts none."""
        matcher = self.create_matcher(uri, method=method.upper(), **matcher_fields)
        self.assert_request_made(matcher, count=count)

    # -- pytest-httpserver seam ------------------------------------------------------------

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
        if request_log.isEnabledFor(logging.INFO):
            request_log.info(
                "%s %s user=%s status=%d %.1fms",
                _loggable(request.method),
                _loggable(request.path),
                _loggable(str(environ.get(USER_KEY, "-"))),
                response.status_code,
                elapsed,
            )
        return response

    def dispatch(self, request: Request) -> Response:
        """Expectations first (ordered, oneshot, permanent), then the emulation.

        pytest-httpserver fails every later request once a request misses the next ordered
        expectation; here such a request is simply answered by the emulation (a client talks
        to the whole target, not only to the routes a test overrides), and an ordered
        expectation that is never reached is reported by :meth:`check_expectations`.
        """
        if self._readiness_check_pending:  # pragma: no cover - start() never asks for one
            self._readiness_check_pending = False
            return Response("OK")
        if self.permanently_failed:  # only if a test sets it, as pytest-httpserver allows
            return self.respond_permanent_failure()
        handler = self._claim(request)
        if handler is None:
            return self.respond_nohandler(request)
        return self._respond(handler, request)

    def _claim(self, request: Request) -> RequestHandler | None:
        with self._claim_lock:
            if self.ordered_handlers:
                first = self.ordered_handlers[0]
                if first.matcher.match(request):
                    self.ordered_handlers.pop(0)
                    self._ordered_served += 1
                    self._update_waiting_result()
                    return first
                self._note_out_of_order(request)
            handler = self.oneshot_handlers.match(request)
            if handler is not None:
                self.oneshot_handlers.remove(handler)
                self._update_waiting_result()
                return handler
            return self.handlers.match(request)

    def _note_out_of_order(self, request: Request) -> None:
        for index, later in enumerate(self.ordered_handlers[1:], 1):
            if later.matcher.match(request):
                first = self._ordered_served + 1
                self.add_assertion(
                    f"{_describe_request(request)} matched ordered expectation "
                    f"#{first + index} ({describe_matcher(later.matcher)}) while #{first} "
                    f"({describe_matcher(self.ordered_handlers[0].matcher)}) was still waiting; "
                    "it was not consumed and the emulation answered it"
                )
                return

    def _respond(self, handler: RequestHandler, request: Request) -> Response:
        expectation = describe_matcher(handler.matcher)
        try:
            response: Any = handler.respond(request)
        except DropConnection:
            raise  # an injected fault reached through emulate(): the engine closes the socket
        except NoHandlerError:
            self.add_assertion(
                f"expectation {expectation} matched {_describe_request(request)} but has no "
                "response: call respond_with_json/data/response/handler on it"
            )
            return self._handler_error(request, "expectation without a response")
        except AssertionError as error:
            self.add_assertion(error)
            return self._handler_error(request, "expectation handler failed an assertion")
        except Exception as error:
            self.handler_errors.append(error)
            where = _describe_request(request)
            failure = HandlerFailure(expectation, where, error, _user_traceback(error))
            self.handler_failures.append(failure)
            raised = f"expectation handler raised {type(error).__name__}"
            return self._handler_error(request, raised)
        if response is None:
            return Response("")
        if isinstance(response, str):
            return Response(response)
        if not isinstance(response, Response):
            self.add_assertion(
                f"the handler of expectation {expectation} returned {type(response).__name__}, "
                "not a werkzeug Response, a str or None"
            )
            return self._handler_error(request, "expectation handler returned no response")
        return response

    def _handler_error(self, request: Request, message: str) -> Response:
        # The documented error shape, never a traceback; details wait for the teardown check.
        return error_response(500, f"{message} (see the test's teardown report)", request.path)

    def respond_nohandler(self, request: Request, extra_message: str = "") -> Response:
        # No expectation matched: the emulated target answers.
        return self.emulate(request)


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
