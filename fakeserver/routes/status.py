"""The status page (``/_fakeserver/``): the page, its assets, its JSON and its actions.

Only when ``ServerConfig(status_page=True)`` (``fakeserver serve`` turns it on); off, every
path here is unknown. When the target is secured everything needs ``ROLE_ADMIN`` (the route
table's ``Access.OPERATOR``). The data comes from :mod:`fakeserver.status`; this module adds
what HTTP needs:

- the page answers only under the server's own address (a DNS-rebinding page cannot read
  it), with a content security policy that allows nothing from elsewhere and no framing;
- every state-changing action is a POST refused when it comes from another origin: a
  ``Sec-Fetch-Site`` other than ``same-origin``, or an ``Origin`` that is not this server's.
  A request with neither header is not from a browser page (curl, httpx) and passes;
- the page's own reads are left out of the request log, which it polls.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from ..errors import FakeHTTPError
from ..status import (
    DEFAULT_REQUESTS,
    MAX_REQUESTS,
    UNLOGGED_KEY,
    ClientVersions,
    Console,
    own_host_names,
    request_log,
    snapshot,
    status_filter,
)
from .base import Context, json_response

__all__ = [
    "status_asset",
    "status_fault",
    "status_page",
    "status_requests",
    "status_reset",
    "status_restart",
    "status_summary",
]

#: The files of ``fakeserver/status_page/`` the page loads, and their types.
_ASSETS = {
    "status.js": "text/javascript; charset=utf-8",
    "status.css": "text/css; charset=utf-8",
}
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Nothing from elsewhere, no inline script, no framing: the page works offline and an
    # injected tag could not run even if rendering failed to escape it.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
}
# Sec-Fetch-Site values of a request the page itself (or the user, typing) sent.
_OWN_SITES = frozenset({"same-origin", "none"})
_NUMBER = re.compile(r"^[0-9]{1,18}$")
_VERSION_CHARS = 64


def _secured(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers[name] = value
    return response


@functools.cache
def _file(name: str) -> bytes:
    return (resources.files("fakeserver") / "status_page" / name).read_bytes()


def _check_host(ctx: Context) -> None:
    names = own_host_names(ctx.console.bind_host if ctx.console is not None else "127.0.0.1")
    host = urlsplit("//" + ctx.request.host).hostname or ""
    if names is not None and host not in names:
        raise FakeHTTPError(
            403, "the status page answers only under this server's own address (Host header)"
        )


def _check_origin(request: Request) -> None:
    """Refuse a request another origin's page sent (CSRF)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.strip().lower() not in _OWN_SITES:
        raise FakeHTTPError(403, "cross-origin request refused: use the status page itself")
    origin = request.headers.get("Origin")
    if (
        origin is not None
        and origin.strip().rstrip("/").lower() != request.host_url.rstrip("/").lower()
    ):
        raise FakeHTTPError(403, "cross-origin request refused: use the status page itself")


def _read(ctx: Context, *, navigation: bool = False) -> None:
    """What every read checks; a page load may come from a link elsewhere, nothing else may."""
    _check_host(ctx)
    if not navigation:
        _check_origin(ctx.request)
    ctx.request.environ[UNLOGGED_KEY] = True


def _act(ctx: Context) -> Console:
    """What every action checks, and the running server it acts on."""
    _check_host(ctx)
    _check_origin(ctx.request)
    if ctx.console is None:
        raise FakeHTTPError(501, "this action needs a running FakeServer")
    return ctx.console


def status_page(ctx: Context) -> Response:
    _read(ctx, navigation=True)
    return _secured(Response(_file("index.html"), mimetype="text/html"))


def status_asset(ctx: Context, name: str) -> Response:
    _read(ctx)
    mimetype = _ASSETS.get(name)
    if mimetype is None:
        raise FakeHTTPError(404, "no such asset")
    response = Response(_file(name))
    response.headers["Content-Type"] = mimetype
    return _secured(response)


def _version(request: Request, name: str, default: str) -> str:
    value = request.args.get(name, default)
    if len(value) > _VERSION_CHARS:
        raise FakeHTTPError(400, f"{name}: at most {_VERSION_CHARS} characters")
    return value


def status_summary(ctx: Context) -> Response:
    _read(ctx)
    defaults = ClientVersions()
    client = ClientVersions(
        _version(ctx.request, "server_version", defaults.server_version),
        _version(ctx.request, "python_api_version", defaults.python_api_version),
    )
    try:  # the config's own version rule
        ctx.config.replace(
            server_version=client.server_version, python_api_version=client.python_api_version
        )
    except ValueError as error:
        raise FakeHTTPError(400, str(error)) from None
    data = snapshot(ctx.state, ctx.console, ctx.host, client)
    return _secured(json_response(data))


def _number(request: Request, name: str, default: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _NUMBER.match(raw) or int(raw) > high:
        raise FakeHTTPError(400, f"{name} must be a whole number from 0 to {high}")
    return int(raw)


def status_requests(ctx: Context) -> Response:
    _read(ctx)
    status = ctx.request.args.get("status")
    try:
        matches = status_filter(status) if status else None
    except ValueError as error:
        raise FakeHTTPError(400, str(error)) from None
    after = _number(ctx.request, "after", 0, 10**18)
    limit = _number(ctx.request, "limit", DEFAULT_REQUESTS, MAX_REQUESTS)
    entries = ctx.console.requests() if ctx.console is not None else []
    return _secured(json_response(request_log(entries, status=matches, after=after, limit=limit)))


def status_reset(ctx: Context) -> Response:
    _act(ctx).reset()
    return _secured(json_response({"done": "reset"}))


def status_restart(ctx: Context) -> Response:
    _act(ctx).restart_later()
    return _secured(json_response({"done": "restart"}, status=202))


def status_fault(ctx: Context, index: int) -> Response:
    console = _act(ctx)
    if ctx.request.mimetype != "application/json":
        # Also what makes a cross-origin fetch need a preflight, which is never granted.
        raise FakeHTTPError(415, 'send {"enabled": true|false} as application/json')
    enabled = ctx.json_object().get("enabled")
    if not isinstance(enabled, bool):
        raise FakeHTTPError(400, 'the body must be {"enabled": true|false}')
    try:
        console.faults.set_enabled(index, enabled)
    except IndexError as error:
        raise FakeHTTPError(404, str(error)) from None
    return _secured(json_response({"index": index, "enabled": enabled}))
