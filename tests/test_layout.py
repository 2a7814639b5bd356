"""The tests mirror the code: every module has a test file of its name, where one looks for it.

``fakeserver/x/y.py`` is tested in ``tests/fakeserver/x/test_y.py``; ``client/_y.py`` (the
package ``fakeserver_client``) in ``tests/client/test_y.py``. Suites that cross modules
live in ``tests/system/``. A module that truly needs no test file of its own is listed in
:data:`NO_TEST_FILE` with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
#: Source folder -> the test folder that mirrors it.
MIRRORS = {ROOT / "fakeserver": TESTS / "fakeserver", ROOT / "client": TESTS / "client"}

#: A package's ``__init__`` re-exports (pinned by test_public_api.py) or wires its modules
#: together: what it does is tested through them, or in a test file named for its job
#: (``cli/test_main.py``, ``routes/test_table.py``, ``mdx/test_package.py``).
PACKAGE_INIT = "__init__.py"
NO_TEST_FILE: dict[str, str] = {
    "fakeserver/__main__.py": "`python -m fakeserver`: every subprocess test of "
    "tests/fakeserver/cli runs the command through it",
    "fakeserver/protocol.py": "constants, cross-checked against the client's in "
    "tests/test_protocol.py (above both packages, since it reads both), and the version "
    "rule, tested through its two users in config/test_target.py and test_plugin_startup.py",
    "fakeserver/wsgi.py": "the names the engine and the app agree on, no logic: "
    "test_app.py, test_security.py and serving/test_engine.py use each of them",
    "client/_host.py": "re-exports fakeserver.host, the one home of the host identity, "
    "tested in tests/fakeserver/test_host.py",
}
#: Test folders outside the suite's packages: projects of their own (a downstream project;
#: the checks of the built distributions).
NOT_A_PACKAGE = {TESTS / "downstream", TESTS / "packaging"}


def _modules() -> list[Path]:
    return sorted(
        path
        for source in MIRRORS
        for path in source.rglob("*.py")
        if path.name != PACKAGE_INIT and "__pycache__" not in path.parts
    )


def _test_file(module: Path) -> Path:
    source = next(s for s in MIRRORS if module.is_relative_to(s))
    relative = module.relative_to(source)
    return MIRRORS[source] / relative.parent / f"test_{relative.stem.lstrip('_')}.py"


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("module", _modules(), ids=_name)
def test_every_module_has_its_test_file(module: Path) -> None:
    expected = _test_file(module)
    if _name(module) in NO_TEST_FILE:
        assert not expected.exists(), f"{_name(expected)} exists: drop the NO_TEST_FILE entry"
        return
    assert expected.is_file(), f"{_name(module)} has no test file: add {_name(expected)}"


def test_every_exception_names_a_module_that_exists() -> None:
    stale = [name for name in NO_TEST_FILE if not (ROOT / name).is_file()]
    assert not stale, f"NO_TEST_FILE lists modules that are gone: {stale}"


def test_the_layout_sees_both_packages() -> None:
    # An empty glob (a moved folder) would make the test above pass vacuously.
    modules = {_name(m) for m in _modules()}
    assert {"fakeserver/app.py", "fakeserver/scenarios/rules.py", "client/_tiers.py"} <= modules


def test_every_test_folder_is_a_package() -> None:
    # The suite runs with --import-mode=importlib: relative imports need the __init__.py.
    folders = {p.parent for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted(
        _name(folder)
        for folder in folders
        if not (folder / PACKAGE_INIT).is_file()
        and not any(folder.is_relative_to(outside) for outside in NOT_A_PACKAGE)
    )
    assert not missing, f"test folders without an __init__.py: {missing}"
