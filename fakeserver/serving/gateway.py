"""The WSGI side of the engine: a framed request in, the app's answer out as bytes.

Kept apart from the sockets so that what an app sees (the environ) and what a client gets
back (status, headers, body) can be read, and tested, without a connection.
"""

from __future__ import annotations

import io
import sys
from typing import Any
from urllib.parse import unquote_to_bytes

from ..wsgi import PEER_CERTIFICATE_KEY, DropConnection, WSGIApp
from .framing import Request, error_answer, splits

__all__ = ["Answer", "Gateway"]

#: Status, headers (the engine adds the framing ones) and body of one answer.
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class Gateway:
    """Calls ``app`` for each request of a server listening on ``host:port``."""

    def __init__(self, app: WSGIApp, host: str, port: int, *, https: bool) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.https = https

    def environ(self, request: Request, address: Any, peer_der: bytes | None) -> dict[str, Any]:
        body = request.body
        target = request.target.partition(b"#")[0]  # a fragment never reaches a server
        path, _, query = target.partition(b"?")
        if path[:8].lower().startswith((b"http://", b"https://")):  # absolute-form target
            path = b"/" + path.split(b"/", 3)[3] if path.count(b"/") >= 3 else b"/"
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method.decode("ascii"),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query.decode("latin-1"),
            "RAW_URI": target.decode("latin-1"),
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/" + request.http_version,
            "REMOTE_ADDR": address[0] if isinstance(address, tuple) else "",
            "REMOTE_PORT": str(address[1]) if isinstance(address, tuple) else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.https else "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            PEER_CERTIFICATE_KEY: peer_der,
        }
        for name, value in request.headers:
            text = value.decode("latin-1")
            if name == b"content-type":
                environ["CONTENT_TYPE"] = text
            elif name in (b"content-length", b"transfer-encoding"):
                continue  # the body is already whole: CONTENT_LENGTH below says how long
            else:
                key = "HTTP_" + name.decode("ascii").upper().replace("-", "_")
                environ[key] = f"{environ[key]},{text}" if key in environ else text
        environ["CONTENT_LENGTH"] = str(len(body))
        environ["wsgi.input_terminated"] = True
        return environ

    def call(self, request: Request, address: Any, peer_der: bytes | None) -> Answer:
        """The app's answer to ``request``; :class:`DropConnection` passes through."""
        captured: dict[str, Any] = {}
        head = request.method == b"HEAD"

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda data: None  # the legacy write() callable; nothing here uses it

        try:
            result = self.app(self.environ(request, address, peer_der), start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            status = captured["status"]
            if status < 200:
                raise ValueError(f"the app answered {status}, an interim status")
            # HEAD keeps the length GET would send (RFC 9110); everything else is measured.
            dropped = (
                ("transfer-encoding", "connection")
                if head
                else ("content-length", "transfer-encoding", "connection")
            )
            headers = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in captured["headers"]
                if k.lower() not in dropped
            ]
            if splits(headers):
                raise ValueError("a header name or value would break the response framing")
        except DropConnection:
            raise
        except Exception:
            # The app is meant to never raise; if it does, the client still gets the
            # documented error shape, and no traceback.
            headers, body = error_answer(500, "internal error in the fake server", request.path)
            return 500, headers, body
        if status not in (204, 304) and not head:
            headers.append((b"content-length", str(len(payload)).encode()))
        return status, headers, payload
