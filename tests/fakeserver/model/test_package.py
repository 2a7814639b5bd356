"""The model package: what importing it loads, and what it leaves out."""

from __future__ import annotations

import subprocess
import sys

import fakeserver.model


def test_the_model_imports_neither_the_config_nor_faker() -> None:
    # A fresh interpreter: this one has imported everything already.
    check = (
        "import sys, fakeserver.model as m\n"
        "m.Table('t', {'a': 'int'}).prepare([[1]])\n"
        "loaded = sorted(n for n in ('fakeserver.config', 'faker') if n in sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", check], check=True)


def test_every_exported_name_exists() -> None:
    missing = [n for n in fakeserver.model.__all__ if not hasattr(fakeserver.model, n)]
    assert missing == []
