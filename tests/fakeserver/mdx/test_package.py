"""The MDX package knows nothing about HTTP: the route reads requests and answers errors."""

from __future__ import annotations

import ast
from importlib.util import resolve_name
from pathlib import Path

import pytest

import fakeserver.mdx
from fakeserver.errors import FakeHTTPError
from fakeserver.mdx import MdxError

PACKAGE = Path(fakeserver.mdx.__file__).parent

#: What answering HTTP takes: none of it belongs in the package.
HTTP = (
    "werkzeug",
    "http",
    "httpx",
    "fakeserver.errors",
    "fakeserver.routes",
    "fakeserver.security",
)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved against its package."""
    package = fakeserver.mdx.__name__
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(resolve_name("." * node.level + (node.module or ""), package))
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_anything_http(path: Path) -> None:
    http = {n for n in _imports(path) if n in HTTP or n.startswith(tuple(f"{m}." for m in HTTP))}
    assert not http, f"fakeserver/mdx/{path.name} imports {sorted(http)}"


def test_its_error_is_plain_and_carries_the_answer() -> None:
    error = MdxError("unsupported MDX at character 1")
    assert not isinstance(error, FakeHTTPError)
    assert (error.status, error.message) == (400, "unsupported MDX at character 1")
