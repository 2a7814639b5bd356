"""What the pytest plugin decides, kept out of the plugin module (fixtures and hooks only).

Nothing here imports pytest: version precedence, marker merging, the scenario parameters and
the tally behind the terminal summary are plain functions and classes.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import scenarios
from .config import DEFAULT_PYTHON_API_VERSION, DEFAULT_SERVER_VERSION, ServerConfig
from .generations import UnknownClientError, generation
from .scenarios import FAILURE
from .server import ExpectationError, FakeServer

__all__ = [
    "CLIENT_SETTING",
    "SCENARIO_AUTH_PROPERTY",
    "SCENARIO_PROPERTY",
    "SCENARIO_TIER_PROPERTY",
    "SETTINGS",
    "VERSION_SETTINGS",
    "FixtureConfigError",
    "ScenarioFilter",
    "ScenarioKey",
    "ScenarioTally",
    "ServerFactory",
    "Setting",
    "VersionSetting",
    "Versions",
    "config_fields",
    "expectation_report",
    "resolve_versions",
    "scenario_filter",
    "scenario_for",
    "scenario_keys",
    "scenario_properties",
    "server_config",
]

# The user_properties that carry a scenario run to the controller (xdist) and junitxml.
SCENARIO_PROPERTY = "fake_scenario"
SCENARIO_TIER_PROPERTY = "fake_scenario_tier"
SCENARIO_AUTH_PROPERTY = "fake_scenario_auth"


class FixtureConfigError(ValueError):
    """A ``fake_*`` marker or option was given something it cannot use."""


class ServerFactory(Protocol):
    """The type of the ``fake_server_factory`` fixture, for annotations in downstream tests."""

    def __call__(self, config: ServerConfig | None = None, **fields: Any) -> FakeServer: ...


@dataclass(frozen=True)
class VersionSetting:
    """Where one emulated version can be set, from the most to the least specific."""

    field: str  # ServerConfig field, and the marker keyword
    option: str
    env: str
    ini: str
    default: str


VERSION_SETTINGS: tuple[VersionSetting, ...] = (
    VersionSetting(
        "server_version",
        "--fake-server-version",
        "FAKESERVER_SERVER_VERSION",
        "fake_server_version",
        DEFAULT_SERVER_VERSION,
    ),
    VersionSetting(
        "python_api_version",
        "--fake-python-api-version",
        "FAKESERVER_PYTHON_API_VERSION",
        "fake_python_api_version",
        DEFAULT_PYTHON_API_VERSION,
    ),
)


#: The atoti-client release whose server the fixtures emulate: a version such as ``0.9.16``,
#: or ``auto`` for the installed one (read from package metadata; atoti is never imported).
#: A version set explicitly (option, env or ini) beats the one derived from the client.
CLIENT_SETTING = VersionSetting(
    "atoti_client", "--fake-atoti-client", "FAKESERVER_ATOTI_CLIENT", "fake_atoti_client", "none"
)
#: Every setting the plugin reads, as options, environment variables and ini keys.
SETTINGS: tuple[VersionSetting, ...] = (*VERSION_SETTINGS, CLIENT_SETTING)


@dataclass(frozen=True)
class Setting:
    value: str
    source: str  # e.g. "--fake-server-version", "FAKESERVER_SERVER_VERSION", "default"


@dataclass(frozen=True)
class Versions:
    """The session's emulated versions, before any marker."""

    server_version: Setting
    python_api_version: Setting

    def fields(self) -> dict[str, str]:
        return {
            "server_version": self.server_version.value,
            "python_api_version": self.python_api_version.value,
        }

    def describe(self) -> str:
        return (
            f"server version {self.server_version.value} ({self.server_version.source}), "
            f"python API version {self.python_api_version.value} "
            f"({self.python_api_version.source})"
        )


def resolve_versions(
    options: Mapping[str, str | None], env: Mapping[str, str], ini: Mapping[str, str | None]
) -> Versions:
    """Option > environment > ini > the atoti-client setting > built-in default.

    ``options`` and ``ini`` are keyed by :class:`VersionSetting` ``option`` and ``ini``; an
    empty value counts as unset. The client setting (:data:`CLIENT_SETTING`, itself option
    > environment > ini) only fills the versions nobody set explicitly. Markers, more
    specific still, apply per test on top of this.
    """
    derived = _client_versions(options, env, ini)
    resolved: dict[str, Setting] = {}
    for setting in VERSION_SETTINGS:
        candidates = (
            *_explicit(setting, options, env, ini),
            derived.get(setting.field, (None, "")),
            (setting.default, "default"),
        )
        value, source = next((v, s) for v, s in candidates if v)
        try:
            ServerConfig.from_mapping({setting.field: value})
        except ValueError as error:
            raise FixtureConfigError(f"{source}: {error}") from None
        resolved[setting.field] = Setting(value, source)
    return Versions(**resolved)


def _explicit(
    setting: VersionSetting,
    options: Mapping[str, str | None],
    env: Mapping[str, str],
    ini: Mapping[str, str | None],
) -> tuple[tuple[str | None, str], ...]:
    return (
        (options.get(setting.option), setting.option),
        (env.get(setting.env), f"env {setting.env}"),
        (ini.get(setting.ini), f"ini {setting.ini}"),
    )


def _client_versions(
    options: Mapping[str, str | None], env: Mapping[str, str], ini: Mapping[str, str | None]
) -> dict[str, tuple[str, str]]:
    """``{field: (version, source)}`` for the atoti-client setting; empty when it is unset."""
    given = next(((v, s) for v, s in _explicit(CLIENT_SETTING, options, env, ini) if v), None)
    if given is None:
        return {}
    client, source = given
    if client == "auto":
        import importlib.metadata  # only when asked: the plugin's start-up stays light

        try:
            client = importlib.metadata.version("atoti-client")
        except importlib.metadata.PackageNotFoundError:
            raise FixtureConfigError(
                f"{source}: auto needs atoti-client installed; it is not"
            ) from None
        source = f"{source}=auto"
    try:
        found = generation(client)
    except UnknownClientError as error:
        raise FixtureConfigError(f"{source}: {error}") from None
    origin = f"{source}: atoti-client {client}"
    return {
        "server_version": (found.server_version, origin),
        "python_api_version": (found.python_api_version, origin),
    }


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
                ServerConfig.from_mapping({setting.field: value})
            except ValueError as error:
                raise FixtureConfigError(f"fake_scenarios: {error}") from None
    return ScenarioFilter(
        tiers=_names("tier", merged.get("tiers"), _TIER_LABELS),
        auth=_names("auth mode", merged.get("auth"), scenarios.AUTH_MODES),
        server_version=merged.get("server_version"),
        python_api_version=merged.get("python_api_version"),
    )


@dataclass(frozen=True)
class ScenarioKey:
    """A hashable handle on one scenario of one matrix: the test parameter."""

    name: str
    server_version: str
    python_api_version: str


@functools.lru_cache(maxsize=8)
def _matrix(server_version: str, python_api_version: str) -> dict[str, scenarios.Scenario]:
    return {s.name: s for s in scenarios.matrix(server_version, python_api_version)}


def scenario_keys(versions: Versions, chosen: ScenarioFilter) -> list[ScenarioKey]:
    """The scenarios a test runs over, in matrix order."""
    server_version = chosen.server_version or versions.server_version.value
    python_api_version = chosen.python_api_version or versions.python_api_version.value
    selected = scenarios.select(
        list(_matrix(server_version, python_api_version).values()),
        tiers=chosen.tiers,
        auth=chosen.auth,
    )
    return [ScenarioKey(s.name, server_version, python_api_version) for s in selected]


def scenario_for(key: ScenarioKey) -> scenarios.Scenario:
    return _matrix(key.server_version, key.python_api_version)[key.name]


def scenario_properties(key: ScenarioKey) -> list[tuple[str, str]]:
    scenario = scenario_for(key)
    return [
        (SCENARIO_PROPERTY, scenario.name),
        (SCENARIO_TIER_PROPERTY, scenario.expected_tier or FAILURE),
        (SCENARIO_AUTH_PROPERTY, scenario.auth),
    ]


# -- terminal summary -----------------------------------------------------------------------


@dataclass
class ScenarioRun:
    name: str
    tier: str
    auth: str
    outcome: str = "passed"  # then "skipped" or "failed"; failed is final


@dataclass
class ScenarioTally:
    """Scenario runs seen in test reports, by test id: local ones, or a controller's (xdist)."""

    runs: dict[str, ScenarioRun] = field(default_factory=dict)

    def record(
        self, nodeid: str, when: str, outcome: str, user_properties: Iterable[Sequence[Any]]
    ) -> None:
        properties = {str(p[0]): p[1] for p in user_properties if len(p) == 2}
        name = properties.get(SCENARIO_PROPERTY)
        if name is None:
            return
        run = self.runs.setdefault(
            nodeid,
            ScenarioRun(
                str(name),
                str(properties.get(SCENARIO_TIER_PROPERTY, "?")),
                str(properties.get(SCENARIO_AUTH_PROPERTY, "?")),
            ),
        )
        if run.outcome == "failed":
            return
        if outcome == "failed":
            run.outcome = "failed"
        elif outcome == "skipped" and when in ("setup", "call"):
            run.outcome = "skipped"

    def lines(self) -> list[str]:
        """The summary, or nothing when no scenario ran."""
        if not self.runs:
            return []
        runs = list(self.runs.values())
        lines = [_totals("scenario runs:", runs)]
        tiers = [t for t in _TIER_LABELS if any(r.tier == t for r in runs)]
        tiers += sorted({r.tier for r in runs} - set(tiers))
        auth: list[str] = [a for a in scenarios.AUTH_MODES if any(r.auth == a for r in runs)]
        auth += sorted({r.auth for r in runs} - set(auth))
        lines.append("by tier:")
        lines += [_totals(f"  {t:<23}", [r for r in runs if r.tier == t]) for t in tiers]
        lines.append("by auth mode:")
        lines += [_totals(f"  {a:<23}", [r for r in runs if r.auth == a]) for a in auth]
        failed = [(nodeid, r) for nodeid, r in self.runs.items() if r.outcome == "failed"]
        if failed:
            lines.append(f"failed scenarios ({len(failed)}):")
            lines += [f"  {r.name} ({r.tier}, {r.auth}): {nodeid}" for nodeid, r in failed]
        return lines


def _totals(label: str, runs: Sequence[ScenarioRun]) -> str:
    counts = {o: sum(r.outcome == o for r in runs) for o in ("passed", "failed", "skipped")}
    details = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    return f"{label} {len(runs)} ({details})"
