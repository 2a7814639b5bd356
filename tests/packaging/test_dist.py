"""The built distributions are fit to publish (``tox -e package``).

``FAKESERVER_DIST`` names the folder ``python -m build`` wrote one sdist and one wheel into.
The wheel must install the two packages and nothing else — above all no top-level
``client``, which would shadow a downstream project's own — each with its ``py.typed``,
carry the licence, and say what it is in its metadata.
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

PACKAGES = {"fakeserver", "fakeserver_client"}
#: The status page's files (no CDN, no build step): every one must ship in the wheel.
STATUS_PAGE = Path(__file__).resolve().parents[2] / "fakeserver" / "status_page"
CLASSIFIERS = {
    "Framework :: Pytest",
    "Typing :: Typed",
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
}


def dist(pattern: str) -> Path:
    folder = os.environ.get("FAKESERVER_DIST")
    if not folder:
        pytest.fail("set FAKESERVER_DIST to the folder of the built sdist and wheel")
    found = sorted(Path(folder).glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {found}"
    return found[0]


def wheel_problems(names: list[str], metadata: Message) -> list[str]:
    """What is wrong with a wheel of these file names and this METADATA; empty when fit."""
    problems = []
    top = {name.split("/", 1)[0] for name in names}
    info = {t for t in top if t.endswith(".dist-info")}
    if top - info != PACKAGES:
        problems.append(f"top-level names {sorted(top - info)}, expected {sorted(PACKAGES)}")
    problems += [f"no {p}/py.typed" for p in sorted(PACKAGES) if f"{p}/py.typed" not in names]
    assets = sorted(f"fakeserver/status_page/{p.name}" for p in STATUS_PAGE.iterdir())
    problems += [f"no {asset}" for asset in assets if asset not in names]
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append("no licence file (.dist-info/licenses/LICENSE)")
    if metadata.get("License-Expression") != "MIT":
        problems.append(f"License-Expression {metadata.get('License-Expression')!r}, not 'MIT'")
    missing = CLASSIFIERS - set(metadata.get_all("Classifier") or [])
    if missing:
        problems.append(f"classifiers missing: {sorted(missing)}")
    pins = [r for r in metadata.get_all("Requires-Dist") or [] if r.startswith("pytest-httpserver")]
    if not pins or "<2" not in pins[0]:
        problems.append(f"pytest-httpserver not pinned below 2: {pins}")
    return problems


def read_wheel(path: Path) -> tuple[list[str], Message, str]:
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        info = next(n.split("/", 1)[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(wheel.read(f"{info}/METADATA").decode())
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    return names, metadata, entry_points


def test_the_wheel_is_fit_to_publish() -> None:
    names, metadata, entry_points = read_wheel(dist("*.whl"))
    assert wheel_problems(names, metadata) == []
    assert not [n for n in names if n.startswith(("client/", "tests/"))]
    assert "[pytest11]\nfakeserver = fakeserver.plugin" in entry_points


def test_the_sdist_builds_the_same_and_carries_the_licence() -> None:
    with tarfile.open(dist("*.tar.gz")) as sdist:
        names = {name.split("/", 1)[-1] for name in sdist.getnames()}
    assert {"LICENSE", "pyproject.toml", "client/__init__.py", "client/py.typed"} <= names
    assert "fakeserver/plugin.py" in names


# -- the checks can fail -------------------------------------------------------------------

GOOD = [
    "fakeserver/__init__.py",
    *(f"fakeserver/status_page/{p.name}" for p in sorted(STATUS_PAGE.iterdir())),
    "fakeserver/py.typed",
    "fakeserver_client/__init__.py",
    "fakeserver_client/py.typed",
    "fakeserver-0.1.0.dist-info/METADATA",
    "fakeserver-0.1.0.dist-info/licenses/LICENSE",
]


def metadata(**changes: list[str] | str | None) -> Message:
    fields: dict[str, list[str] | str | None] = {
        "License-Expression": "MIT",
        "Classifier": sorted(CLASSIFIERS),
        "Requires-Dist": ["pytest-httpserver<2,>=1.1.4"],
        **changes,
    }
    message = Message()
    for key, value in fields.items():
        for item in [value] if isinstance(value, str) else value or []:
            message[key] = item
    return message


def test_a_fit_wheel_has_no_problem() -> None:
    assert wheel_problems(GOOD, metadata()) == []


@pytest.mark.parametrize(
    ("names", "fields", "problem"),
    [
        ([*GOOD, "client/__init__.py"], {}, "top-level names ['client', 'fakeserver', "),
        ([*GOOD, "tests/test_x.py"], {}, "top-level names ['fakeserver', 'fakeserver_client', "),
        ([n for n in GOOD if n != "fakeserver_client/py.typed"], {}, "no fakeserver_client/py"),
        ([n for n in GOOD if not n.endswith(".js")], {}, "no fakeserver/status_page/status.js"),
        ([n for n in GOOD if "LICENSE" not in n], {}, "no licence file"),
        (GOOD, {"License-Expression": None}, "License-Expression None"),
        (GOOD, {"Classifier": ["Typing :: Typed"]}, "classifiers missing: ['Framework :: "),
        (GOOD, {"Requires-Dist": ["pytest-httpserver>=1.1.4"]}, "pytest-httpserver not pinned"),
    ],
)
def test_each_defect_is_reported(
    names: list[str], fields: dict[str, list[str] | str | None], problem: str
) -> None:
    problems = wheel_problems(names, metadata(**fields))
    assert len(problems) == 1 and problems[0].startswith(problem), problems
