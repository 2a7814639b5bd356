"""The reference pages and the README say what the code does: fields, defaults, flags, commands.

The site is built strictly (``tox -e docs``: links, anchors, API references); this module
checks what a build cannot: that each table lists every field and flag there is, with the
true default, and that the files and commands the pages name exist.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import os
import re
import tempfile
from pathlib import Path
from typing import Any, get_args

import pytest

from fakeserver import (
    CubeSpec,
    FakeServer,
    Fault,
    Limits,
    OidcConfig,
    SecurityConfig,
    ServerConfig,
    TableSpec,
    TlsConfig,
    User,
)
from fakeserver.cli import _parser
from fakeserver.plugin_startup import SETTINGS
from fakeserver.scenarios import AUTH_MODES, LiveScenario, matrix
from fakeserver.scenarios.catalog import CredentialKind

from .blocks import DOCS, ROOT, TOP_PAGES, page_name, pages

CONFIG_PAGE = DOCS / "reference" / "config.md"
LIMITS_PAGES = [
    DOCS / "reference" / "limits.md",
    *sorted((DOCS / "reference" / "limits").glob("*.md")),
]
CLI_PAGE = DOCS / "reference" / "cli.md"
PLUGIN_PAGE = DOCS / "reference" / "plugin.md"
#: Every configuration class, and the page whose table lists its fields.
TABLES: dict[type[Any], Path] = {
    ServerConfig: CONFIG_PAGE,
    SecurityConfig: CONFIG_PAGE,
    OidcConfig: CONFIG_PAGE,
    User: CONFIG_PAGE,
    TlsConfig: CONFIG_PAGE,
    TableSpec: CONFIG_PAGE,
    CubeSpec: CONFIG_PAGE,
    Fault: CONFIG_PAGE,
    Limits: LIMITS_PAGES[0],
}
#: What a default written as code may use.
DEFAULT_NAMES = {"Limits": Limits, "tempfile": tempfile, "os": os}
_ROW = re.compile(r"^\|\s*`(?P<name>[^`]+)`\s*\|\s*(?P<default>[^|]+?)\s*\|", re.MULTILINE)


def _section(page: Path, heading: str) -> str:
    """The text under ``## heading`` up to the next heading of that level."""
    text = page.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{page.relative_to(ROOT)} has no section {heading!r}"
    return match.group(1)


def _rows(section: str) -> dict[str, str]:
    return {m["name"]: m["default"] for m in _ROW.finditer(section)}


def _default(spec: dataclasses.Field[Any]) -> Any:
    if spec.default is not dataclasses.MISSING:
        return spec.default
    if spec.default_factory is not dataclasses.MISSING:
        return spec.default_factory()
    return dataclasses.MISSING


@pytest.mark.parametrize("kind", list(TABLES), ids=lambda kind: kind.__name__)
def test_every_field_is_listed_with_its_default(kind: type[Any]) -> None:
    rows = _rows(_section(TABLES[kind], f"`{kind.__name__}`"))
    fields = {spec.name: spec for spec in dataclasses.fields(kind)}
    assert list(rows) == list(fields), "the table lists the fields, in the code's order"
    for name, spec in fields.items():
        written, actual = rows[name], _default(spec)
        if actual is dataclasses.MISSING:
            assert written == "required", name
            continue
        code = re.fullmatch(r"`([^`]+)`", written)
        assert code, f"{kind.__name__}.{name}: the default is written as code, not {written!r}"
        assert eval(code.group(1), dict(DEFAULT_NAMES)) == actual, f"{kind.__name__}.{name}"


#: The pages that detail limits in tables of their own, beside the limits page's summary.
LIMIT_DETAIL_PAGES = [
    *LIMITS_PAGES[1:],
    DOCS / "reference" / "wire-protocol.md",
    DOCS / "how-to" / "oauth2.md",
]
#: A limit's default as these pages write it: its first number ("16,777,216 (16 MiB)",
#: "10.0 s", "16 KiB" for 16,384 bytes).
_WRITTEN = re.compile(r"(?P<number>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>KiB|MiB)?")
_UNITS = {None: 1, "KiB": 1024, "MiB": 1024 * 1024}


def _written_default(text: str) -> float:
    match = _WRITTEN.search(text)
    assert match, f"no number in {text!r}"
    return float(match["number"].replace(",", "")) * _UNITS[match["unit"]]


def test_every_limit_is_detailed_and_each_detail_agrees_with_the_code() -> None:
    defaults = {spec.name: spec.default for spec in dataclasses.fields(Limits)}
    seen: set[str] = set()
    for page in LIMIT_DETAIL_PAGES:
        text = page.read_text(encoding="utf-8")
        for name, written in _rows(text).items():
            if name in defaults:
                seen.add(name)
                assert _written_default(written) == defaults[name], f"{page.name}: {name}"
        # Prose such as "`Limits.max_token_request_bytes` (16 KiB)".
        for match in re.finditer(r"`Limits\.(\w+)` \(([^)]+)\)", text):
            seen.add(match[1])
            assert _written_default(match[2]) == defaults[match[1]], f"{page.name}: {match[1]}"
    assert sorted(set(defaults) - seen) == []


def test_a_wrong_written_default_is_caught() -> None:
    assert _written_default("16,777,216 (16 MiB)") == 16_777_216
    assert _written_default("10.0 s") == 10.0
    assert _written_default("16 KiB") == 16_384
    assert _written_default("65,536 characters per document") != 65_535


# -- the plugin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "heading"),
    [
        (PLUGIN_PAGE, "Options, environment, ini"),
        (DOCS / "how-to" / "tox-factors.md", None),  # its table opens the page
    ],
    ids=["plugin", "tox-factors"],
)
def test_each_precedence_table_lists_every_setting(page: Path, heading: str | None) -> None:
    text = page.read_text(encoding="utf-8") if heading is None else _section(page, heading)
    table = "\n".join(line for line in text.splitlines() if line.startswith("| "))
    assert "| precedence |" in table, f"{page.name} has no precedence table"
    for setting in SETTINGS:
        for name in (setting.option, setting.env, setting.ini):
            assert f"`{name}" in table, f"{page.name}: {name} is not in the precedence table"


def test_the_plugin_page_names_what_fake_scenario_gives() -> None:
    # LiveScenario's fields and public properties and methods: what a test can use.
    fixtures = _section(PLUGIN_PAGE, "Fixtures")
    members = {f.name for f in dataclasses.fields(LiveScenario)} | {
        name for name in vars(LiveScenario) if not name.startswith("_")
    }
    assert sorted(m for m in members if f"`{m}" not in fixtures) == []


def test_the_plugin_page_knows_every_auth_mode_and_credential_kind() -> None:
    markers = _section(PLUGIN_PAGE, "Markers")
    assert [mode for mode in AUTH_MODES if f"`{mode}`" not in markers] == []
    text = PLUGIN_PAGE.read_text(encoding="utf-8")
    assert [kind for kind in get_args(CredentialKind) if f'`"{kind}"`' not in text] == []
    assert f"{len(matrix())} in all" in _section(PLUGIN_PAGE, "The matrix")


# -- the command line ---------------------------------------------------------------------------


def _commands() -> dict[str, argparse.ArgumentParser]:
    subparsers = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(subparsers.choices)


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {
        option
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction)
        for option in action.option_strings
    }


def test_the_cli_page_has_a_section_per_command() -> None:
    assert set(_commands()) == {"serve", "matrix", "scenarios"}


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_flag_is_documented_and_exists(command: str) -> None:
    section = _section(CLI_PAGE, f"`fakeserver {command}`")
    table = [line for line in section.splitlines() if line.startswith("| `-")]
    documented = {
        flag for line in table for flag in re.findall(r"`(-{1,2}[\w-]+)", line.split("|")[1])
    }
    assert documented == _flags(_commands()[command])


# -- the README and what CI runs ----------------------------------------------------------------


def _console_lines(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [line[2:].strip() for line in text.splitlines() if line.startswith("$ ")]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "pip install tox && tox" in _console_lines(ROOT / "README.md")
    assert "pip install tox && tox" in ci


def test_the_readme_runs_the_main_job() -> None:
    # test_examples runs it (set-up steps skipped) and checks its total.
    assert "pip install . && fakeserver matrix" in _console_lines(ROOT / "README.md")


def test_the_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 220


def test_the_readme_links_every_guide() -> None:
    # The README is short and sends the reader on: a guide it does not name is not found.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guides = sorted(p.relative_to(ROOT).as_posix() for p in (DOCS / "how-to").glob("*.md"))
    assert [g for g in guides if f"]({g})" not in readme] == []


def test_the_docs_env_is_in_the_default_tox_run() -> None:
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    env_list = re.search(r"^env_list =\n((?:    .*\n)+)", tox, re.M)
    assert env_list and "    docs\n" in env_list.group(1)
    assert "mkdocs build --strict" in tox


def _expand(name: str) -> set[str]:
    """tox's generative names: ``py3{12,13}`` -> {"py312", "py313"}."""
    match = re.search(r"\{([^{}]*)\}", name)
    if match is None:
        return {name}
    head, tail = name[: match.start()], name[match.end() :]
    return {e for part in match.group(1).split(",") for e in _expand(head + part + tail)}


def test_contributing_lists_every_tox_env() -> None:
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    env_list = re.search(r"^env_list =\n((?:    .*\n)+)", tox, re.M)
    assert env_list
    named = env_list.group(1).split() + re.findall(r"^\[testenv:([^\]]+)\]", tox, re.M)
    envs = {env for name in named for env in _expand(name)}
    table = _section(ROOT / "CONTRIBUTING.md", "Run the tests")
    listed = {
        env
        for line in table.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([^`]+)`", line.split("|")[1])
        for env in _expand(name)
    }
    assert {"py313", "docs", "atoti-6.2.2"} <= envs
    assert sorted(envs - listed) == []


def test_pre_commit_runs_the_lint_env_checks() -> None:
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    lint = re.search(r"^\[testenv:lint\]\n(.*?)(?=^\[)", tox, re.M | re.S)
    assert lint
    ruff = re.search(r"^\s+(ruff==\S+)$", lint.group(1), re.M)
    assert ruff
    hooks = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert hooks.count(f'"{ruff.group(1)}"') == 2, "both hooks install the lint env's ruff"
    paths = re.search(r"^\s+ruff check (.+)$", lint.group(1), re.M)
    assert paths
    folders = "|".join(paths.group(1).split())
    assert hooks.count(f"files: ^({folders})/") == 2
    assert "entry: ruff check\n" in hooks and "entry: ruff format --check\n" in hooks


# -- no pointer to what a reader cannot open -----------------------------------------------------

#: The product specification is the maintainers' contract and lives outside the repository:
#: a reader of the docs or of the API reference (rendered from docstrings) cannot open it.
_SPEC = re.compile(r"\bSPEC\b")
PUBLIC_MODULES = ("fakeserver", "fakeserver_client", "fakeserver.scenarios")


def _own_members(cls: type) -> dict[str, Any]:
    """``cls``'s members, with those it inherits from this project's classes (``FakeServer``'s
    ``ExpectationLayer``), not from a library's (pytest-httpserver's ``HTTPServer``)."""
    members: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass.__module__.split(".")[0] in ("fakeserver", "fakeserver_client"):
            members.update(vars(klass))
    return members


def _public_docstrings() -> dict[str, str]:
    found = {}
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        found[name] = module.__doc__ or ""
        for export in module.__all__:
            obj = getattr(module, export)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            found[f"{name}.{export}"] = obj.__doc__ or ""
            for member, value in _own_members(obj).items() if inspect.isclass(obj) else ():
                if member.startswith("_"):
                    continue
                inner = getattr(value, "__func__", value)
                found[f"{name}.{export}.{member}"] = getattr(inner, "__doc__", None) or ""
    return found


#: FakeServer's own public names the API page leaves out: pytest-httpserver's hooks, which
#: FakeServer overrides and a user never calls.
UNDOCUMENTED_HOOKS = {"application", "dispatch", "respond_nohandler"}


def test_the_api_page_lists_every_public_member_of_fake_server() -> None:
    page = (DOCS / "reference" / "api" / "fakeserver.md").read_text(encoding="utf-8")
    directive = page.split("::: fakeserver.FakeServer", 1)[1].split(":::", 1)[0]
    listed = set(re.findall(r"^\s+- (\w+)$", directive, re.M))
    members = _own_members(FakeServer)
    own = {name for name in members if not name.startswith("_")} - UNDOCUMENTED_HOOKS
    assert sorted(own - listed) == []
    assert set(members) >= UNDOCUMENTED_HOOKS, "a hook is gone: drop it from the list"


def test_no_page_cites_the_spec() -> None:
    cited = [page_name(p) for p in pages() if _SPEC.search(p.read_text(encoding="utf-8"))]
    assert cited == []


def test_no_public_docstring_cites_the_spec() -> None:
    docstrings = _public_docstrings()
    assert "fakeserver.ServerConfig.for_client" in docstrings  # the walk reaches methods
    assert [name for name, text in docstrings.items() if _SPEC.search(text)] == []


# -- links and paths ----------------------------------------------------------------------------

_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
_PATH = re.compile(r"`(?P<path>(?:fakeserver|client|tests|benchmarks|docs|\.ci)/[\w./-]*)`")


@pytest.mark.parametrize("name", TOP_PAGES)
def test_links_of_the_top_pages_resolve(name: str) -> None:
    # The site's own links are checked by the strict build; these pages are read on a forge.
    page = ROOT / name
    for match in _LINK.finditer(page.read_text(encoding="utf-8")):
        target = match["target"].split("#", 1)[0]
        if not target or re.match(r"^[a-z]+:", target):
            continue
        assert (page.parent / target).exists(), f"{name}: {target}"


def test_every_path_a_page_names_exists() -> None:
    missing = []
    for page in pages():
        for match in _PATH.finditer(page.read_text(encoding="utf-8")):
            path = match["path"]
            if re.search(r"\bx/|_y\.py|/y\.py", path):
                continue  # a placeholder (fakeserver/x/y.py), not a file
            if not (ROOT / path.rstrip("/")).exists():
                missing.append(f"{page.relative_to(ROOT)}: {path}")
    assert not missing
