"""``FakeServer``: one fake target on a real socket, with pytest-httpserver's expectations on top.

It is a :class:`pytest_httpserver.HTTPServer`, so everything that library offers —
``expect_request``, ``expect_oneshot_request``, ``expect_ordered_request``, ``respond_with_*``,
``log``, ``check_assertions`` — works as documented there; a request that no expectation
matches falls through to the emulation of the target instead of failing. Only the engine
differs: :mod:`fakeserver.serving` keeps connections alive and stops without polling.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pytest_httpserver import HTTPServer
from pytest_httpserver.httpserver import HTTPServerError
from werkzeug.wrappers import Request, Response

from .app import USER_KEY, Emulation
from .config import ServerConfig
from .serving import KeepAliveServer
from .state import ServerState
from .tls import ServerTls

__all__ = ["FakeServer", "request_log"]

#: One INFO record per request: method, path, user, status, milliseconds.
request_log = logging.getLogger("fakeserver.requests")


class FakeServer(HTTPServer):
    """A running fake Atoti target; use it as a context manager."""

    def __init__(
        self, config: ServerConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(host=host, port=port, threaded=True)
        self.config = config if config is not None else ServerConfig()
        self.state = ServerState(self.config)
        self.emulation = Emulation(self.state)
        self._tls: ServerTls | None = None
        self._engine: KeepAliveServer | None = None

    def __repr__(self) -> str:
        where = self.url if self.is_running() else "stopped"
        return f"<FakeServer {where} {self.config.server_version}>"

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self.is_running():
            raise HTTPServerError("Server is already running")
        if self.config.tls is not None and self._tls is None:
            self._tls = ServerTls(self.config.tls)
            self.ssl_context = self._tls.context
        self._start_engine()

    def _start_engine(self) -> None:
        self._engine = KeepAliveServer(
            Request.application(self.application),  # type: ignore[arg-type]
            self.host,
            self.port,
            ssl_context=self.ssl_context,
            max_body_size=self.config.max_body_size,
        )
        self.port = self._engine.port

    def stop(self) -> None:
        if self._engine is None:
            raise HTTPServerError("Server is not running")
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

    def restart(self) -> None:
        """Stop and start again on the same URL, as the configured baseline.

        As with a real target, what connected sessions changed is lost; the CA and the
        client certificates already issued stay valid.
        """
        if self._engine is not None:
            self._engine.stop()
            self._engine = None
        self.state.reset()
        self._start_engine()

    # -- where and how to reach it ---------------------------------------------------------

    @property
    def url(self) -> str:
        return self.url_for("/").rstrip("/")

    @property
    def ca_path(self) -> str | None:
        """Path of the PEM file of this server's CA (None over plain HTTP)."""
        return self._tls.ca_path if self._tls is not None else None

    def client_certificate(self, user: str) -> tuple[str, str]:
        """``(cert_path, key_path)`` for ``user``, issued by this server's CA."""
        if self._tls is None:
            raise HTTPServerError("client certificates need a running server with tls=TlsConfig()")
        return self._tls.issue_client_certificate(user)

    @property
    def wsgi_app(self) -> Any:
        """The same answers in-process, for ``httpx.WSGITransport`` (no socket, no TLS)."""
        return Request.application(self.application)

    # -- pytest-httpserver seam ------------------------------------------------------------

    def application(self, request: Request) -> Response:
        if not request_log.isEnabledFor(logging.INFO):
            return super().application(request)
        started = time.perf_counter()
        response = super().application(request)
        request_log.info(
            "%s %s user=%s status=%d %.1fms",
            request.method,
            request.path,
            request.environ.get(USER_KEY, "-"),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response

    def respond_nohandler(self, request: Request, extra_message: str = "") -> Response:
        # No expectation matched: the emulated target answers.
        return self.emulation.handle(request)
