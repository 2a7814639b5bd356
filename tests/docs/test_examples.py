"""Every example of the README and the docs runs as a reader would run it, alone.

One mechanism for every page (``blocks.py`` says how a block is classified): scripts in a
fresh interpreter, test files with pytest against the installed plugin, console lines in
a shell, TOML through ``ServerConfig.from_toml``. A stale example fails here.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path
from typing import Any

import httpcore  # noqa: F401 - imported before any in-process run: see test_plugin.py
import pytest

from fakeserver import ServerConfig

from .blocks import (
    MARKERS,
    NEEDS,
    PYTEST_CONFIG_FILES,
    Block,
    all_blocks,
    console_commands,
    kind_of,
    outcomes,
    page_files,
    why_not_run,
)

#: What every inner pytest run gets: warnings are errors, markers must be registered, and
#: hypothesis' plugin (installed for this suite, ~1 s to import) stays out.
STRICT = "-p no:cacheprovider -p no:hypothesispytest --strict-markers -W error"
TIMEOUT = 300  # seconds: the whole matrix on two busy cores takes well under a minute
HAS_ATOTI = importlib.util.find_spec("atoti") is not None


def _of_kind(kind: str, suffix: str = "") -> list[Any]:
    """The blocks of one kind (titled ``*suffix`` if given), as test parameters."""
    return [
        pytest.param(block, id=block.id, marks=_needs(block))
        for block in all_blocks()
        if kind_of(block) == kind and (block.title or "").endswith(suffix)
    ]


def _needs(block: Block) -> list[pytest.MarkDecorator]:
    if block.markers.get("needs") == "atoti":
        return [pytest.mark.skipif(not HAS_ATOTI, reason="needs the real atoti client")]
    return []


def _environment() -> dict[str, str]:
    """The reader's shell: this interpreter's tools first, nothing of this suite's run."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "FAKESERVER_", "COV_"))
    }
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTEST_ADDOPTS"] = STRICT
    env["COLUMNS"] = "120"
    env["PYTHONIOENCODING"] = "utf-8"  # the tables print ✓ and ·
    # Loopback only, whatever a page forgets: atoti posts telemetry on import otherwise.
    env["_ATOTI_DISABLE_TELEMETRY"] = "True"
    env["ATOTI_HIDE_EULA_MESSAGE"] = "True"
    return env


def _write_page_files(block: Block, where: Path) -> None:
    for name, text in page_files(block.page).items():
        path = where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # A temporary directory of its own: pytest's basetemp scan of a shared /tmp/pytest-of-*
    # races with other runs' cleanup (an unclosed scandir, an error under -W error).
    private_tmp = cwd.with_name(cwd.name + "-tmp")
    private_tmp.mkdir(exist_ok=True)
    return subprocess.run(
        args,
        cwd=cwd,
        env={**_environment(), "TMPDIR": str(private_tmp)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def _report(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# -- every block is classified -----------------------------------------------------------------


def test_the_pages_have_examples_of_every_kind() -> None:
    # An empty glob or a parser that finds nothing would make every test below vacuous.
    kinds = Counter(kind_of(b) for b in all_blocks())
    for kind in ("script", "test-file", "file", "config", "commands", "shell", "not-run"):
        assert kinds[kind] > 0, f"no {kind} block found: {dict(kinds)}"


def test_every_block_is_classified() -> None:
    unknown = [
        f"{b.id} ({b.language} {b.title or ''})" for b in all_blocks() if kind_of(b) == "unknown"
    ]
    assert not unknown, (
        "blocks the suite cannot run: make them complete, or mark them "
        f"<!-- fragment --> or <!-- not-run: why --> (tests/docs/blocks.py): {unknown}"
    )


def test_markers_are_known_and_complete() -> None:
    problems = []
    for block in all_blocks():
        for name, value in block.markers.items():
            if name not in MARKERS:
                problems.append(f"{block.id}: unknown marker {name!r}")
            elif name == "not-run" and not value:
                problems.append(f"{block.id}: not-run needs a reason")
            elif name == "needs" and value not in NEEDS:
                problems.append(f"{block.id}: needs {value!r} (known: {sorted(NEEDS)})")
            elif name == "outcomes" and kind_of(block) != "test-file":
                problems.append(f"{block.id}: outcomes only apply to a test file")
    assert not problems


def test_titles_are_unique_on_a_page() -> None:
    seen = Counter((b.page, b.title) for b in all_blocks() if b.title is not None)
    assert [key for key, count in seen.items() if count > 1] == []


def test_not_run_blocks_say_why() -> None:
    for block in all_blocks():
        if kind_of(block) == "not-run":
            assert why_not_run(block).strip(), block.id


# -- running them ------------------------------------------------------------------------------


@pytest.mark.parametrize("block", _of_kind("script"))
def test_script_runs_alone(block: Block, tmp_path: Path) -> None:
    script = tmp_path / (block.title or "example.py")
    script.write_text(block.text, encoding="utf-8")
    result = _run([sys.executable, script.name], tmp_path)
    assert result.returncode == 0, _report(result)


@pytest.mark.parametrize("block", _of_kind("test-file"))
def test_test_file_passes(
    block: Block, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In process, for speed (a pytest start-up each is most of the cost): the reader's
    # environment, less what this suite's own run put there.
    for name in list(os.environ):
        if name.startswith(("PYTEST_XDIST_", "FAKESERVER_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("_ATOTI_DISABLE_TELEMETRY", "True")
    monkeypatch.setenv("ATOTI_HIDE_EULA_MESSAGE", "True")
    _write_page_files(block, pytester.path)
    assert block.title is not None
    # numpy, under pandas under atoti, cannot be imported twice in one process.
    run = pytester.runpytest_subprocess if "needs" in block.markers else pytester.runpytest
    result = run(*STRICT.split(), block.title)
    counts = {name: n for name, n in result.parseoutcomes().items() if n}
    counts = {("errors" if name == "error" else name): n for name, n in counts.items()}
    output = "\n".join(result.outlines)
    declared = outcomes(block)
    if declared is None:
        assert set(counts) == {"passed"} and result.ret == 0, output
    else:
        assert counts == declared, output


@pytest.mark.parametrize("block", _of_kind("commands"))
def test_console_lines_print_what_the_page_shows(block: Block, tmp_path: Path) -> None:
    _write_page_files(block, tmp_path)
    for command in console_commands(block):
        if not command.run:
            continue
        result = _run(["bash", "-c", f"{command.run} 2>&1"], tmp_path)
        expected = [line for line in command.output if line.strip() not in ("", "...")]
        if not expected:
            assert result.returncode == 0, _report(result)
        missing = _unmatched(expected, result.stdout.splitlines())
        assert not missing, f"$ {command.line}\nnot printed: {missing}\n{_report(result)}"


#: What varies from run to run, and the pattern that matches any of it.
_VARYING = {
    r"127\.0\.0\.1:\d+": r"127\.0\.0\.1:\d+",  # a port
    r"\bin \d+\.\d+s\b": r"in [\d.]+s",  # pytest's duration
    r"…": r".*",  # anything, said so
    r"\s{2,}": r"\s+",  # alignment, which follows the terminal's width
}


def _pattern(line: str) -> re.Pattern[str]:
    """A shown line as a pattern: any port, duration, alignment; ``…`` for anything."""
    text = line.strip().strip("=_ ").strip()
    pieces = re.split("(" + "|".join(_VARYING) + ")", text)
    regex = ""
    for piece in pieces:
        wild = next((w for v, w in _VARYING.items() if re.fullmatch(v, piece)), None)
        regex += wild if wild is not None else re.escape(piece)
    return re.compile(regex)


def _unmatched(expected: list[str], printed: list[str]) -> list[str]:
    """The shown lines not printed, in order (printed lines may come in between)."""
    position = 0
    for index, line in enumerate(expected):
        pattern = _pattern(line)
        while position < len(printed) and not pattern.search(printed[position]):
            position += 1
        if position == len(printed):
            return expected[index:]
        position += 1
    return []


@pytest.mark.parametrize("block", _of_kind("shell"))
def test_shell_script_runs(block: Block, tmp_path: Path) -> None:
    _write_page_files(block, tmp_path)
    script = tmp_path / "example.sh"
    script.write_text(block.text, encoding="utf-8")
    result = _run(["bash", "-euo", "pipefail", script.name], tmp_path)
    assert result.returncode == 0, _report(result)


@pytest.mark.parametrize("block", _of_kind("config"))
def test_toml_is_a_server_config(block: Block, tmp_path: Path) -> None:
    path = tmp_path / (block.title or "target.toml")
    path.write_text(block.text, encoding="utf-8")
    assert isinstance(ServerConfig.from_toml(path), ServerConfig)


@pytest.mark.parametrize("block", _of_kind("json"))
def test_json_parses(block: Block) -> None:
    json.loads(block.text)


@pytest.mark.parametrize("block", _of_kind("file", ".ini"))
def test_ini_files_parse(block: Block) -> None:
    configparser.ConfigParser(interpolation=None).read_string(block.text)


def test_every_test_file_passes_under_xdist_too(tmp_path: Path) -> None:
    """All pages' test files in one ``pytest -n 2`` run, each page in its own folder.

    Pages whose files configure pytest (``pyproject.toml``, ...) stay out: their settings
    would apply to every folder. Per file, nothing fails and the declared errors happen.
    """
    chosen: dict[str, Block] = {}
    for block in all_blocks():
        page = block.page
        if kind_of(block) != "test-file" or block.markers.get("needs"):
            continue
        if PYTEST_CONFIG_FILES & set(page_files(page)):
            continue
        folder = tmp_path / re.sub(r"\W", "_", page.removesuffix(".md"))
        folder.mkdir(exist_ok=True)
        _write_page_files(block, folder)
        chosen[f"{folder.name}/{block.title}"] = block
    assert len(chosen) >= 5, sorted(chosen)
    result = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "xdist",
            "-n",
            "2",
            "--import-mode=importlib",
            "--junitxml=junit.xml",
            *chosen,
        ],
        tmp_path,
    )
    per_file: dict[str, Counter[str]] = {name: Counter() for name in chosen}
    for case in ElementTree.parse(tmp_path / "junit.xml").iter("testcase"):
        name = case.get("classname", "").replace(".", "/") + "/"
        file = next(f for f in chosen if name.startswith(f.removesuffix(".py") + "/"))
        per_file[file]["cases"] += 1
        for child in case:
            per_file[file][child.tag] += 1
    for file, counts in per_file.items():
        declared = outcomes(chosen[file]) or {}
        assert counts["cases"] >= 1, f"{file} ran nothing\n{_report(result)}"
        assert counts["failure"] == declared.get("failed", 0), f"{file}\n{_report(result)}"
        assert counts["error"] == declared.get("errors", 0), f"{file}\n{_report(result)}"
        assert counts["skipped"] == 0, f"{file}\n{_report(result)}"
