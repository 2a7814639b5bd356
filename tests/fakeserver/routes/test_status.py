"""The status page's routes (``fakeserver.routes.status``) over real sockets: off unless
configured, ROLE_ADMIN when secured, actions refused across origins, nothing secret answered."""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Iterator
from html.parser import HTMLParser

import httpx
import pytest

from fakeserver import FakeServer, SecurityConfig, ServerConfig, TableSpec, TlsConfig, User
from fakeserver.app import Emulation
from fakeserver.config import Fault
from fakeserver.protocol import ATOTI_PATH, PIVOT_PATH, STATUS_PREFIX
from fakeserver.state import ServerState

from ..wire import assert_error

ADMIN = User("root", "root-secret-pw", roles=frozenset({"ROLE_USER", "ROLE_ADMIN"}))
PLAIN = User("viewer", "viewer-secret-pw")
TOKEN = "token-secret-0123"
SECURITY = SecurityConfig(users=(ADMIN, PLAIN), tokens={TOKEN: "root"})
TABLE = TableSpec("trades", {"id": "long", "desk": "String"}, keys=("id",), generate=12)
NOTHING = "/nothing-here"
CONFIG = ServerConfig(
    security=SECURITY,
    tables=(TABLE,),
    status_page=True,
    faults=(Fault("error", path=NOTHING, status=502),),
)
PAGE = f"{STATUS_PREFIX}/"
API = f"{STATUS_PREFIX}/api"
READS = [PAGE, f"{STATUS_PREFIX}/assets/status.js", f"{STATUS_PREFIX}/assets/status.css"]
READS += [f"{API}/status", f"{API}/requests"]
ACTIONS = [f"{API}/reset", f"{API}/faults/0"]  # restart has its own test: it takes a while


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(CONFIG, log_limit=50) as running:
        yield running


def trust(server: FakeServer) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=server.ca_path) if server.ca_path else True


def as_admin(server: FakeServer) -> httpx.Client:
    auth = (ADMIN.name, ADMIN.password)
    return httpx.Client(base_url=server.url, auth=auth, verify=trust(server))


def rows(server: FakeServer) -> int:
    return len(server.state.tables["trades"])


def append_row(http: httpx.Client) -> None:
    answer = http.post(f"{ATOTI_PATH}/tables/trades/rows", json={"rows": [[999, "extra"]]})
    assert answer.status_code == 200, answer.text


# -- off unless configured -----------------------------------------------------------------


@pytest.mark.parametrize("path", READS + ACTIONS)
def test_off_by_default_the_paths_are_unknown(path: str) -> None:
    method = "POST" if path in ACTIONS else "GET"
    with FakeServer(CONFIG.replace(status_page=False)) as server, as_admin(server) as http:
        assert_error(http.request(method, path), 404, path)
        anonymous = httpx.request(method, server.url + path)
        assert_error(anonymous, 401, path)  # asks who you are first, like any unknown path
    with FakeServer() as unsecured:
        assert_error(httpx.request(method, unsecured.url + path), 404, path)


# -- who may look ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", READS)
def test_secured_reads_need_role_admin(server: FakeServer, path: str) -> None:
    refused = httpx.get(server.url + path)
    assert_error(refused, 401, path)
    assert 'Basic realm="fakeserver"' in refused.headers.get_list("www-authenticate")
    plain = httpx.get(server.url + path, auth=(PLAIN.name, PLAIN.password))
    assert_error(plain, 403, path)
    with as_admin(server) as http:
        assert http.get(path).status_code == 200
    by_token = httpx.get(server.url + path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert by_token.status_code == 200


@pytest.mark.parametrize("path", ACTIONS)
def test_secured_actions_need_role_admin_and_change_nothing_otherwise(
    server: FakeServer, path: str
) -> None:
    with as_admin(server) as http:
        append_row(http)
    for auth in (None, (PLAIN.name, PLAIN.password), (ADMIN.name, "wrong")):
        answer = httpx.post(server.url + path, auth=auth, json={"enabled": False})
        assert answer.status_code in (401, 403)
    assert rows(server) == 13
    assert server.emulation.faults.states()[0].enabled


def test_unsecured_anyone_may_look_and_act() -> None:
    with FakeServer(ServerConfig(status_page=True, tables=(TABLE,))) as server:
        for path in READS:
            assert httpx.get(server.url + path).status_code == 200, path
        assert httpx.post(server.url + f"{API}/reset").json() == {"done": "reset"}


# -- the page --------------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value or "" for name, value in attrs if name in ("src", "href")]


def test_the_page_loads_only_its_own_assets_and_forbids_everything_else(
    server: FakeServer,
) -> None:
    with as_admin(server) as http:
        page = http.get(PAGE)
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        policy = page.headers["content-security-policy"]
        for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"):
            assert directive in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["cache-control"] == "no-store"
        parser = _Links()
        parser.feed(page.text)
        assert parser.links, "the parser found the page's links"
        for link in parser.links:
            assert link.startswith(f"{STATUS_PREFIX}/assets/") or link.startswith("data:"), link
            if link.startswith("/"):
                assert http.get(link).status_code == 200, link
        script = http.get(f"{STATUS_PREFIX}/assets/status.js")
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        css = http.get(f"{STATUS_PREFIX}/assets/status.css")
        assert css.headers["content-type"] == "text/css; charset=utf-8"
        # Works offline: nothing in it points at another host.
        for text in (page.text, script.text, css.text):
            assert not re.search(r"(https?:)?//[a-z0-9]", text, re.IGNORECASE)
            assert "@import" not in text
        # Rendering never turns data into markup.
        assert not re.search(
            r"\.(inner|outer)HTML|insertAdjacentHTML|document\.write|eval\(", script.text
        )
        path = f"{STATUS_PREFIX}/assets/status.py"
        assert_error(http.get(path), 404, path)
        path = f"{STATUS_PREFIX}/assets/..%2f..%2fconfig.py"
        assert http.get(path).status_code == 404


def test_the_page_answers_only_under_its_own_address(server: FakeServer) -> None:
    with as_admin(server) as http:
        for path in (PAGE, f"{API}/status"):
            rebound = http.get(path, headers={"Host": f"attacker.example:{server.port}"})
            assert_error(rebound, 403, path)
            assert http.get(path, headers={"Host": f"localhost:{server.port}"}).status_code == 200
        rebound = http.post(f"{API}/reset", headers={"Host": "attacker.example"})
        assert_error(rebound, 403, f"{API}/reset")


# -- the JSON ----------------------------------------------------------------------------------


def test_the_status_follows_the_expected_client_versions(server: FakeServer) -> None:
    with as_admin(server) as http:
        default = http.get(f"{API}/status").json()
        newer = http.get(
            f"{API}/status", params={"server_version": "6.1.3", "python_api_version": "0.9.3"}
        ).json()
        for query, message in [
            ({"server_version": "six"}, "server_version: 'six' is not a version string"),
            ({"python_api_version": "0.9.2; drop"}, "python_api_version:"),
            ({"server_version": "6" * 65}, "at most 64 characters"),
        ]:
            refused = http.get(f"{API}/status", params=query)
            assert message in str(assert_error(refused, 400, f"{API}/status")["error"])
    tiers = {row["who"]: row["tier"] for row in default["tiers"]}
    assert tiers == {"root": "LOCAL", "viewer": "READ_ONLY", None: None}
    tiers = {row["who"]: row["tier"] for row in newer["tiers"]}
    assert tiers == {"root": "MINIMAL", "viewer": "MINIMAL", None: None}
    assert newer["client"]["python_api_version"] == "0.9.3"


def test_the_request_log_lists_requests_but_not_the_pages_own_reads(server: FakeServer) -> None:
    with as_admin(server) as http:
        for path in READS:
            http.get(path)
        http.get(f"{PIVOT_PATH}/ping")
        http.get("/no-such-path")
        http.post(f"{API}/reset")
        listed = http.get(f"{API}/requests").json()
        paths = [(r["method"], r["path"], r["status"], r["user"]) for r in listed["requests"]]
        assert paths == [
            ("POST", f"{API}/reset", 200, "root"),
            ("GET", "/no-such-path", 404, None),  # authenticated, but no route to log it
            ("GET", f"{PIVOT_PATH}/ping", 200, "root"),
        ]
        ids = [r["id"] for r in listed["requests"]]
        assert ids == sorted(ids, reverse=True) and listed["latest"] == ids[0]
        http.get("/other")
        newer = http.get(f"{API}/requests", params={"after": listed["latest"]}).json()
        assert [r["path"] for r in newer["requests"]] == ["/other"]
        errors = http.get(f"{API}/requests", params={"status": "4xx"}).json()
        assert [r["path"] for r in errors["requests"]] == ["/other", "/no-such-path"]
        one = http.get(f"{API}/requests", params={"limit": "1"}).json()
        assert len(one["requests"]) == 1
    assert len(server.log) == 4, "the page's reads are not in the server's log either"


def test_the_log_stays_bounded_and_keeps_counting(server: FakeServer) -> None:
    with as_admin(server) as http:
        for _ in range(60):
            http.get(f"{PIVOT_PATH}/ping")
        listed = http.get(f"{API}/requests", params={"limit": "500"}).json()
    assert listed["kept"] == len(listed["requests"]) == 50
    assert [r["id"] for r in listed["requests"]] == list(range(60, 10, -1))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"status": "6xx"}, "status must be a class"),
        ({"status": "<script>"}, "status must be a class"),
        ({"after": "-1"}, "after must be a whole number"),
        ({"after": "1e3"}, "after must be a whole number"),
        ({"limit": "501"}, "limit must be a whole number from 0 to 500"),
        ({"limit": "9" * 40}, "limit must be a whole number"),
    ],
)
def test_bad_log_queries_are_400(server: FakeServer, query: dict[str, str], message: str) -> None:
    with as_admin(server) as http:
        body = assert_error(http.get(f"{API}/requests", params=query), 400, f"{API}/requests")
    assert message in str(body["error"])


# -- actions -------------------------------------------------------------------------------------


def test_reset_brings_the_data_back_to_the_baseline_and_keeps_the_log(server: FakeServer) -> None:
    with as_admin(server) as http:
        append_row(http)
        assert rows(server) == 13
        assert http.post(f"{API}/reset").json() == {"done": "reset"}
        assert rows(server) == 12
        assert len(server.log) == 2, "the log is kept"


def test_faults_toggle_off_and_on(server: FakeServer) -> None:
    with as_admin(server) as http:
        assert http.get(NOTHING).status_code == 502
        path = f"{API}/faults/0"
        assert http.post(path, json={"enabled": False}).json() == {"index": 0, "enabled": False}
        assert http.get(NOTHING).status_code == 404
        faults = http.get(f"{API}/status").json()["faults"]
        assert [(f["enabled"], f["fired"]) for f in faults] == [(False, 1)]
        assert http.post(path, json={"enabled": True}).status_code == 200
        assert http.get(NOTHING).status_code == 502
        assert_error(http.post(f"{API}/faults/1", json={"enabled": False}), 404, f"{API}/faults/1")
        for body in ({"enabled": "no"}, {}, {"enabled": None}):
            assert_error(http.post(path, json=body), 400, path)
        assert_error(http.post(path, content=b"[1]", headers=JSON), 400, path)
        assert_error(http.post(path, content=b"{", headers=JSON), 400, path)
        plain = http.post(
            path, content=b'{"enabled": false}', headers={"Content-Type": "text/plain"}
        )
        assert_error(plain, 415, path)
        assert server.emulation.faults.states()[0].enabled, "no refused request switched it"


JSON = {"Content-Type": "application/json"}


def test_restart_answers_first_then_restarts_on_the_same_url(server: FakeServer) -> None:
    url = server.url
    with as_admin(server) as http:
        append_row(http)
        http.post(f"{API}/faults/0", json={"enabled": False})
        answer = http.post(f"{API}/restart")
        assert (answer.status_code, answer.json()) == (202, {"done": "restart"})
    deadline = time.monotonic() + 10  # only keeps a broken build from hanging
    while rows(server) != 12 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rows(server) == 12, "restarted as the baseline"
    with as_admin(server) as http:
        while time.monotonic() < deadline:
            try:
                if http.get(NOTHING).status_code == 502:  # faults on again
                    break
            except httpx.TransportError:
                time.sleep(0.02)
        assert http.get(NOTHING).status_code == 502
    assert server.url == url and server.is_running()


def test_a_restart_asked_before_a_stop_does_not_start_it_again() -> None:
    server = FakeServer(CONFIG)
    server.start()
    server.emulation.console.restart_later()  # type: ignore[union-attr]
    server.stop()
    time.sleep(0.3)  # the restart thread's own wait
    assert not server.is_running()


# -- cross-origin ----------------------------------------------------------------------------


CROSS = [
    {"Origin": "http://attacker.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "SELF"},  # a forged Origin does not help
    {"Origin": "http://127.0.0.1:1"},  # another port is another origin
    {"Origin": "SELF-AS-HTTPS"},  # another scheme too
    {"Origin": "http://localhost"},
]


def _headers(server: FakeServer, headers: dict[str, str]) -> dict[str, str]:
    """``SELF`` stands for the server's own origin."""
    https = server.url.replace("http://", "https://")
    return {
        name: value.replace("SELF-AS-HTTPS", https).replace("SELF", server.url)
        for name, value in headers.items()
    }


@pytest.mark.parametrize("headers", CROSS, ids=lambda h: ",".join(f"{k}={v}" for k, v in h.items()))
@pytest.mark.parametrize("path", ACTIONS)
def test_cross_origin_actions_are_refused(
    server: FakeServer, path: str, headers: dict[str, str]
) -> None:
    with as_admin(server) as http:
        append_row(http)
        refused = http.post(path, json={"enabled": False}, headers=_headers(server, headers))
        assert "cross-origin" in str(assert_error(refused, 403, path)["error"])
    assert rows(server) == 13, "the reset did not happen"
    assert server.emulation.faults.states()[0].enabled, "the toggle did not happen"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, httpx: no browser headers at all
        {"Origin": "SELF"},
        {"Sec-Fetch-Site": "same-origin", "Origin": "SELF"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
    ],
    ids=["no-browser", "origin", "both", "sec-fetch-site", "typed"],
)
def test_same_origin_actions_pass(server: FakeServer, headers: dict[str, str]) -> None:
    with as_admin(server) as http:
        append_row(http)
        assert http.post(f"{API}/reset", headers=_headers(server, headers)).status_code == 200
        toggle = http.post(
            f"{API}/faults/0", json={"enabled": False}, headers=_headers(server, headers)
        )
        assert toggle.status_code == 200
    assert rows(server) == 12
    assert not server.emulation.faults.states()[0].enabled


def test_cross_site_reads_are_refused_but_a_link_to_the_page_works(server: FakeServer) -> None:
    cross = {"Sec-Fetch-Site": "cross-site"}
    with as_admin(server) as http:
        for path in READS[1:]:
            assert_error(http.get(path, headers=cross), 403, path)
        assert http.get(PAGE, headers={**cross, "Sec-Fetch-Mode": "navigate"}).status_code == 200


# -- secrets -----------------------------------------------------------------------------------


def test_no_answer_holds_a_secret() -> None:
    config = CONFIG.replace(tls=TlsConfig("optional"))
    with FakeServer(config) as server, as_admin(server) as http:
        cert, key = server.client_certificate(ADMIN.name)
        secrets = [ADMIN.password, PLAIN.password, TOKEN, key, cert]
        http.get(f"{PIVOT_PATH}/ping", headers={"X-Note": ADMIN.password})
        httpx.get(server.url + PAGE, auth=(ADMIN.name, "wrong-but-logged"), verify=trust(server))
        answers = [http.get(path) for path in READS]
        answers.append(http.get(f"{API}/requests", params={"status": "4xx"}))
        answers += [http.post(f"{API}/reset"), http.post(f"{API}/faults/0", json={"enabled": True})]
        answers.append(http.post(f"{API}/reset", headers={"Origin": "http://attacker.example"}))
        assert [a.status_code for a in answers] == [200] * 8 + [403]
        for answer in answers:
            for secret in secrets:
                assert secret not in answer.text, (answer.url, secret)
        assert server.ca_path is not None and server.ca_path in answers[3].text


# -- without a running server ----------------------------------------------------------------


def test_the_emulation_alone_shows_its_status_but_cannot_act() -> None:
    emulation = Emulation(ServerState(ServerConfig(status_page=True)))
    transport = httpx.WSGITransport(app=emulation)
    with httpx.Client(transport=transport, base_url="http://127.0.0.1") as http:
        status = http.get(f"{API}/status").json()
        assert status["target"]["url"] is None and status["faults"] == []
        assert http.get(f"{API}/requests").json()["requests"] == []
        assert_error(http.post(f"{API}/reset"), 501, f"{API}/reset")
