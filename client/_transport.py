"""One target's HTTP: an httpx client built once per session, and :meth:`Transport.send`,
which turns every httpx failure into a typed :class:`ClientError`.

The httpx transport is a seam: a real socket by default, or any ``httpx`` transport (e.g.
``httpx.WSGITransport`` over the fake's WSGI app) to run the same client in-process.
Everything here is per request or cached per process: a connect must stay cheap, the
scenario matrix makes hundreds of them.
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Mapping
from http.cookiejar import CookieJar
from typing import Any

import httpx

from ._auth import Authentication, ClientCertificate, authorization_header
from ._errors import (
    AuthenticationError,
    ClientError,
    ConnectFailedError,
    ForbiddenError,
    ProtocolError,
    ServerError,
    TimeoutError,
    TlsError,
)

__all__ = ["Transport"]


def _file_key(path: str | None) -> tuple[str, int, int] | None:
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError as error:
        raise ClientError(f"cannot read {path!r}: {error.strerror}") from None
    return (os.path.abspath(path), stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=64)
def _cached_context(
    ca: tuple[str, int, int] | None,
    cert: tuple[str, int, int] | None,
    key: tuple[str, int, int] | None,
) -> ssl.SSLContext:
    # Building a context (and loading certifi) costs milliseconds: share one per set of files.
    context = ssl.create_default_context(cafile=ca[0] if ca else None)
    if cert is not None:
        context.load_cert_chain(cert[0], key[0] if key else None)
    return context


@functools.lru_cache(maxsize=1024)
def _absolute_url(url: str) -> httpx.URL:
    """Parsed once per process: httpx's URL parsing costs ~40 µs a request otherwise."""
    return httpx.URL(url)


@functools.lru_cache(maxsize=1)
def _unused_context() -> ssl.SSLContext:
    # httpx builds a context per client unless given one (~0.1 ms); plain HTTP needs none.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def _ssl_context(
    certificate_authority: str | None, authentication: Authentication | None
) -> ssl.SSLContext:
    cert = key = None
    if isinstance(authentication, ClientCertificate):
        cert, key = authentication.certificate, authentication.keyfile
    try:
        return _cached_context(_file_key(certificate_authority), _file_key(cert), _file_key(key))
    except ssl.SSLError as error:
        raise TlsError(f"cannot load the TLS files given: {error.reason or error}") from None


def _error_message(response: httpx.Response) -> tuple[str, str]:
    """(message, path) from the documented error body, or the raw text."""
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        message = body["error"]
        description = body.get("error_description")  # an OAuth 2 error (RFC 6749 §5.2)
        if isinstance(description, str) and description:
            message = f"{message}: {description}"
        return message, str(body.get("path", response.request.url.path))
    text = response.text.strip()[:200] or response.reason_phrase
    return text, response.request.url.path


class _NoCookies(CookieJar):
    """Atoti's client strips cookies, and so does this one (SPEC §4.3): credentials go with
    every request instead. Parsing Set-Cookie on every answer would also cost ~0.1 ms."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


class Transport:
    """The HTTP side of one session: where it goes, with which credentials, and how it fails.

    ``url`` is checked here (http or https, no query, no fragment) so that nothing is sent
    to a URL the session would misread. Credentials go pre-emptively with every request.
    """

    url: str
    _answered = False  # any answer yet: tells a refused handshake from a dropped request

    def __init__(
        self,
        url: str,
        *,
        authentication: Authentication | None,
        certificate_authority: str | None,
        timeout: float,
        transport: httpx.BaseTransport | None,
        trust_env: bool,
    ) -> None:
        self.url = url.rstrip("/")
        parsed = httpx.URL(self.url)
        if parsed.query or parsed.fragment or parsed.scheme not in ("http", "https"):
            raise ClientError(f"{url!r} is not an http(s) URL without query or fragment")
        self._https = parsed.scheme == "https"  # httpx lower-cases the scheme
        headers = {"Accept": "application/json"}
        header = authorization_header(authentication)
        if header is not None:
            headers["Authorization"] = header
        options: dict[str, Any] = {}
        if transport is not None:
            options["transport"] = transport
        elif self._https:
            options["verify"] = _ssl_context(certificate_authority, authentication)
        else:
            options["verify"] = _unused_context()  # plain HTTP: share one, never build one
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            follow_redirects=False,
            cookies=_NoCookies(),
            # By default test traffic goes where the URL says: an ambient HTTP_PROXY or .netrc
            # must not reroute or re-authenticate it (and reading them costs every connect).
            # trust_env=True reaches a remote target behind a proxy.
            trust_env=trust_env,
            **options,
        )

    def send(
        self, method: str, path: str, *, protocol_step: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One request; every failure becomes a typed ClientError, never an httpx one.

        ``protocol_step``: a 404 means the target is not an Atoti server (a handshake path),
        rather than a missing resource.
        """
        try:
            response = self._http.request(method, _absolute_url(self.url + path), **kwargs)
        except httpx.TimeoutException:
            limit = self._http.timeout.read
            raise TimeoutError(
                f"{method} {self.url}{path} got no answer within {limit} s (timeout=)"
            ) from None
        except httpx.TransportError as error:
            raise self._transport_error(error, method, path) from None
        self._answered = True
        if response.is_success:
            return response
        message, where = _error_message(response)
        if response.status_code == 401:
            raise AuthenticationError(401, message, where)
        if response.status_code == 403:
            raise ForbiddenError(403, message, where)
        if protocol_step and response.status_code == 404:
            raise ProtocolError(f"{path} not found on {self.url}: not an Atoti server?")
        raise ServerError(response.status_code, message, where)

    def _transport_error(self, error: httpx.TransportError, method: str, path: str) -> ClientError:
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, ssl.SSLError):
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, ssl.SSLCertVerificationError):
            return TlsError(
                f"cannot verify the TLS certificate of {self.url} ({cause.verify_message}): "
                "pass the CA file of the target as certificate_authority="
            )
        if isinstance(cause, ssl.SSLError):
            hint = (
                "; the target may require a client certificate it trusts "
                "(authentication=ClientCertificate(...))"
            )
            return TlsError(f"TLS with {self.url} failed ({cause.reason or cause}){hint}")
        closed = isinstance(error, httpx.RemoteProtocolError | httpx.ReadError)
        if closed and self._https and not self._answered:
            # TLS 1.3 reports a refused client certificate only at the first read.
            return TlsError(
                f"{self.url} closed the TLS connection before any answer: "
                "it may have refused the client certificate"
            )
        if closed:
            return ConnectFailedError(
                f"{self.url} closed the connection without answering {method} {path}"
            )
        return ConnectFailedError(f"cannot reach {self.url}{path}: {error or type(error).__name__}")

    def close(self) -> None:
        self._http.close()
