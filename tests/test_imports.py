"""The import graph ARCHITECTURE.md draws: no cycles, and the engine behind server.py only.

Module-level imports are read from the source (``if TYPE_CHECKING:`` blocks and imports
inside functions are not edges: they run after every module is loaded). A cycle makes
the import order matter and hides which module depends on which.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Import name -> source folder.
PACKAGES = {"fakeserver": ROOT / "fakeserver", "fakeserver_client": ROOT / "client"}
#: The engine: a package only ``fakeserver.server`` imports.
ENGINE = "fakeserver.serving"


def _modules(package: str) -> dict[str, Path]:
    folder = PACKAGES[package]
    found = {}
    for path in sorted(folder.rglob("*.py")):
        parts = [package, *path.relative_to(folder).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    statements = []
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Try):
            statements += _top_level(node.body)
        elif isinstance(node, ast.If):
            statements += _top_level(node.body) + _top_level(node.orelse)
        else:
            statements.append(node)
    return statements


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges: set[str] = set()
    for node in _top_level(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            edges.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from . import x` imports the submodule x; `from .m import x`, the module m.
            submodules = {f"{module}.{alias.name}" for alias in node.names}
            edges.update(submodules & set(known) or {module})
    return {edge for edge in edges if edge in known and edge != name}


def _graph(package: str) -> dict[str, set[str]]:
    known = _modules(package)
    return {name: _imports(name, path, known) for name, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for edge in edges:
                if edge not in index:
                    index[edge] = low[edge] = len(index)
                    stack.append(edge)
                    on_stack.add(edge)
                    work.append((edge, iter(sorted(graph[edge]))))
                    break
                if edge in on_stack:
                    low[node] = min(low[node], index[edge])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycle(package: str) -> None:
    assert _cycles(_graph(package)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def _in_the_engine(name: str) -> bool:
    return name == ENGINE or name.startswith(f"{ENGINE}.")


def test_only_the_server_imports_the_engine() -> None:
    # The engine's own modules import each other; from outside, only server.py reaches in.
    graph = _graph("fakeserver")
    importers = sorted(
        name
        for name, edges in graph.items()
        if not _in_the_engine(name) and any(_in_the_engine(edge) for edge in edges)
    )
    assert importers == ["fakeserver.server"]


def test_the_engine_is_a_package_of_modules() -> None:
    # The rule above would pass vacuously if the package's modules were not seen.
    modules = {name for name in _modules("fakeserver") if _in_the_engine(name)}
    assert {ENGINE, f"{ENGINE}.engine", f"{ENGINE}.framing"} <= modules
