"""What the pytest plugin decides once a ``fake_*`` fixture or marker is used.

Loaded on first use, never at start-up (it imports the config, the server and the matrix;
start-up needs only :mod:`fakeserver.plugin_startup`). Nothing here imports pytest: marker
merging into a :class:`ServerConfig`, the scenario parameters, the teardown report of
expectations and the hint about an unsecured target are plain functions.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from . import scenarios
from .config import ServerConfig
from .plugin_startup import VERSION_SETTINGS, FixtureConfigError, ScenarioKey, Versions
from .protocol import check_version
from .scenarios import FAILURE
from .server import ExpectationError, FakeServer
from .wsgi import PEER_CERTIFICATE_KEY

__all__ = [
    "ScenarioFilter",
    "ServerFactory",
    "config_fields",
    "expectation_report",
    "scenario_filter",
    "scenario_for",
    "scenario_keys",
    "security_hint",
    "server_config",
]


class ServerFactory(Protocol):
    """The type of the ``fake_server_factory`` fixture, for annotations in downstream tests."""

    def __call__(self, config: ServerConfig | None = None, **fields: Any) -> FakeServer: ...


def expectation_report(servers: Iterable[FakeServer]) -> str:
    """Every server's :meth:`~FakeServer.check_expectations` report; empty when all is well."""
    reports = []
    for server in servers:
        try:
            server.check_expectations()
        except ExpectationError as error:
            reports.append(str(error))
    return "\n\n".join(reports)


# -- fake_server marker ---------------------------------------------------------------------

_CONFIG_FIELDS = tuple(f.name for f in dataclasses.fields(ServerConfig))


def server_config(
    defaults: Mapping[str, Any], marks: Iterable[tuple[Sequence[Any], Mapping[str, Any]]]
) -> ServerConfig:
    """The config of ``@pytest.mark.fake_server`` marks over ``defaults``.

    ``marks`` are ``(args, kwargs)`` from the farthest (module) to the closest (function);
    a closer keyword wins. As the marker's signature ``fake_server(config=None, **fields)``
    says, a mark may give one ``ServerConfig``, positionally or as ``config=``: it replaces
    everything farther, defaults included (its versions are used as written); ``None`` is
    the same as no config.
    """
    fields: dict[str, Any] = dict(defaults)
    for args, kwargs in marks:
        given = dict(kwargs)
        if len(args) > 1:
            raise FixtureConfigError(
                "fake_server: takes at most one ServerConfig (positional or config=), "
                "then field=value"
            )
        if args and "config" in given:
            raise FixtureConfigError("fake_server: config given twice (positional and config=)")
        config = args[0] if args else given.pop("config", None)
        if config is not None and not isinstance(config, ServerConfig):
            raise FixtureConfigError(
                f"fake_server: config must be a ServerConfig or None, not {type(config).__name__}"
            )
        if config is not None:
            fields = config_fields(config)
        fields.update(given)
    try:
        return ServerConfig.from_mapping(fields)
    except ValueError as error:
        raise FixtureConfigError(f"fake_server: {error}") from None


def config_fields(config: ServerConfig) -> dict[str, Any]:
    """Every field of ``config`` as-is, to merge keywords over it with ``from_mapping``."""
    return {name: getattr(config, name) for name in _CONFIG_FIELDS}


# -- fake_scenarios marker and the scenario parameters ---------------------------------------


@dataclass(frozen=True)
class ScenarioFilter:
    tiers: tuple[str, ...] | None = None
    auth: tuple[str, ...] | None = None
    server_version: str | None = None
    python_api_version: str | None = None


_FILTER_KEYS = tuple(f.name for f in dataclasses.fields(ScenarioFilter))
_TIER_LABELS = (*scenarios.TIERS, FAILURE)


def _names(key: str, value: Any, known: Sequence[str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        value = [value]
    labels = tuple(FAILURE if v is None else v for v in value)
    unknown = [v for v in labels if v not in known]
    if unknown:
        raise FixtureConfigError(
            f"fake_scenarios: unknown {key} {unknown[0]!r} (known: {', '.join(known)})"
        )
    return labels


def scenario_filter(marks: Iterable[tuple[Sequence[Any], Mapping[str, Any]]]) -> ScenarioFilter:
    """Merge ``@pytest.mark.fake_scenarios`` marks, farthest first; closer keywords win."""
    merged: dict[str, Any] = {}
    for args, kwargs in marks:
        if args:
            raise FixtureConfigError("fake_scenarios: takes keywords only (tiers=, auth=, ...)")
        unknown = sorted(set(kwargs) - set(_FILTER_KEYS))
        if unknown:
            raise FixtureConfigError(
                f"fake_scenarios: unknown keyword {unknown[0]!r} (known: {', '.join(_FILTER_KEYS)})"
            )
        merged.update(kwargs)
    for setting in VERSION_SETTINGS:
        value = merged.get(setting.field)
        if value is not None:
            try:
                check_version(setting.field, value)
            except ValueError as error:
                raise FixtureConfigError(f"fake_scenarios: {error}") from None
    return ScenarioFilter(
        tiers=_names("tier", merged.get("tiers"), _TIER_LABELS),
        auth=_names("auth mode", merged.get("auth"), scenarios.AUTH_MODES),
        server_version=merged.get("server_version"),
        python_api_version=merged.get("python_api_version"),
    )


@functools.lru_cache(maxsize=8)
def _matrix(server_version: str, python_api_version: str) -> dict[str, scenarios.Scenario]:
    return {s.name: s for s in scenarios.matrix(server_version, python_api_version)}


def scenario_keys(versions: Versions, chosen: ScenarioFilter) -> list[ScenarioKey]:
    """The scenarios a test runs over: matrix order, except that scenarios sharing a server
    config run next to each other.

    The pool reuses a running server for the next test of the same config, so grouping them
    starts each config's server once per process, and under xdist (whose ``load`` mode
    hands out consecutive tests in chunks) mostly on one worker. In the matrix the cells
    that differ only by admin (b) share a config but sit 16 cells apart.
    """
    server_version = chosen.server_version or versions.server_version.value
    python_api_version = chosen.python_api_version or versions.python_api_version.value
    selected = scenarios.select(
        list(_matrix(server_version, python_api_version).values()),
        tiers=chosen.tiers,
        auth=chosen.auth,
    )
    groups: dict[str, list[scenarios.Scenario]] = {}
    for scenario in selected:  # ServerConfig holds dicts: its repr is the grouping key
        groups.setdefault(repr(scenario.config), []).append(scenario)
    return [
        ScenarioKey(s.name, server_version, python_api_version, s.expected_tier or FAILURE, s.auth)
        for group in groups.values()
        for s in group
    ]


def scenario_for(key: ScenarioKey) -> scenarios.Scenario:
    return _matrix(key.server_version, key.python_api_version)[key.name]


# -- the hint about an unsecured target ------------------------------------------------------

#: The thin client's refusals of what needs a secured admin session (matched by class name:
#: the plugin never imports the client just to look at a failure).
_REFUSALS = frozenset({"CapabilityUnavailableError", "LiveExtensionUnavailableError"})
#: How the fake (403 body) and the real client ("Live extension is not available") word it.
_LIVE_EXTENSION = "live extension"


def _wants_security(error: BaseException) -> str | None:
    """What about ``error`` (or what it was raised from) says a secured target was needed."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names = {cls.__name__ for cls in type(current).__mro__}
        if names & _REFUSALS or _LIVE_EXTENSION in str(current).lower():
            message = str(current).splitlines()[0] if str(current) else ""
            return f"{type(current).__name__}: {message}".rstrip(": ")
        current = current.__cause__ or current.__context__
    return None


def _sent_credentials(server: FakeServer) -> bool:
    return any(
        "Authorization" in request.headers or request.environ.get(PEER_CERTIFICATE_KEY)
        for request, _ in server.log
    )


def security_hint(servers: Iterable[FakeServer], error: BaseException) -> str | None:
    """Why a failed test may have wanted a secured target, or None when nothing says so.

    ``fake_server`` (like ``ServerConfig()``) is unsecured by default while ``fakeserver
    serve`` is secured: credentials sent to it are ignored, so admin (b) is never met and a
    session is at most READ_ONLY. Said when a fixture server was unsecured and the test
    failed on a refused live-extension capability, or after sending it credentials.
    """
    unsecured = [server for server in servers if server.config.security is None]
    if not unsecured:
        return None
    reasons = []
    refusal = _wants_security(error)
    if refusal is not None:
        reasons.append(f"the test failed on a capability that needs one ({refusal})")
    if any(_sent_credentials(server) for server in unsecured):
        reasons.append("the test sent it credentials, which an unsecured target ignores")
    if not reasons:
        return None
    where = ", ".join(server.url if server.is_running() else "(stopped)" for server in unsecured)
    return "\n".join(
        [
            f"The fake target ({where}) was unsecured, and {' and '.join(reasons)}.",
            "fake_server and fake_server_factory start ServerConfig(security=None) unless told",
            "otherwise (`fakeserver serve` is secured): with no security, admin (b) is never",
            "met, a session is at most READ_ONLY and live-extension routes answer 403.",
            "Secure it with users of your own, e.g.:",
            "",
            "    from fakeserver import SecurityConfig, User",
            "",
            "    ADMIN = User('admin', 'passwd', roles={'ROLE_USER', 'ROLE_ADMIN'})",
            "",
            "    @pytest.mark.fake_server(security=SecurityConfig(users=[ADMIN]))",
            "    def test_...(fake_server): ...",
        ]
    )
