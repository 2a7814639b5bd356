"""A real headless Chromium driven by Selenium, for the status page.

Debian's ``chromium`` and ``chromium-driver`` packages, never a browser downloaded at run
time: Selenium is pointed at the system chromedriver, so Selenium Manager fetches nothing.
Without them (or without Selenium) the tests are skipped, saying why, except where
``FAKESERVER_BROWSER_REQUIRED=1`` (set by ``.ci/run``, which installs them) makes that a
failure, so CI cannot pass by skipping them. A failing test leaves a screenshot, named in
its report.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from _pytest._code.code import ExceptionRepr

from ..fakeserver.cli.command import ENV

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = os.environ.get("FAKESERVER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("FAKESERVER_CHROMEDRIVER", "/usr/bin/chromedriver")
#: What keeps Chromium off the network (this machine has none) and out of the way.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
_DRIVER = pytest.StashKey["tuple[WebDriver, Path]"]()


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install 'fakeserver[browser]')"
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f"{path} is missing (apt-get install {package})"
    return None


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A served command's temp files (its CA) go under this test's own directory."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setitem(ENV, "TMPDIR", str(private))


@pytest.fixture(scope="session")
def chromium() -> Iterator[None]:
    """Skip without a browser; fail instead where the browser tests are required."""
    missing = _missing()
    if missing is not None:
        if os.environ.get("FAKESERVER_BROWSER_REQUIRED") == "1":
            pytest.fail(f"the browser tests are required here, but {missing}", pytrace=False)
        pytest.skip(missing)
    yield


def start_chromium(profile: Path, *flags: str) -> WebDriver:
    """Headless Chromium with a fresh ``profile`` directory, driven through the system's
    chromedriver (also what ``docs/screenshots.py`` uses)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.accept_insecure_certs = True  # the fake's CA is made at run time
    browser = webdriver.Chrome(
        service=Service(executable_path=CHROMEDRIVER, env=ENV), options=options
    )
    browser.set_page_load_timeout(30)
    return browser


@pytest.fixture(scope="module")
def driver(chromium: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium per module, with a fresh profile."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    browser = start_chromium(profile, "--window-size=1400,1800")
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def page(
    driver: WebDriver, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> WebDriver:
    """The module's browser, for this test (and its screenshot, should it fail).

    Screenshots go to ``FAKESERVER_SCREENSHOTS`` (tox: the env's tmp dir) or pytest's
    base temp dir.
    """
    configured = os.environ.get("FAKESERVER_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.getbasetemp() / "screenshots"
    request.node.stash[_DRIVER] = (driver, folder)
    return driver


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    seen = item.stash.get(_DRIVER, None)
    if report.failed and report.when == "call" and seen is not None:
        browser, folder = seen
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name) + ".png")
        try:
            browser.save_screenshot(str(path))
            note = f"screenshot of the page at failure: {path}"
        except Exception as error:  # the browser itself may be what failed
            note = f"no screenshot ({type(error).__name__}: {error})"
        longrepr = report.longrepr
        if isinstance(longrepr, ExceptionRepr):
            longrepr.addsection("browser", note)  # printed with the failure itself
        else:
            report.sections.append(("browser", note))
    return report
