"""Make the documentation's pictures: the status page and the matrix grid.

    python docs/screenshots.py

Needs what ``tox -e browser`` needs: ``pip install 'fakeserver[browser]'`` and Debian's
``chromium`` and ``chromium-driver``. It starts ``fakeserver serve`` (the demo target, with
a fault), sends a few requests so the log has something to show, opens the status page in
headless Chromium and saves ``docs/images/status-page.png``; then it writes what
``fakeserver matrix --format grid`` shows in a 120-column terminal to
``docs/images/matrix-grid.txt``.
"""

from __future__ import annotations

import base64
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
sys.path.insert(0, str(ROOT))  # the browser tests' Chromium setup and terminal helper

from tests.browser.conftest import start_chromium  # noqa: E402
from tests.fakeserver.cli.command import on_a_terminal, serve  # noqa: E402

WIDTH = 1280


def _traffic(url: str) -> None:
    """A few requests of every kind, so the log shows what a session does."""
    with httpx.Client(base_url=url, auth=("admin", "passwd")) as http:
        http.get("/versions/rest")
        http.get("/activeviam/pivot/rest/v9/ping")
        http.get("/atoti/rest/v1/session")
        http.post(
            "/activeviam/pivot/rest/v9/database/data/tables/trades?pageSize=5",
            json={"branch": None, "conditions": {"desk": {"$eq": "rates"}}, "fields": []},
        )
        http.post(
            "/atoti/rest/v1/tables/products/rows", json={"rows": [["widget", "tools", "EUR"]]}
        )
        http.get("/activeviam/pivot/rest/v9/flaky")
    httpx.get(url + "/activeviam/pivot/rest/v9/ping", auth=("user", "wrong"))
    httpx.get(url + "/atoti/rest/v1/tables", auth=("user", "passwd"))


def status_page() -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        with serve(Path(scratch), "--fault", "error:*/flaky:status=503") as served:
            _traffic(served.url)
            driver = start_chromium(
                Path(scratch) / "profile", "--hide-scrollbars", f"--window-size={WIDTH},1000"
            )
            try:
                scheme, rest = served.url.split("://")
                driver.get(f"{scheme}://admin:passwd@{rest}/_fakeserver/")
                deadline = time.monotonic() + 20
                while not driver.execute_script("return document.body.dataset.loaded"):
                    if time.monotonic() > deadline:
                        raise SystemExit("the page never loaded its data")
                    time.sleep(0.1)
                time.sleep(1.5)  # one more poll of the request log
                height = driver.execute_script("return document.documentElement.scrollHeight")
                shot = driver.execute_cdp_cmd(
                    "Page.captureScreenshot",
                    {
                        "captureBeyondViewport": True,
                        "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
                    },
                )
            finally:
                driver.quit()
    target = IMAGES / "status-page.png"
    target.write_bytes(base64.b64decode(shot["data"]))
    return target


def matrix_grid() -> Path:
    """The grid as a 120-column terminal shows it (a pseudo-terminal, colour off)."""
    environment = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    target = IMAGES / "matrix-grid.txt"
    target.write_text(on_a_terminal(["matrix", "--format", "grid"], environment), "utf-8")
    return target


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    for made in (status_page(), matrix_grid()):
        print(f"wrote {made}")


if __name__ == "__main__":
    main()
