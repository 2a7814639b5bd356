"""Keep this downstream-style suite out of fakeserver's own test run.

It runs as a project of its own (``tox -e downstream-...``, rootdir = this directory, the
emulated versions set by tox factors); from the main suite it would only check defaults.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.rootpath.resolve() != HERE and HERE in collection_path.resolve().parents:
        return True
    return None
