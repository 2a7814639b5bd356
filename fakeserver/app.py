"""The emulation as a WSGI application: match, authenticate, authorize, answer.

Every failure leaves through :func:`~fakeserver.errors.error_response`, so a client sees
the documented error shape whatever went wrong, and never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request, Response

from .errors import FakeHTTPError, error_response
from .faults import FaultInjector
from .host import HostIdentity, reported_host
from .routes import ROUTES, Context, url_map
from .security import ANONYMOUS, Access, authenticate, authorize
from .state import ServerState
from .status import Console
from .wsgi import USER_KEY, DropConnection

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["Emulation"]

_log = logging.getLogger("fakeserver")


class Emulation:
    """Answers requests as the configured target would."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        # Bound once: no rule depends on the host, and binding per request costs ~8 µs.
        self._routes = url_map().bind("fakeserver")
        self.faults = FaultInjector(state.config.faults, state.config.seed)
        #: What the status page reads of the running server; ``FakeServer`` sets it.
        self.console: Console | None = None

    @property
    def host(self) -> HostIdentity:
        return reported_host(self.state.config.host, self.state.config.seed)

    def handle(self, request: Request) -> Response:
        try:
            if self.faults.faults:
                self.faults.apply(request.method, request.path)
            return self._handle(request)
        except FakeHTTPError as error:
            return error_response(error.status, error.message, request.path, error.headers)
        except HTTPException as error:
            status = error.code or 500
            headers = (
                [("Allow", ", ".join(error.valid_methods))]
                if isinstance(error, MethodNotAllowed) and error.valid_methods
                else []
            )
            return error_response(status, error.name.lower(), request.path, headers)
        except DropConnection:
            raise  # the engine closes the connection without answering
        except Exception:
            _log.exception("unexpected error answering %s %s", request.method, request.path)
            return error_response(500, "internal error in the fake server", request.path)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Plain WSGI entry point, for in-process use (e.g. ``httpx.WSGITransport``)."""
        return self.handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        try:
            endpoint, arguments = self._routes.match(request.path, request.method)
        except NotFound:
            # A secured target asks who you are before it admits a path does not exist.
            authenticate(request, self.state)
            raise
        except MethodNotAllowed as error:
            authenticate(request, self.state)
            raise self._wrong_method(request.path, error.valid_methods or ()) from None
        route = ROUTES[str(endpoint)]
        if not route.exists(self.state.config, arguments):
            authenticate(request, self.state)
            raise NotFound()
        identity = authenticate(request, self.state) if route.access is not Access.PUBLIC else None
        if identity is not None and identity.name is not None:
            request.environ[USER_KEY] = identity.name  # for the request log
        if identity is not None:
            authorize(route.access, identity, self.state)
        context = Context(request, identity or ANONYMOUS, self.state, self.host, self.console)
        return route.view(context, **arguments)

    def _wrong_method(self, path: str, methods: Iterable[str]) -> HTTPException:
        """405 naming the methods this target has at ``path``; 404 when it has none.

        The URL map holds every route of every target: a route this config lacks (the live
        extension of an unexposed target, the status page turned off, an issuer elsewhere)
        must not show through as "allowed with another method".
        """
        config = self.state.config
        allowed = []
        for method in methods:
            try:
                endpoint, arguments = self._routes.match(path, method)
            except HTTPException:  # pragma: no cover - the map just allowed this method
                continue
            if ROUTES[str(endpoint)].exists(config, arguments):
                allowed.append(method)
        return MethodNotAllowed(valid_methods=allowed) if allowed else NotFound()
