"""The code blocks of every page a user reads, and what the suite does with each.

A block is what a reader copies, so it must run alone: a ``python`` block is a whole
script, a block with ``title="test_x.py"`` a whole test file. What is not meant to run
alone says so with an HTML comment on the line just above its fence (invisible once
rendered, on the site and on a forge alike):

* ``<!-- fragment -->`` — a piece of a larger example: shown, never run.
* ``<!-- not-run: why -->`` — whole, but not run by the suite (a server that runs until
  Ctrl+C, a CI file); the reason is required.
* ``<!-- needs: atoti -->`` — runs only where the real atoti client is installed; skipped
  elsewhere.
* ``<!-- outcomes: passed=1 errors=1 -->`` — a test file whose run is not all green on
  purpose; without it a test file must pass (at least one test, nothing else).

Everything else is classified by its fence, as :func:`kind_of` says.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

#: Pages read outside the docs folder; the site includes the last two.
TOP_PAGES = ("README.md", "CHANGELOG.md", "CONTRIBUTING.md")

MARKERS = frozenset({"fragment", "not-run", "needs", "outcomes"})
NEEDS = frozenset({"atoti"})

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<name>[a-z-]+)\s*(?::\s*(?P<value>.*?))?\s*-->\s*$")
_TITLE = re.compile(r'\btitle="(?P<title>[^"]+)"')

#: Languages whose blocks are prose in code form: shown, never run.
TEXT_LANGUAGES = frozenset({"", "text", "mdx", "graphql", "http"})
SHELL_LANGUAGES = frozenset({"console", "bash", "sh", "shell"})
#: Files a page's test files need beside them; written with them, never run by themselves.
SUPPORT_FILES = frozenset({"conftest.py", "pyproject.toml", "pytest.ini", "tox.ini"})
#: Support files that configure pytest for every test file beside them.
PYTEST_CONFIG_FILES = frozenset({"pyproject.toml", "pytest.ini", "tox.ini"})

#: Set-up steps in a command line: the suite's environment has done them already, so the
#: rest of the line runs (``pip install . && fakeserver matrix`` runs ``fakeserver matrix``).
SETUP_STEPS = (
    re.compile(r"^(python3?|\S*/python3?) -m venv\b"),
    re.compile(r"^(\.|source) \S*activate$"),
    re.compile(r"^(python3? -m )?pip install\b"),
)
#: Commands the suite never runs: whole test matrices, tools that change the machine. A
#: ``fakeserver serve`` line is not run either unless what it shows is a refusal: it serves
#: until Ctrl+C.
NEVER_RUN = re.compile(r"^(tox|git|uv|pre-commit|mkdocs|cd|curl|docker)\b")
#: ``NAME=value`` words before a command, which set its environment.
_ENV_ASSIGNMENTS = re.compile(r"^(\w+=\S*\s+)+")
#: Programs the suite runs, in a fresh directory holding the page's files.
RUNNABLE = re.compile(r"^(fakeserver|pytest|python3?|python3? -m (pytest|fakeserver))\b")


@dataclass(frozen=True)
class Block:
    page: str  # path from the repository root
    line: int  # line of the opening fence, from 1
    language: str
    title: str | None
    text: str
    markers: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass(frozen=True)
class Command:
    """One ``$`` line of a console block: what runs, and the output shown under it."""

    line: str
    run: str  # the line less its set-up steps; empty when nothing is left to run
    output: tuple[str, ...]


def pages() -> list[Path]:
    return [ROOT / name for name in TOP_PAGES] + sorted(DOCS.rglob("*.md"))


def page_name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parse(path: Path) -> list[Block]:
    """Every fenced block of a page, with the markers on the lines just above it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"].strip()
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line
            for line in lines[index + 1 : end]
        ]
        markers: dict[str, str] = {}
        above = index - 1
        while above >= 0 and (marker := _MARKER.match(lines[above])):
            markers[marker["name"]] = marker["value"] or ""
            above -= 1
        title = _TITLE.search(info)
        found.append(
            Block(
                page=page_name(path),
                line=index + 1,
                language=info.split(" ", 1)[0].lower() if info else "",
                title=title["title"] if title else None,
                text="\n".join(body) + "\n",
                markers=markers,
            )
        )
        index = end + 1
    return found


@cache
def all_blocks() -> tuple[Block, ...]:
    return tuple(block for path in pages() for block in parse(path))


def kind_of(block: Block) -> str:
    """What the suite does with a block; ``unknown`` fails the suite until it is classified.

    ``script`` runs in a fresh interpreter; ``test-file`` runs with pytest; ``file`` is
    written beside the page's test files; ``config`` is a ServerConfig loaded with
    ``ServerConfig.from_toml``; ``json`` is parsed; ``commands`` (console lines) and
    ``shell`` (a script) run in a shell; ``fragment``, ``not-run`` and ``text`` do not run.
    """
    if "fragment" in block.markers:
        return "fragment"
    if "not-run" in block.markers:
        return "not-run"
    language, title = block.language, block.title
    if title in SUPPORT_FILES:
        return "file"
    if language == "python":
        return "test-file" if title and re.fullmatch(r"test_\w+\.py", title) else "script"
    if language == "toml":
        return "config"
    if language == "json":
        return "json"
    if language == "yaml" and title is not None:
        return "not-run"  # a CI file: it runs on a CI service, not here
    if language in TEXT_LANGUAGES:
        return "text"
    if language == "console":
        commands = console_commands(block)
        if any(NEVER_RUN.match(part) for c in commands for part in _parts(c.line)):
            return "not-run"
        if not any(c.run for c in commands):
            return "not-run"  # only set-up steps
        if any(_serves(c) for c in commands):
            return "not-run"
        runnable = all(
            RUNNABLE.match(_ENV_ASSIGNMENTS.sub("", part))
            for c in commands
            for part in _parts(c.run)
        )
        return "commands" if runnable else "unknown"
    if language in SHELL_LANGUAGES:
        lines = [line for line in block.text.splitlines() if line.strip()]
        parts = [p for line in lines if not line.lstrip().startswith("#") for p in _parts(line)]
        if any(NEVER_RUN.match(p) or any(s.match(p) for s in SETUP_STEPS) for p in parts):
            return "not-run"
        return "shell"
    return "unknown"


def why_not_run(block: Block) -> str:
    if "not-run" in block.markers:
        return block.markers["not-run"]
    if block.language == "yaml":
        return "a CI configuration"
    if block.language == "console" and any(_serves(c) for c in console_commands(block)):
        return "serves until Ctrl+C"
    return "installs or runs a whole environment (pip, tox, git, ...)"


def console_commands(block: Block) -> list[Command]:
    """The ``$`` lines of a console block, each with the output lines shown under it."""
    commands: list[Command] = []
    line: str | None = None
    output: list[str] = []
    for text in block.text.splitlines():
        if text.startswith("$ "):
            if line is not None:
                commands.append(Command(line, _without_setup(line), tuple(output)))
            line, output = text[2:].strip(), []
        elif line is not None:
            output.append(text)
    if line is not None:
        commands.append(Command(line, _without_setup(line), tuple(output)))
    return commands


def _serves(command: Command) -> bool:
    """``fakeserver serve`` that runs until stopped: all but a refusal (one error line)."""
    if not any(re.match(r"^fakeserver serve\b", part) for part in _parts(command.run)):
        return False
    shown = [line for line in command.output if line.strip()]
    return not shown or not all(line.startswith("fakeserver: --") for line in shown)


def _parts(line: str) -> list[str]:
    """The commands of a line chained with ``&&``, ``;`` or ``|``, comments dropped."""
    line = line.split(" #", 1)[0]
    return [p.strip() for p in re.split(r"&&|;|\|", line) if p.strip()]


def _without_setup(line: str) -> str:
    kept = [part for part in _parts(line) if not any(s.match(part) for s in SETUP_STEPS)]
    return " && ".join(kept)


def page_files(page: str) -> dict[str, str]:
    """The titled blocks of a page: the files its test files and commands run beside."""
    return {
        b.title: b.text
        for b in all_blocks()
        if b.page == page and b.title is not None and kind_of(b) in ("test-file", "file", "config")
    }


def outcomes(block: Block) -> dict[str, int] | None:
    """The declared outcomes of a test file, or None: every test passes."""
    if "outcomes" not in block.markers:
        return None
    counts = {}
    for item in shlex.split(block.markers["outcomes"]):
        name, _, number = item.partition("=")
        counts[name] = int(number)
    return counts
