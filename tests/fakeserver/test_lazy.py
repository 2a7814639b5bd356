"""Names loaded on first use (``fakeserver._lazy``): nothing before, once after, and no others."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

INIT = """
from fakeserver._lazy import exports as _exports

__all__ = ["VALUE"]
__getattr__, __dir__ = _exports(__name__, {"VALUE": "costly"})
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """A throwaway package whose one name lives in a module it must not import early."""
    name = f"lazy_{uuid.uuid4().hex}"
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text(INIT, encoding="utf-8")
    (tmp_path / name / "costly.py").write_text("VALUE = object()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module(name)
    for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[loaded]


def test_a_name_loads_its_module_on_first_use_only(package: ModuleType) -> None:
    costly = package.__name__ + ".costly"
    assert costly not in sys.modules
    value = package.VALUE
    assert value is sys.modules[costly].VALUE
    assert vars(package)["VALUE"] is value, "kept: later lookups skip __getattr__"
    namespace: dict[str, object] = {}
    exec(f"from {package.__name__} import *", namespace)
    assert namespace["VALUE"] is value


def test_other_names_are_attribute_errors(package: ModuleType) -> None:
    with pytest.raises(AttributeError) as raised:
        package.X  # noqa: B018 - the lookup is the test
    assert str(raised.value) == f"module '{package.__name__}' has no attribute 'X'"
    assert package.__name__ + ".costly" not in sys.modules


def test_dir_lists_the_names_before_they_load(package: ModuleType) -> None:
    assert "VALUE" in dir(package)
    assert package.__name__ + ".costly" not in sys.modules
