"""What the pytest plugin decides at start-up, kept light: it loads in every pytest run.

The ``pytest11`` entry point is imported by every test run of every project that has
fakeserver installed, whether or not a test uses a fake. So the plugin module imports only
this module and pytest at start-up, and this module imports only :mod:`fakeserver.protocol` and the
tier and auth-mode names of :mod:`fakeserver.scenarios.rules` (plain data):
version precedence (option > env > ini > default), the header lines, the scenario test
parameter and the tally behind the terminal summary. Everything that needs a server, the
config or the matrix lives in :mod:`fakeserver.plugin_support`, loaded on first use of a
``fake_*`` fixture or marker. ``tests/fakeserver/test_plugin_startup.py`` checks the cost.

Nothing here imports pytest either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .protocol import DEFAULT_PYTHON_API_VERSION, DEFAULT_SERVER_VERSION, check_version
from .scenarios.rules import AUTH_MODES, FAILURE, TIERS

__all__ = [
    "CLIENT_SETTING",
    "SCENARIO_AUTH_PROPERTY",
    "SCENARIO_PROPERTY",
    "SCENARIO_TIER_PROPERTY",
    "SETTINGS",
    "UNSECURED_DEFAULT",
    "VERSION_SETTINGS",
    "FixtureConfigError",
    "MarkerProblem",
    "ScenarioKey",
    "ScenarioTally",
    "Setting",
    "VersionSetting",
    "Versions",
    "header_lines",
    "resolve_versions",
    "scenario_properties",
    "setting_help",
]

# The user_properties that carry a scenario run to the controller (xdist) and junitxml.
SCENARIO_PROPERTY = "fake_scenario"
SCENARIO_TIER_PROPERTY = "fake_scenario_tier"
SCENARIO_AUTH_PROPERTY = "fake_scenario_auth"

#: The second header line: the fixtures' security default, which differs from ``fakeserver
#: serve``'s and explains a READ_ONLY session that was given admin credentials.
UNSECURED_DEFAULT = (
    "fakeserver: fake_server default: unsecured (security=None); "
    "secure it with @pytest.mark.fake_server(security=SecurityConfig(...))"
)


class FixtureConfigError(ValueError):
    """A ``fake_*`` marker or option was given something it cannot use."""


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


def setting_help(setting: VersionSetting) -> tuple[str, str]:
    """The ``--help`` text of a setting's option and of its ini key: where else it is read,
    and what it falls back to (a version not set explicitly comes from the atoti-client
    release when one is given)."""
    if setting is CLIENT_SETTING:
        what = (
            "the atoti-client release whose server the fake_* fixtures emulate (e.g. 0.9.16, "
            "or auto: the installed one): its server and Python API versions, for those not "
            "set explicitly"
        )
        return (
            f"{what} (default: env {setting.env}, then ini {setting.ini}; none)",
            f"{what} (overridden by env {setting.env} and {setting.option})",
        )
    what = f"{setting.field.replace('_', ' ')} the fake_* fixtures emulate"
    return (
        f"{what} (default: env {setting.env}, ini {setting.ini}, then the "
        f"{CLIENT_SETTING.option} release's, then {setting.default})",
        f"{what} (overridden by env {setting.env} and {setting.option}; overrides the "
        f"{CLIENT_SETTING.ini} release's)",
    )


@dataclass(frozen=True)
class Setting:
    value: str
    source: str  # e.g. "--fake-server-version", "FAKESERVER_SERVER_VERSION", "default"


@dataclass(frozen=True)
class Versions:
    """The session's emulated versions, before any marker."""

    server_version: Setting
    python_api_version: Setting
    #: What the header must say besides (an atoti-client release newer than the table).
    notes: tuple[str, ...] = ()

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
    derived, notes = _client_versions(options, env, ini)
    resolved: dict[str, Setting] = {}
    for setting in VERSION_SETTINGS:
        candidates = (
            *_explicit(setting, options, env, ini),
            derived.get(setting.field, (None, "")),
            (setting.default, "default"),
        )
        value, source = next((v, s) for v, s in candidates if v)
        try:
            check_version(setting.field, value)
        except ValueError as error:
            raise FixtureConfigError(f"{source}: {error}") from None
        resolved[setting.field] = Setting(value, source)
    return Versions(**resolved, notes=notes)


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
) -> tuple[dict[str, tuple[str, str]], tuple[str, ...]]:
    """``{field: (version, source)}`` for the atoti-client setting (empty when it is unset),
    and the header's note on a release newer than the table."""
    given = next(((v, s) for v, s in _explicit(CLIENT_SETTING, options, env, ini) if v), None)
    if given is None:
        return {}, ()
    # Only when asked: the table of generations and the package metadata.
    from .generations import UnknownClientError, generation

    client, source = given
    if client == "auto":
        import importlib.metadata

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
    versions = {
        "server_version": (found.server_version, origin),
        "python_api_version": (found.python_api_version, origin),
    }
    # In the header, once per run (not a warning in every xdist worker's start-up).
    return versions, (() if found.caveat is None else (found.caveat,))


def header_lines(versions: Versions) -> list[str]:
    """``pytest``'s header: where the versions came from, and the fixtures' security default."""
    notes = [f"fakeserver: {note}" for note in versions.notes]
    return [f"fakeserver: {versions.describe()}", *notes, UNSECURED_DEFAULT]


# -- the fake_scenario test parameter --------------------------------------------------------


@dataclass(frozen=True)
class ScenarioKey:
    """A hashable handle on one scenario of one matrix: the test parameter.

    It carries what the summary reports (tier, auth mode), so that collecting a test costs
    no lookup in the matrix.
    """

    name: str
    server_version: str
    python_api_version: str
    tier: str  # the expected tier, or FAILURE when connect must fail
    auth: str


@dataclass(frozen=True)
class MarkerProblem:
    """The one parameter of a test whose ``fake_scenarios`` mark is wrong: its setup fails
    with ``message``, and the other tests of the module still run."""

    message: str


def scenario_properties(key: ScenarioKey) -> list[tuple[str, str]]:
    return [
        (SCENARIO_PROPERTY, key.name),
        (SCENARIO_TIER_PROPERTY, key.tier),
        (SCENARIO_AUTH_PROPERTY, key.auth),
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
        tiers = [t for t in (*TIERS, FAILURE) if any(r.tier == t for r in runs)]
        tiers += sorted({r.tier for r in runs} - set(tiers))
        auth: list[str] = [a for a in AUTH_MODES if any(r.auth == a for r in runs)]
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
