"""The status page in a real browser, served by a real ``fakeserver serve`` process.

Each test starts the command (``--port 0 --ready-file``), opens the page in headless
Chromium and checks what a person would see against the thin client and the wire: the
tier map agrees with what ``fakeserver_client`` decides for each credential, requests show
up live, reset and restart bring the data back, faults toggle, markup in data stays text,
nothing secret is rendered, and another origin's page cannot drive the actions. Waits are
bounded (they only keep a broken build from hanging); nothing asserts on durations.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

import httpx
import pytest

import fakeserver_client as client

from ..fakeserver.cli.command import Served, serve

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

T = TypeVar("T")
PAGE = "/_fakeserver/"
ADMIN = ("admin", "passwd")  # the demo's published credentials
WAIT = 20.0

# What the page shows, read from its DOM in one call.
TIER_MAP_JS = """
return [...document.querySelectorAll('#tier-map tbody tr')].map(tr => ({
  who: tr.dataset.who,
  tier: tr.querySelector('td.tier').dataset.tier,
  error: tr.querySelector('td.tier').dataset.error || null,
  conditions: Object.fromEntries([...tr.querySelectorAll('td.condition')].map(
    td => [td.dataset.key, JSON.parse(td.dataset.value)])),
  capabilities: tr.querySelector('td.capabilities').dataset.capabilities,
}));
"""
LOG_JS = """
return [...document.querySelectorAll('#request-log tbody tr')].map(tr => ({
  path: tr.querySelector('td.path').textContent, status: Number(tr.dataset.status)}));
"""
ROWS_JS = """
const table = document.querySelector('details[data-table="' + arguments[0] + '"]');
return table ? Number(table.dataset.rows) : null;
"""


def eventually(probe: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:
    """Poll until ``probe`` returns something truthy; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except Exception:  # the page is between two renders, or the server restarting
            last = None
        if last:
            return last
        time.sleep(0.05)
    pytest.fail(f"the page never showed {what} (last seen: {last!r})")


def open_page(page: WebDriver, served: Served, credentials: tuple[str, str] | None) -> None:
    url = served.url
    if credentials is not None:  # Chromium takes them from the URL and sends Basic
        scheme, rest = url.split("://")
        url = f"{scheme}://{credentials[0]}:{credentials[1]}@{rest}"
    page.get(url + PAGE)
    eventually(lambda: page.execute_script("return document.body.dataset.loaded"), "its data")


def shown_tiers(page: WebDriver) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = page.execute_script(TIER_MAP_JS)
    return {row["who"]: row for row in rows}


def thin_client(
    served: Served, who: str | None, server_version: str = client.DEFAULT_SERVER_VERSION
) -> dict[str, Any] | str:
    """What the thin client decides with these credentials, in the page's terms."""
    auth = None if who is None else client.BasicAuthentication(who, "passwd")
    try:
        session = client.Session.connect(
            served.url, authentication=auth, server_version=server_version
        )
    except client.AuthenticationError:
        return "authentication"
    with session:
        return {
            "tier": session.tier.value,
            "conditions": session.conditions.as_dict(),
            "capabilities": " ".join(sorted(c.value for c in session.capabilities)),
        }


def as_shown(row: dict[str, Any]) -> dict[str, Any] | str:
    if row["error"]:
        return str(row["error"])
    return {
        "tier": row["tier"],
        "conditions": row["conditions"],
        "capabilities": " ".join(sorted(row["capabilities"].split())),
    }


def rows_of(page: WebDriver, table: str) -> int | None:
    value: int | None = page.execute_script(ROWS_JS, table)
    return value


def add_product(served: Served) -> None:
    answer = httpx.post(
        served.url + "/atoti/rest/v1/tables/products/rows",
        json={"rows": [["zz-added", "extra", "EUR"]]},
        auth=ADMIN,
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "flags",
    [(), ("--remote-host", "--server-version", "6.1.3")],
    ids=["demo", "remote-other-server"],
)
def test_the_tier_map_is_what_the_thin_client_decides(
    page: WebDriver, tmp_path: Path, flags: tuple[str, ...]
) -> None:
    with serve(tmp_path, *flags) as served:
        open_page(page, served, ADMIN)
        shown = shown_tiers(page)
        assert set(shown) == {"admin", "user", ""}, "each account, then anonymous"
        for who, row in shown.items():
            assert as_shown(row) == thin_client(served, who or None), who
        if not flags:
            assert shown["admin"]["tier"] == "LOCAL" and shown["user"]["tier"] == "READ_ONLY"
        else:
            # (e) fails for both, but REMOTE does not need it; READ_ONLY does.
            assert shown["admin"]["tier"] == "REMOTE" and shown["user"]["tier"] == "MINIMAL"
        # The client versions the page assumes can be changed; the map follows.
        version = page.find_element("id", "client-server-version")
        version.clear()
        version.send_keys("6.1.3")
        page.find_element("id", "apply-versions").click()
        eventually(
            lambda: all(
                as_shown(row) == thin_client(served, who or None, server_version="6.1.3")
                for who, row in shown_tiers(page).items()
            ),
            "the tier map for a client expecting 6.1.3",
        )
        # Offline: every resource the page loaded came from the server itself.
        loaded: list[str] = page.execute_script(
            "return performance.getEntriesByType('resource')"
            ".map(e => new URL(e.name).origin + new URL(e.name).pathname)"
        )
        assert loaded and all(name.startswith(served.url + "/_fakeserver/") for name in loaded)


def test_requests_show_up_live_and_filter_by_status(page: WebDriver, tmp_path: Path) -> None:
    with serve(tmp_path) as served:
        open_page(page, served, ADMIN)
        probe = f"/probe-{uuid.uuid4().hex[:8]}"
        with httpx.Client(base_url=served.url, auth=ADMIN) as http:
            assert http.get(probe).status_code == 404
            assert http.get("/activeviam/pivot/rest/v9/ping").status_code == 200
        log = eventually(
            lambda: [r for r in page.execute_script(LOG_JS) if r["path"] == probe],
            f"{probe} in the request log",
        )
        assert log == [{"path": probe, "status": 404}]
        first: list[dict[str, Any]] = page.execute_script(LOG_JS)
        assert first[0]["path"] == "/activeviam/pivot/rest/v9/ping", "newest first"
        page.find_element("css selector", "#status-filter option[value='4xx']").click()
        filtered = eventually(
            lambda: (
                (rows := page.execute_script(LOG_JS))
                and all(r["status"] // 100 == 4 for r in rows)
                and rows
            ),
            "only 4xx requests",
        )
        assert probe in [r["path"] for r in filtered]
        assert "/activeviam/pivot/rest/v9/ping" not in [r["path"] for r in filtered]


def test_reset_and_restart_bring_the_data_back(page: WebDriver, tmp_path: Path) -> None:
    with serve(tmp_path) as served:
        open_page(page, served, ADMIN)
        assert rows_of(page, "products") == 20
        add_product(served)
        eventually(lambda: rows_of(page, "products") == 21, "the added product")
        page.find_element("id", "reset").click()  # also refreshes at once
        eventually(lambda: rows_of(page, "products") == 20, "the products back to 20 rows")
        eventually(
            lambda: "reset to baseline: done" in page.find_element("id", "message").text,
            "the reset confirmed",
        )
        assert (
            httpx.get(served.url + "/_fakeserver/api/status", auth=ADMIN).json()["data"]["tables"][
                1
            ]["rows"]
            == 20
        )
        add_product(served)
        eventually(lambda: rows_of(page, "products") == 21, "the added product")
        page.find_element("id", "restart").click()
        eventually(lambda: rows_of(page, "products") == 20, "the baseline after a restart")
        eventually(
            lambda: page.find_element("id", "connection").text == "live", "the page live again"
        )
        assert served.process.poll() is None, "the same process, restarted in place"


@contextmanager
def elsewhere(html: str) -> Iterator[str]:
    """A page served from another origin (another port): what a hostile site would be."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


HOSTILE = """<!doctype html><title>hostile</title><script>
const target = %s;
const attempts = [
  fetch(target + "/_fakeserver/api/reset", {method: "POST", mode: "no-cors"}),
  fetch(target + "/_fakeserver/api/faults/0", {method: "POST", mode: "no-cors",
        headers: {"Content-Type": "text/plain"}, body: '{"enabled": false}'}),
  fetch(target + "/_fakeserver/api/restart", {method: "POST", mode: "no-cors"}),
];
Promise.allSettled(attempts).then(() => { document.title = "done"; });
</script>"""


def test_another_origins_page_cannot_act_but_the_page_itself_can(
    page: WebDriver, tmp_path: Path
) -> None:
    # Unsecured, so nothing but the origin check stands between that page and the actions.
    with serve(tmp_path, "--unsecured", "--fault", "error:/flaky:status=503") as served:
        with httpx.Client(base_url=served.url) as http:
            assert http.get("/flaky").status_code == 503
            created = http.post(
                "/atoti/rest/v1/tables",
                json={"name": "scratch", "columns": {"id": "int"}, "keys": ["id"]},
            )
            assert created.status_code == 403, "unsecured: the live extension refuses writes"
        with elsewhere(HOSTILE % json.dumps(served.url)) as hostile:
            page.get(hostile)
            eventually(lambda: page.title == "done", "the hostile page's attempts settle")
        listed = httpx.get(served.url + "/_fakeserver/api/requests").json()["requests"]
        actions = {
            r["path"]: r["status"]
            for r in listed
            if r["method"] == "POST" and r["path"].startswith("/_fakeserver/")
        }
        assert actions == {
            "/_fakeserver/api/reset": 403,
            "/_fakeserver/api/faults/0": 403,
            "/_fakeserver/api/restart": 403,
        }, "the browser sent them and the server refused them"
        assert httpx.get(served.url + "/flaky").status_code == 503, "the fault is still on"
        # The page itself may: switch the fault off with its checkbox.
        open_page(page, served, None)
        page.find_element("css selector", "input[data-fault='0']").click()
        eventually(lambda: httpx.get(served.url + "/flaky").status_code == 404, "the fault off")
        states = httpx.get(served.url + "/_fakeserver/api/status").json()["faults"]
        assert [f["enabled"] for f in states] == [False]


MARKUP = '<img src=x id="injected-img">'


def test_markup_in_data_and_paths_is_shown_as_text(page: WebDriver, tmp_path: Path) -> None:
    config = tmp_path / "target.toml"
    config.write_text(
        "[[tables]]\n"
        'name = "notes"\n'
        'columns = { id = "int", text = "String" }\n'
        'keys = ["id"]\n'
        f"rows = [[1, {json.dumps(MARKUP)}]]\n"
    )
    with serve(tmp_path, "--config", str(config), "--unsecured") as served:
        path = '/<b id="injected-path">bold</b>'
        assert httpx.get(served.url + quote(path)).status_code == 404
        open_page(page, served, None)
        eventually(lambda: any(r["path"] == path for r in page.execute_script(LOG_JS)), "the path")
        text = page.find_element("tag name", "body").text
        assert MARKUP in text and path in text, "shown as the characters they are"
        injected = page.execute_script(
            "return [document.getElementById('injected-img'), "
            "document.getElementById('injected-path')]"
        )
        assert injected == [None, None], "no element was made from data"


def test_nothing_secret_is_rendered(page: WebDriver, tmp_path: Path) -> None:
    flags = ["--user", "root:Sup3r-secret-pw:ADMIN", "--user", "viewer:An0ther-secret"]
    flags += ["--token", "tok-S3cret-value:root", "--client-certificate", "optional"]
    with serve(tmp_path, *flags, "--cert-dir", str(tmp_path / "certs")) as served:
        open_page(page, served, ("root", "Sup3r-secret-pw"))
        eventually(lambda: "viewer" in page.find_element("id", "users").text, "the users")
        rendered = page.page_source + page.find_element("tag name", "body").text
        keys = [c["key"] for c in served.ready["client_certificates"].values()]
        for secret in ("Sup3r-secret-pw", "An0ther-secret", "tok-S3cret-value", *keys):
            assert secret not in rendered, secret
        shown_ca = page.find_element("css selector", "dd[data-fact='ca_path']").text
        assert shown_ca in rendered and shown_ca.endswith(".pem"), "clients need the CA: shown"
        assert Path(shown_ca).read_bytes() == Path(served.ready["ca"]).read_bytes()
        assert "optional" in page.find_element("id", "security-facts").text


def test_many_users_are_shown_fifty_and_counted(page: WebDriver, tmp_path: Path) -> None:
    with serve(tmp_path) as served:  # the demo: admin, and a plain user
        users = {f"u{index:03}": "pw" for index in range(60)}
        answer = httpx.put(
            served.url + "/atoti/rest/v1/security/basic/credentials", json=users, auth=ADMIN
        )
        assert answer.status_code == 200, answer.text
        open_page(page, served, ADMIN)
        more = "… and 12 more users"  # 62 accounts, 50 shown
        eventually(lambda: more in page.find_element("id", "users").text, "the users' count")
        tier_rows = page.find_elements("css selector", "#tier-map tbody tr")
        assert len(tier_rows) == 52, "50 accounts, the count, anonymous"
        assert tier_rows[-2].text == more
        assert tier_rows[-1].get_attribute("data-who") == ""
