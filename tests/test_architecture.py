"""ARCHITECTURE.md stays true: its map names every module, and only modules that exist.

The map is read as a maintainer reads it: the first column of each table names a module
(``x.py``) or a package (``x/``); a package's row names its modules in backticks. The
``may import`` column of the fake's table is checked against the module-level imports that
``tests/test_imports.py`` reads from the source.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .test_imports import _graph

ROOT = Path(__file__).resolve().parents[1]
MAP = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
#: Section heading -> the folder its table maps.
SECTIONS = {
    "## `fakeserver/`": ROOT / "fakeserver",
    "## `client/` → `fakeserver_client`": ROOT / "client",
}
#: Backticked in a row, these name the packages (``the `fakeserver` command``), not modules.
_PACKAGES = {"fakeserver", "fakeserver_client"}
_MODULE_WORD = re.compile(r"`([a-z_][a-z0-9_]*)`")


def _rows(heading: str) -> list[list[str]]:
    section = MAP.split(heading, 1)[1].split("\n## ", 1)[0]
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]


def _named(heading: str) -> set[str]:
    """The files the section's table names, relative to its folder (``x.py``, ``p/``)."""
    named = set()
    for cells in _rows(heading):
        entry = cells[0].strip("`")
        named.add(entry)
        if entry.endswith("/"):
            # The package's modules, named in backticks in the rest of its row.
            words = set(_MODULE_WORD.findall(" ".join(cells[1:]))) - _PACKAGES
            named.update(f"{entry}{word}.py" for word in words)
    return named


def _on_disk(folder: Path) -> set[str]:
    """The folder's modules and packages, and each package's modules but its ``__init__``."""
    found = set()
    for path in folder.iterdir():
        if path.is_dir() and path.name != "__pycache__":
            found.add(f"{path.name}/")
            found.update(f"{path.name}/{p.name}" for p in path.glob("*.py") if p.stem != "__init__")
        elif path.suffix == ".py":
            found.add(path.name)
    return found


@pytest.mark.parametrize("heading", sorted(SECTIONS))
def test_every_module_is_on_the_map(heading: str) -> None:
    folder = SECTIONS[heading]
    missing = sorted(_on_disk(folder) - _named(heading))
    assert missing == [], f"ARCHITECTURE.md does not name {missing} of {folder.name}/"


@pytest.mark.parametrize("heading", sorted(SECTIONS))
def test_every_module_on_the_map_exists(heading: str) -> None:
    folder = SECTIONS[heading]
    gone = sorted(name for name in _named(heading) if not (folder / name).exists())
    assert gone == [], f"ARCHITECTURE.md names {gone}, not in {folder.name}/"


def _allowed(cell: str) -> set[str]:
    """``config, host (the identity); scenarios.rules`` -> {"config", "host", "scenarios.rules"}."""
    words = (part.split() for part in re.split(r"[,;]", re.sub(r"\([^)]*\)", "", cell)))
    return {word[0].rstrip(":").strip("`") for word in words if word}


def _imports_beyond_the_map() -> list[str]:
    graph = _graph("fakeserver")
    wrong = []
    for cells in _rows("## `fakeserver/`"):
        entry, may_import = cells[0].strip("`"), cells[2]
        if "everything" in may_import:
            continue
        name = "fakeserver." + entry.removesuffix(".py").removesuffix("/")
        name = "fakeserver" if name == "fakeserver.__init__" else name
        allowed = _allowed(may_import)
        for module, edges in graph.items():
            inside = module == name or module.startswith(f"{name}.")
            if not inside or (name == "fakeserver" and module != name):
                continue
            for edge in sorted(edges):
                short = edge.removeprefix("fakeserver.")
                own = edge == name or edge.startswith(f"{name}.") or edge == "fakeserver"
                if not own and short not in allowed and short.split(".")[0] not in allowed:
                    wrong.append(f"{module} imports {edge}")
    return wrong


def test_each_module_imports_only_what_the_map_allows() -> None:
    assert _imports_beyond_the_map() == []


def test_the_map_is_read_at_all() -> None:
    # An empty parse (a renamed heading, a reformatted table) would pass the tests above.
    assert {"app.py", "routes/", "routes/graphql.py", "mdx/lexer.py"} <= _named("## `fakeserver/`")
    assert {"_tiers.py", "_session.py"} <= _named("## `client/` → `fakeserver_client`")
    assert _allowed("config, host (the identity); `live`: fakeserver_client") == {
        "config",
        "host",
        "live",
    }
