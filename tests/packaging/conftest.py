"""Keep the distribution checks out of fakeserver's own test run.

They inspect a built sdist and wheel (``tox -e package``, rootdir = this directory); the main
suite has none to inspect.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if config.rootpath.resolve() != HERE and HERE in collection_path.resolve().parents:
        return True
    return None
