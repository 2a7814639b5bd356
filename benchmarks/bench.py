"""fakeserver against pytest-httpserver, side by side in one run (SPEC §6 quality bars).

Run it by hand (``python benchmarks/bench.py``) or as ``tox -e bench``. Every comparison is
measured in the same process, in the same run, on the same machine, with the same pooled
``httpx.Client`` on both sides. Both sides run back to back, alternating which goes first
(request rates interleave in small chunks), and the table shows medians over the rounds,
so a noisy neighbour slows both sides of a pair alike instead of skewing one of them.

This is a report, not a test: it exits 0 whatever it measured, unless ``--strict`` is given
(then 1 when a target is missed). Nothing in the test suite asserts on time.

Measured:

1. start + first answer + stop of one server (plain HTTP), the stop coming once the server
   is idle, as in a fixture's teardown — target <= 0.1x pytest-httpserver;
2. plain-HTTP request rate, one pooled client — target >= 1.5x;
3. HTTPS request rate, same client, trustme certificates on both sides — target >= 15x;
4. one plain-HTTP matrix scenario (start, connect, stop), in units of one plain request
   round trip to pytest-httpserver — target <= 5; with one probe of every capability the
   thin client offers — target <= 15;
5. the whole scenario matrix as a downstream pytest suite (``fake_scenario``): pytest's
   test time serially — target <= 2 s — and with ``-n 2`` — target <= the serial time —
   with the environment as it is, and with bytecode cached;
6. peak RSS (VmHWM) of ``fakeserver serve`` with its default config, and its growth per
   request, next to a process serving one pytest-httpserver ``HTTPServer``;
7. importing the ``pytest11`` module in a fresh interpreter — target <= 1.0x
   ``pytest_httpserver.pytest_plugin``; ``import fakeserver`` alone, for information.

werkzeug logs every request pytest-httpserver answers; the logger is silenced here, which
only makes the reference faster.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import logging
import os
import platform
import re
import resource
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import trustme
from pytest_httpserver import HTTPServer

import fakeserver_client as client
from fakeserver import FakeServer, ServerConfig, TlsConfig
from fakeserver import scenarios as fake_scenarios

VERSIONS_PATH = "/versions/rest"
#: The plain-HTTP scenario timed in (4): every capability is allowed in LOCAL.
SCENARIO_NAME = "basic-admin-same_api-local_host"
CLOUD_URL = "s3://bench/rows.csv"
CSV_TEXT = "id,name\n10,ten\n11,eleven\n"
#: untimed pause between the first answer and the stop in (1a).
IDLE_GAP = 0.02
#: interleaved chunks per round in the request-rate comparisons.
CHUNKS = 5


# -- results ----------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the report."""

    metric: str
    value: str
    reference: str
    ratio: float | None
    target: str
    passed: bool | None  # None: reported, no target
    note: str = ""
    error: bool = False  # the measurement itself failed

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.passed is None:
            return "INFO"
        return "PASS" if self.passed else "MISS"


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(
            f"  -> {row.metric}: {row.value} vs {row.reference}, ratio {_ratio(row.ratio)}"
            f" ({row.verdict})",
            flush=True,
        )


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}x" if value < 1 else f"{value:.2f}x"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _rate(per_second: float) -> str:
    return f"{per_second:,.0f} req/s"


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def _round_order(index: int) -> bool:
    """True when the reference goes first in this round (alternate to cancel drift)."""
    return index % 2 == 0


# -- shared set-up ----------------------------------------------------------------------


@dataclass
class Tls:
    """trustme material for pytest-httpserver, and one client context trusting both servers."""

    ca: trustme.CA
    server_context: ssl.SSLContext
    client_context: ssl.SSLContext

    @classmethod
    def make(cls) -> Tls:
        ca = trustme.CA(organization_name="bench-reference")
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
        client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies, checks host names
        ca.configure_trust(client_context)
        return cls(ca, server_context, client_context)

    def trust(self, ca_path: str | None) -> None:
        """Also trust a FakeServer's CA (the context is shared by reference with httpx)."""
        if ca_path is not None:
            self.client_context.load_verify_locations(cafile=ca_path)


def reference_server(body: bytes, ssl_context: ssl.SSLContext | None = None) -> HTTPServer:
    """A pytest-httpserver answering ``GET /versions/rest`` with the same bytes as the fake."""
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=ssl_context)
    server.expect_request(VERSIONS_PATH).respond_with_data(body, content_type="application/json")
    return server


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def request_loop(http: httpx.Client, url: str, count: int) -> float:
    """Seconds for ``count`` sequential GETs of ``url``; every answer must be a 200."""
    started = time.perf_counter()
    for _ in range(count):
        response = http.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    return time.perf_counter() - started


@dataclass
class Settings:
    """How much to measure: rounds, and requests or cycles per side and round."""

    rounds: int
    quick: bool
    matrix_rounds: int
    matrix_direct: bool
    matrix_auth: list[str] | None
    import_rounds: int = 11  # (7) fresh interpreters per side
    cycles_ref: int = 2  # (1) pytest-httpserver's cycles cost ~0.5 s each
    cycles_fake: int = 10
    plain_ref: int = 300  # (2)
    plain_fake: int = 600
    https_ref: int = 40  # (3) a full TLS handshake each
    https_fake: int = 600
    unit_requests: int = 150  # (4) the unit: one plain round trip to pytest-httpserver
    scenario_runs: int = 15
    probe_runs: int = 8


def settings(args: argparse.Namespace) -> Settings:
    if args.quick:
        return Settings(
            rounds=args.rounds or 3,
            quick=True,
            matrix_rounds=1,
            matrix_direct=args.matrix_direct,
            matrix_auth=args.matrix_auth,
            import_rounds=5,
            cycles_ref=1,
            cycles_fake=5,
            plain_ref=100,
            plain_fake=200,
            https_ref=15,
            https_fake=150,
            unit_requests=50,
            scenario_runs=5,
            probe_runs=3,
        )
    rounds = args.rounds or 7
    return Settings(
        rounds=rounds,
        quick=False,
        matrix_rounds=min(rounds, 3),
        matrix_direct=args.matrix_direct,
        matrix_auth=args.matrix_auth,
    )


# -- (1) start + first answer + stop ------------------------------------------------------


def bench_lifecycle(http: httpx.Client, body: bytes, cfg: Settings, report: Report) -> None:
    """Start, first answer, stop; the stop comes IDLE_GAP after the answer, untimed.

    A fixture's teardown stops a server that has gone idle (the test did something with the
    answer first). Stopping pytest-httpserver back to back with its answer races its serve
    loop before it re-enters its 0.5 s ``select`` and looks free; that variant is reported
    too, as information.
    """
    print(f"(1) start + first answer + stop, {cfg.rounds} rounds", flush=True)

    def cycle(start: Callable[[], tuple[Callable[[], None], str]], gap: float) -> float:
        began = time.perf_counter()
        stop, url = start()
        response = http.get(url)
        answered = time.perf_counter()
        if gap:
            time.sleep(gap)
        stopping = time.perf_counter()
        stop()
        ended = time.perf_counter()
        response.raise_for_status()
        return (answered - began) + (ended - stopping)

    def start_fake() -> tuple[Callable[[], None], str]:
        server = FakeServer()
        server.start()
        return server.stop, server.url + VERSIONS_PATH

    def start_ref() -> tuple[Callable[[], None], str]:
        server = reference_server(body)
        server.start()
        return server.stop, server.url_for(VERSIONS_PATH)

    cycle(start_fake, 0)  # warm-up: imports, the URL map, first sockets
    cycle(start_ref, 0)
    for gap, label, target in ((IDLE_GAP, "", True), (0.0, " (stop racing the answer)", False)):
        fake_values: list[float] = []
        ref_values: list[float] = []
        ratios: list[float] = []
        for index in range(cfg.rounds):
            gc.collect()
            sides = [("ref", start_ref, cfg.cycles_ref), ("fake", start_fake, cfg.cycles_fake)]
            if not _round_order(index):
                sides.reverse()
            got: dict[str, float] = {}
            for side, start, count in sides:
                got[side] = _median([cycle(start, gap) for _ in range(count)])
            fake_values.append(got["fake"])
            ref_values.append(got["ref"])
            ratios.append(got["fake"] / got["ref"])
        ratio = _median(ratios)
        report.add(
            Row(
                f"1{'a' if target else 'b'}. start+answer+stop{label}",
                _ms(_median(fake_values)),
                _ms(_median(ref_values)),
                ratio,
                "<= 0.1x" if target else "report",
                (ratio <= 0.1) if target else None,
            )
        )
    report.notes.append(
        f"(1a) the stop comes {IDLE_GAP * 1000:.0f} ms after the answer (untimed), as a "
        "fixture teardown does; (1b) stops at once, before pytest-httpserver's loop is back "
        "in its 0.5 s poll"
    )


# -- (2) and (3) request rates ------------------------------------------------------------


def bench_rate(
    http: httpx.Client,
    fake_url: str,
    ref_url: str,
    ref_count: int,
    fake_count: int,
    cfg: Settings,
) -> tuple[list[float], list[float], list[float]]:
    """Rates (fake, ref) and ratios fake/ref, one of each per pair of adjacent chunks.

    Each round runs both sides in CHUNKS interleaved chunks (alternating which goes first),
    so a burst of load from elsewhere on the machine lands on both sides of a pair rather
    than on one; the medians over all pairs are what the report shows.
    """
    request_loop(http, fake_url, 20)  # warm-up, and opens the pooled connection
    request_loop(http, ref_url, 5)
    ref_chunk = max(1, ref_count // CHUNKS)
    fake_chunk = max(1, fake_count // CHUNKS)
    fake_rates: list[float] = []
    ref_rates: list[float] = []
    ratios: list[float] = []
    for index in range(cfg.rounds):
        gc.collect()
        for chunk in range(CHUNKS):
            sides = [("ref", ref_url, ref_chunk), ("fake", fake_url, fake_chunk)]
            if not _round_order(index + chunk):
                sides.reverse()
            got = {side: count / request_loop(http, url, count) for side, url, count in sides}
            fake_rates.append(got["fake"])
            ref_rates.append(got["ref"])
            ratios.append(got["fake"] / got["ref"])
    return fake_rates, ref_rates, ratios


def bench_rate_row(
    http: httpx.Client,
    fake: FakeServer,
    ref: HTTPServer,
    cfg: Settings,
    report: Report,
    *,
    https: bool,
) -> None:
    """(2) or (3): the request rate of both servers, plain HTTP or HTTPS."""
    label, target = ("3. HTTPS rate", 15.0) if https else ("2. plain HTTP rate", 1.5)
    print(f"({label[0]}) {label[3:]}, {cfg.rounds} rounds", flush=True)
    fake_rates, ref_rates, ratios = bench_rate(
        http,
        fake.url + VERSIONS_PATH,
        ref.url_for(VERSIONS_PATH),
        cfg.https_ref if https else cfg.plain_ref,
        cfg.https_fake if https else cfg.plain_fake,
        cfg,
    )
    ratio = _median(ratios)
    report.add(
        Row(
            label,
            _rate(_median(fake_rates)),
            _rate(_median(ref_rates)),
            ratio,
            f">= {target:g}x",
            ratio >= target,
        )
    )


# -- (4) one scenario, with and without capability probes ---------------------------------


@dataclass
class ProbeState:
    csv_path: str
    table: Any = None
    done: set[str] = field(default_factory=set)


Probe = Callable[[client.Session, ProbeState], None]
TABLE = "bench_table"
CLOUD_TABLE = "bench_cloud"


def _probe_ping(session: client.Session, state: ProbeState) -> None:
    session.ping()


def _probe_link(session: client.Session, state: ProbeState) -> None:
    session.link  # noqa: B018


def _probe_cubes(session: client.Session, state: ProbeState) -> None:
    list(session.cubes)


def _probe_schema(session: client.Session, state: ProbeState) -> None:
    session.tables.schema  # noqa: B018


def _probe_create_table(session: client.Session, state: ProbeState) -> None:
    state.table = session.create_table(
        TABLE, data_types={"id": "int", "name": "String"}, keys=["id"]
    )


def _probe_append(session: client.Session, state: ProbeState) -> None:
    state.table.append((1, "one"), (2, "two"))


def _probe_query(session: client.Session, state: ProbeState) -> None:
    state.table.head(5)  # the table create_table returned: one query


def _probe_list(session: client.Session, state: ProbeState) -> None:
    # One listing. (list(session.tables) asks twice: list() takes len() as a size hint.)
    len(session.tables)


def _probe_cube(session: client.Session, state: ProbeState) -> None:
    session.create_cube(state.table, name="bench_cube")


def _probe_cloud(session: client.Session, state: ProbeState) -> None:
    # A second table, read from the cloud store: the one table.drop drops (the first one
    # is the base of a cube by then, and a cube's base table cannot be dropped).
    session.read_csv(CLOUD_URL, table_name=CLOUD_TABLE, keys=["id"])


def _probe_file(session: client.Session, state: ProbeState) -> None:
    state.table.load_csv(state.csv_path)


def _probe_security(session: client.Session, state: ProbeState) -> None:
    # One read: .items() is one request (dict(mapping) would ask once per key).
    dict(session.security.basic_authentication.credentials.items())


def _probe_drop(session: client.Session, state: ProbeState) -> None:
    del session.tables[CLOUD_TABLE]


#: (capability, probe, capabilities it needs to have succeeded first), in running order.
PROBES: tuple[tuple[str, Probe, tuple[str, ...]], ...] = (
    ("ping", _probe_ping, ()),
    ("link", _probe_link, ()),
    ("cubes", _probe_cubes, ()),
    ("tables.schema", _probe_schema, ()),
    ("create_table", _probe_create_table, ()),
    ("table.append", _probe_append, ("create_table",)),
    ("table.query", _probe_query, ("create_table",)),
    ("tables.list", _probe_list, ()),
    ("create_cube", _probe_cube, ("create_table",)),
    ("load.cloud", _probe_cloud, ()),
    ("load.file", _probe_file, ("create_table",)),
    ("security", _probe_security, ()),
    ("table.drop", _probe_drop, ("load.cloud",)),
)


def run_probes(session: client.Session, state: ProbeState, only: set[str] | None) -> dict[str, str]:
    """Run each probe once; returns {capability: why it was skipped}."""
    skipped: dict[str, str] = {}
    for name, probe, needs in PROBES:
        if only is not None and name not in only:
            continue
        missing = [n for n in needs if n not in state.done]
        if missing:
            skipped[name] = f"needs {', '.join(missing)}"
            continue
        try:
            probe(session, state)
        except AttributeError as error:
            skipped[name] = f"not in the thin client yet ({error})"
        except Exception as error:
            skipped[name] = f"{type(error).__name__}: {str(error)[:80]}"
        else:
            state.done.add(name)
    return skipped


def bench_scenario(http: httpx.Client, body: bytes, cfg: Settings, report: Report) -> None:
    print(f"(4) one plain-HTTP scenario, {cfg.rounds} rounds", flush=True)
    scenario = next(s for s in fake_scenarios.matrix() if s.name == SCENARIO_NAME)
    if scenario.config.tls is not None:
        raise RuntimeError(f"{SCENARIO_NAME} is not a plain-HTTP scenario any more")
    probe_scenario = dataclasses.replace(
        scenario, config=scenario.config.replace(cloud_files={CLOUD_URL: CSV_TEXT})
    )
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write(CSV_TEXT)
        csv_path = handle.name

    def connect_only() -> None:
        with scenario.run() as live, live.connect():
            pass

    working: set[str] = set()

    def with_probes() -> None:
        with probe_scenario.run() as live, live.connect() as session:
            run_probes(session, ProbeState(csv_path), working)

    try:
        # Dry run, untimed: which capabilities the thin client can probe today.
        with probe_scenario.run() as live, live.connect() as session:
            if session.tier is not client.Tier.LOCAL:
                raise RuntimeError(f"{SCENARIO_NAME} connected as {session.tier}, not LOCAL")
            connect_requests = len(live.server.log)
            state = ProbeState(csv_path)
            skipped = run_probes(session, state, None)
            probe_requests = len(live.server.log) - connect_requests
        working.update(state.done)
        connect_only()  # warm-up
        with_probes()
        ref = reference_server(body)
        ref.start()
        ref_url = ref.url_for(VERSIONS_PATH)
        request_loop(http, ref_url, 5)
        units: list[float] = []
        bare_ratios: list[float] = []
        probe_ratios: list[float] = []
        bare_times: list[float] = []
        probe_times: list[float] = []
        try:
            for index in range(cfg.rounds):
                gc.collect()
                unit = 0.0
                bare = probed = 0.0

                def measure_unit() -> None:
                    nonlocal unit
                    unit = request_loop(http, ref_url, cfg.unit_requests) / cfg.unit_requests

                def measure_fake() -> None:
                    nonlocal bare, probed
                    bare = _median([timed(connect_only) for _ in range(cfg.scenario_runs)])
                    probed = _median([timed(with_probes) for _ in range(cfg.probe_runs)])

                steps = [measure_unit, measure_fake]
                if not _round_order(index):
                    steps.reverse()
                for step in steps:
                    step()
                units.append(unit)
                bare_times.append(bare)
                probe_times.append(probed)
                bare_ratios.append(bare / unit)
                probe_ratios.append(probed / unit)
        finally:
            ref.stop()
    finally:
        os.unlink(csv_path)
    unit_text = f"1 unit = {_ms(_median(units))}"
    bare_ratio = _median(bare_ratios)
    report.add(
        Row(
            "4a. scenario: start+connect+stop",
            _ms(_median(bare_times)),
            unit_text,
            bare_ratio,
            "<= 5 units",
            bare_ratio <= 5,
        )
    )
    probed_names = [name for name, _, _ in PROBES if name in working]
    probe_ratio = _median(probe_ratios)
    report.add(
        Row(
            f"4b. + {len(probed_names)}/{len(PROBES)} capability probes",
            _ms(_median(probe_times)),
            unit_text,
            probe_ratio,
            "<= 15 units",
            probe_ratio <= 15,
        )
    )
    report.notes.append(
        f"(4) scenario {SCENARIO_NAME}: connect sends {connect_requests} requests, the probes "
        f"{probe_requests} more; probed: {', '.join(probed_names)}"
    )
    if skipped:
        report.notes.append(
            "(4) skipped probes (not counted in 4b): "
            + "; ".join(f"{name}: {why}" for name, why in skipped.items())
        )


# -- (5) the whole matrix as a downstream suite ------------------------------------------


DIRECT_SUITE = '''\
"""The whole scenario matrix as a downstream project would run it (generated by bench.py)."""

import pytest

from fakeserver.scenarios import matrix, select

SCENARIOS = select(matrix(), auth={auth!r})


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(scenario):
    with scenario.run() as live:
        outcome = live.verify()
    assert outcome.ok, outcome.detail
'''

FIXTURE_SUITE = '''\
"""The whole scenario matrix through the plugin's fake_scenario fixture (generated by bench.py)."""

import pytest


@pytest.mark.fake_scenarios(auth={auth!r})
def test_scenario(fake_scenario):
    outcome = fake_scenario.verify()
    assert outcome.ok, outcome.detail
'''

#: What a downstream project's pytest loads. hypothesis is fakeserver's own test dependency,
#: not one it brings: its plugin would import hypothesis (~0.3 s) at the end of every run.
SUITE_INI = "[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest\n"


def write_suite(directory: Path, direct: bool, auth: Sequence[str] | None) -> Path:
    """The suite over the scenarios of ``auth`` (authentication modes; None: every one)."""
    (directory / "pytest.ini").write_text(SUITE_INI)
    path = directory / "test_matrix_downstream.py"
    chosen = list(auth) if auth else None
    path.write_text((DIRECT_SUITE if direct else FIXTURE_SUITE).format(auth=chosen))
    return path


_SUMMARY = re.compile(r"(\d+) (passed|failed|error|errors|skipped)")
_DURATION = re.compile(r" in ([\d.]+)s\b")


@dataclass
class SuiteRun:
    """One run of the suite: pytest's own duration (its "in N s"), the process's wall time,
    and the CPU time (user + system) of the process and its xdist workers: the figure a
    neighbour's load on a shared machine moves least."""

    test_time: float
    wall: float
    cpu: float
    summary: str
    ok: bool


def suite_env(pycache: Path) -> dict[str, str]:
    """The environment of a downstream run as on a developer's machine: bytecode cached.

    Written under ``pycache`` (PYTHONPYCACHEPREFIX), never next to the sources, and read
    back from the second run on, pytest's rewritten modules included. A machine that sets
    PYTHONDONTWRITEBYTECODE recompiles every module at every run instead: that is what the
    first (untimed) run of each mode shows.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def run_suite(
    directory: Path, extra: Sequence[str], size: int, env: dict[str, str] | None = None
) -> SuiteRun:
    # A basetemp of its own: pytest would otherwise also tidy the machine's shared
    # /tmp/pytest-of-<user>, other projects' leftovers included, inside the timed run.
    basetemp = directory.parent / "basetemp"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        f"--basetemp={basetemp}",
        *extra,
        "test_matrix_downstream.py",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, check=False, env=env
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else f"exit {result.returncode}"
    duration = _DURATION.search(summary)
    ok = result.returncode == 0 and summary.startswith(f"{size} passed") and duration is not None
    if not ok:
        summary = f"exit {result.returncode}: {summary} {result.stderr.strip()[-200:]}"
    return SuiteRun(float(duration.group(1)) if duration else wall, wall, cpu, summary, ok)


def bench_matrix(cfg: Settings, report: Report) -> None:
    """Serial and ``-n 2`` back to back in each round (alternating which goes first), each
    in two settings: the environment as it is, and with bytecode cached.

    "Test time" is pytest's own figure, from the start of the session (collection included;
    under xdist, the workers' start too) to its summary line; the wall time of the whole
    ``pytest`` process (interpreter and plugin start-up included) and its CPU time are in
    the notes. The two settings differ where the environment never writes bytecode
    (PYTHONDONTWRITEBYTECODE, as on this machine): every run then compiles every module it
    imports, inside its test time; with bytecode cached (:func:`suite_env`), as on most
    developers' machines, only the first run does (an untimed one fills the cache).
    """
    size = len(fake_scenarios.select(fake_scenarios.matrix(), auth=cfg.matrix_auth))
    how = "matrix() + Scenario.run()" if cfg.matrix_direct else "fake_scenario fixture"
    if cfg.matrix_auth:
        how += f"; auth modes {', '.join(cfg.matrix_auth)}"
    print(
        f"(5) matrix of {size} scenarios as a pytest suite ({how}), {cfg.matrix_rounds} rounds",
        flush=True,
    )
    modes = {"serial": ["-p", "no:xdist"], "-n 2": ["-n", "2"]}
    settings = ("as is", "bytecode cached")
    runs: dict[tuple[str, str], list[SuiteRun]] = {
        (setting, mode): [] for setting in settings for mode in modes
    }
    with tempfile.TemporaryDirectory(prefix="fakeserver-bench-") as tmp:
        directory = Path(tmp) / "project"
        directory.mkdir()
        write_suite(directory, cfg.matrix_direct, cfg.matrix_auth)
        envs: dict[str, dict[str, str] | None] = {
            "as is": None,
            "bytecode cached": suite_env(Path(tmp) / "pycache"),
        }
        fill = [
            run_suite(directory, extra, size, envs["bytecode cached"]) for extra in modes.values()
        ]
        for index in range(cfg.matrix_rounds):
            order = list(runs) if _round_order(index) else list(reversed(runs))
            for setting, mode in order:
                runs[setting, mode].append(run_suite(directory, modes[mode], size, envs[setting]))
    every = [*fill, *(run for key_runs in runs.values() for run in key_runs)]
    failed = [run.summary for run in every if not run.ok]
    for letters, setting in zip(("ab", "cd"), settings, strict=True):
        serial_runs, parallel_runs = runs[setting, "serial"], runs[setting, "-n 2"]
        serial = _median([run.test_time for run in serial_runs])
        parallel = _median([run.test_time for run in parallel_runs])
        ratio = _median(
            [p.test_time / s.test_time for p, s in zip(parallel_runs, serial_runs, strict=True)]
        )
        report.add(
            Row(
                f"5{letters[0]}. matrix suite, serial ({setting})",
                f"{serial:.2f} s",
                f"{size} scenarios",
                None,
                "<= 2 s",
                serial <= 2.0,
                error=bool(failed),
            )
        )
        report.add(
            Row(
                f"5{letters[1]}. matrix suite, -n 2 ({setting})",
                f"{parallel:.2f} s",
                f"serial {serial:.2f} s",
                ratio,
                "<= 1.0x serial",
                ratio <= 1.0,
                error=bool(failed),
            )
        )
    for (setting, mode), key_runs in runs.items():
        walls = ", ".join(f"{run.wall:.2f}" for run in key_runs)
        tests = ", ".join(f"{run.test_time:.2f}" for run in key_runs)
        cpus = ", ".join(f"{run.cpu:.2f}" for run in key_runs)
        report.notes.append(
            f"(5) {mode}, {setting}: test time {tests} s; wall time of the pytest process "
            f"{walls} s; CPU time of the pytest process (and workers) {cpus} s; "
            f"{key_runs[-1].summary}"
        )
    never = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "not set"
    report.notes.append(
        f"(5) PYTHONDONTWRITEBYTECODE is {never} here; hypothesis' pytest plugin is blocked "
        "in the suite (fakeserver's own test dependency, not a downstream one)"
    )
    report.notes.extend(f"(5) failed run: {summary}" for summary in failed)


# -- (7) what loading the plugin costs every pytest run ----------------------------------

#: Imports ``argv[2]`` in a fresh interpreter after ``argv[1]`` (if any) and prints seconds.
IMPORT_PROBE = """\
import sys, time
if sys.argv[1]:
    __import__(sys.argv[1])
started = time.perf_counter()
__import__(sys.argv[2])
print(time.perf_counter() - started)
"""
#: The reference: pytest-httpserver's pytest11 module, loaded in the same runs.
REFERENCE_PLUGIN = "pytest_httpserver.pytest_plugin"
#: faker, a dependency of fakeserver, registers a pytest11 module of its own that imports
#: faker: every pytest run of an environment with fakeserver installed loads it too.
FAKER_PLUGIN = "faker.contrib.pytest.plugin"


def import_time(module: str, after: str = "") -> float:
    """Seconds to import ``module`` in a fresh interpreter (``after`` imported first)."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE, after, module],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.split()[-1])


def bench_imports(cfg: Settings, report: Report) -> None:
    """Each pytest11 module in a fresh interpreter that has imported pytest (pytest loads a
    plugin, so pytest itself is nobody's cost), side by side, alternating which goes first."""
    rounds = cfg.import_rounds
    print(f"(7) plugin import, {rounds} fresh interpreters per side", flush=True)
    sides = {
        "fake": ("fakeserver.plugin", "pytest"),
        "ref": (REFERENCE_PLUGIN, "pytest"),
        "package": ("fakeserver", ""),
        "faker": (FAKER_PLUGIN, "pytest"),
    }
    times: dict[str, list[float]] = {side: [] for side in sides}
    for index in range(rounds):
        order = list(sides) if _round_order(index) else list(reversed(sides))
        for side in order:
            times[side].append(import_time(*sides[side]))
    reference = _ms(_median(times["ref"]))
    rows = (
        ("fake", "7a. plugin import (pytest11 module)", "<= 1.0x"),
        ("package", "7b. import fakeserver (alone)", "report"),
        ("faker", "7c. faker's pytest11 module", "report"),
    )
    for side, metric, target in rows:
        ratio = _median([t / r for t, r in zip(times[side], times["ref"], strict=True)])
        passed = ratio <= 1.0 if target != "report" else None
        report.add(Row(metric, _ms(_median(times[side])), reference, ratio, target, passed))
    report.notes.append(
        f"(7) fakeserver.plugin vs {REFERENCE_PLUGIN}, each in a fresh interpreter after "
        "`import pytest`; `import fakeserver` without pytest; (7c) faker, a dependency of "
        f"fakeserver, ships a pytest11 module ({FAKER_PLUGIN}) that imports faker: it loads "
        "in every pytest run of an environment with fakeserver installed (`-p no:faker` "
        "skips it when no test uses faker's own fixtures)"
    )


# -- (6) peak RSS -------------------------------------------------------------------------


FALLBACK_SERVER = """\
import json, signal, sys, threading
from fakeserver import FakeServer, SecurityConfig, ServerConfig, TableSpec, TlsConfig, User
from fakeserver.config import CubeSpec
users = (User("admin", "admin", roles={"ROLE_USER", "ROLE_ADMIN"}), User("user", "user"))
config = ServerConfig(
    security=SecurityConfig(users=users, tokens={"demo-token": "admin"}),
    tls=TlsConfig(),
    tables=(TableSpec("trades", {"id": "int", "trader": "String", "amount": "double",
                                 "day": "LocalDate"}, keys=("id",), generate=1000),),
    cubes=(CubeSpec("trades", "trades"),),
)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with FakeServer(config) as server:
    with open(sys.argv[1], "w") as f:
        json.dump({"url": server.url, "ca": server.ca_path}, f)
    stop.wait()
"""

REFERENCE_SERVER = """\
import json, logging, signal, sys, threading
from pytest_httpserver import HTTPServer
logging.getLogger("werkzeug").setLevel(logging.WARNING)  # as in the in-process measurements
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
server = HTTPServer(host="127.0.0.1", port=0)
server.expect_request("/versions/rest").respond_with_json({"version": 1})
with server:
    with open(sys.argv[1], "w") as f:
        json.dump({"url": server.url_for("/").rstrip("/"), "ca": None}, f)
    stop.wait()
"""


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/status (Linux only)")


def _peak_rss_kib(pid: int) -> int:
    return _status_kib(pid, "VmHWM")


def _rss_kib(pid: int) -> int:
    return _status_kib(pid, "VmRSS")


@contextmanager
def _served(
    command: Sequence[str], ready: Path, timeout: float = 20.0
) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    # stderr goes to a file, never a pipe: a server that logs every request would fill a
    # pipe nobody reads and block in the middle of an answer.
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=errors, stdin=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + timeout
            info: dict[str, Any] | None = None
            while time.monotonic() < deadline and process.poll() is None:
                if ready.exists() and ready.stat().st_size:
                    try:
                        info = json.loads(ready.read_text())
                        break
                    except ValueError:
                        pass  # half written
                time.sleep(0.02)
            if info is None:
                errors.seek(0)
                said = errors.read().decode(errors="replace").strip()[-300:]
                raise RuntimeError(f"{' '.join(command[1:4])} did not become ready: {said}")
            yield process, info
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@dataclass(frozen=True)
class Memory:
    peak_kib: int  # VmHWM after the warm-up requests
    growth_kib_per_1k: float  # VmRSS growth per 1,000 further requests


def measure_rss(command: Sequence[str], ready: Path, warm_up: int, more: int) -> Memory:
    """Peak RSS of a server process after ``warm_up`` GETs, and its growth over ``more``."""
    with _served(command, ready) as (process, info):
        verify: ssl.SSLContext | bool = False
        if info.get("ca"):
            verify = ssl.create_default_context(cafile=info["ca"])
        url = str(info["url"]) + VERSIONS_PATH
        with httpx.Client(verify=verify) as http:
            for _ in range(warm_up):
                http.get(url).raise_for_status()
            peak = _peak_rss_kib(process.pid)
            before = _rss_kib(process.pid)
            for _ in range(more):
                http.get(url).raise_for_status()
            after = _rss_kib(process.pid)
        return Memory(peak, (after - before) * 1000 / more if more else 0.0)


def bench_rss(cfg: Settings, report: Report) -> None:
    print("(6) peak RSS of a served process", flush=True)
    warm_up, more = 50, (500 if cfg.quick else 2000)
    with tempfile.TemporaryDirectory(prefix="fakeserver-rss-") as tmp:
        ready = Path(tmp) / "ready.json"
        serve = [sys.executable, "-m", "fakeserver", "serve", "--port", "0"]
        serve += ["--ready-file", str(ready)]
        label = "`fakeserver serve`, default config"
        try:
            ours = measure_rss(serve, ready, warm_up, more)
        except RuntimeError as error:
            report.notes.append(
                f"(6) `fakeserver serve --port 0 --ready-file F` is not usable yet ({error}); "
                "measured a python process running one FakeServer with a comparable config "
                "instead: HTTPS, 2 demo users + a token, one 1,000-row faker table and a cube"
            )
            ready.unlink(missing_ok=True)
            script = Path(tmp) / "fallback_server.py"
            script.write_text(FALLBACK_SERVER)
            ours = measure_rss([sys.executable, str(script), str(ready)], ready, warm_up, more)
            label = "FakeServer process (fallback)"
        ready.unlink(missing_ok=True)
        script = Path(tmp) / "reference_server.py"
        script.write_text(REFERENCE_SERVER)
        reference = measure_rss([sys.executable, str(script), str(ready)], ready, warm_up, more)
    report.add(
        Row(
            f"6a. peak RSS, {label}",
            f"{ours.peak_kib / 1024:.1f} MiB",
            f"{reference.peak_kib / 1024:.1f} MiB",
            ours.peak_kib / reference.peak_kib,
            "report",
            None,
        )
    )
    report.add(
        Row(
            "6b. RSS growth per 1,000 requests",
            f"{ours.growth_kib_per_1k:,.0f} KiB",
            f"{reference.growth_kib_per_1k:,.0f} KiB",
            None,
            "report",
            None,
        )
    )
    report.notes.append(
        f"(6) after {warm_up} requests, then VmRSS over {more} more; the reference is a "
        "python process serving one pytest-httpserver HTTPServer (plain HTTP, one handler)"
    )


# -- machine and main ---------------------------------------------------------------------


def machine() -> list[str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for name in ("fakeserver", "werkzeug", "pytest-httpserver", "httpx", "httptools", "trustme"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} ?")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"machine: {os.cpu_count()} cpus, {cpu}, {platform.system()} {platform.release()}",
        f"python: {platform.python_implementation()} {platform.python_version()}",
        f"packages: {', '.join(versions)}",
        f"load average at start: {load}",
    ]


def print_table(report: Report) -> None:
    headers = ("metric", "fakeserver", "reference", "ratio", "target", "result")
    lines = [
        (r.metric, r.value, r.reference, _ratio(r.ratio), r.target, r.verdict) for r in report.rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print(fmt(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in lines:
        print(fmt(line))


SECTIONS = ("lifecycle", "plain", "https", "scenario", "matrix", "rss", "imports")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="rounds per comparison; the median is reported (default 7, quick 3)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds and requests")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only these measurements (repeatable)"
    )
    parser.add_argument(
        "--matrix-direct",
        action="store_true",
        help="(5): run the matrix as matrix() + Scenario.run() in a parametrized test "
        "instead of through the plugin's fake_scenario fixture",
    )
    parser.add_argument(
        "--matrix-auth",
        action="append",
        metavar="MODE",
        choices=list(fake_scenarios.AUTH_MODES),
        help="(5): only the scenarios of this authentication mode (repeatable; default: all)",
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    cfg = settings(args)
    only = set(args.only or SECTIONS)
    # werkzeug logs every request of pytest-httpserver to stderr; silence it so the
    # reference is not slowed by our terminal (this only makes the reference faster).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    header = machine()
    for line in header:
        print(line)
    print(f"rounds: {cfg.rounds}{' (quick)' if cfg.quick else ''}", flush=True)
    report = Report()
    tls = Tls.make()
    started = time.perf_counter()
    # One pooled client for everything, plain and HTTPS (SPEC §7: share SSL contexts).
    with httpx.Client(verify=tls.client_context, timeout=30.0) as http:
        with FakeServer() as probe:
            body = http.get(probe.url + VERSIONS_PATH).content

        def plain() -> None:
            with FakeServer() as fake, reference_server(body) as ref:
                bench_rate_row(http, fake, ref, cfg, report, https=False)

        def https() -> None:
            with (
                FakeServer(ServerConfig(tls=TlsConfig())) as fake,
                reference_server(body, tls.server_context) as ref,
            ):
                tls.trust(fake.ca_path)
                bench_rate_row(http, fake, ref, cfg, report, https=True)

        sections: dict[str, Callable[[], None]] = {
            "lifecycle": lambda: bench_lifecycle(http, body, cfg, report),
            "plain": plain,
            "https": https,
            "scenario": lambda: bench_scenario(http, body, cfg, report),
            "matrix": lambda: bench_matrix(cfg, report),
            "rss": lambda: bench_rss(cfg, report),
            "imports": lambda: bench_imports(cfg, report),
        }
        for name, section in sections.items():
            if name not in only:
                continue
            try:
                section()
            except Exception as error:  # a report: one broken section must not hide the rest
                report.add(Row(name, "-", "-", None, "-", False, error=True))
                report.notes.append(f"({name}) failed: {type(error).__name__}: {error}")
    elapsed = time.perf_counter() - started
    print()
    for line in header:
        print(line)
    print(
        f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"benchmark took {elapsed:.0f} s; medians of {cfg.rounds} rounds "
        f"({cfg.matrix_rounds} for the matrix suite)"
    )
    print()
    print_table(report)
    if report.notes:
        print()
        for note in report.notes:
            print(f"- {note}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "machine": header,
                    "rounds": cfg.rounds,
                    "rows": [dataclasses.asdict(r) | {"verdict": r.verdict} for r in report.rows],
                    "notes": report.notes,
                },
                indent=2,
            )
        )
    missed = [r for r in report.rows if r.passed is False]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
