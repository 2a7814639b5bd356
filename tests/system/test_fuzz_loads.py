"""Fuzzing CSV loads: every option and source a client could send (see ``test_fuzz.py``).

In-process through the WSGI app, against a target whose one file root holds the awkward
cases: a FIFO, a link out to ``/etc/passwd``, a link loop, a directory, a file over the
load limit, undecodable bytes. No 5xx, no traceback, never an outside file's content.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from fakeserver import FakeServer, Limits, ServerConfig

from ..conftest import SECURITY
from ..datasets import CLOUD, TRADES
from .test_fuzz import ADMIN, JSON, check

ENCODINGS = st.one_of(
    st.sampled_from(["utf-8", "latin-1", "utf-16", "ascii", "cp1252", "utf-8-sig", "rot13"]),
    st.sampled_from(["hex", "zlib", "base64", "idna", "punycode", "unicode_escape", "mbcs"]),
    st.sampled_from(["utf-8\x00", "\x00", "utf\u20228", " utf-8", "UTF_8", "x" * 5000, ""]),
    st.text(max_size=12),
)
SEPARATORS = st.one_of(
    st.sampled_from([",", ";", "\t", "|", " ", '"', "\n", "\r", "\x00", "é", ",,", ""]),
    st.text(max_size=3),
)


@pytest.fixture(scope="module")
def loading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeServer, Path]]:
    """A secured target whose one root holds odd files: a FIFO, a link out, a big file."""
    root = tmp_path_factory.mktemp("fuzz-root")
    (root / "ok.csv").write_text("id,desk,qty,price,day\n7,Z,1,1.0,2024-01-01\n")
    (root / "latin.csv").write_bytes("id,desk\n8,é\n".encode("latin-1"))
    (root / "utf16.csv").write_text("id,desk\n9,x\n", encoding="utf-16")
    (root / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (root / "big.csv").write_bytes(b"id\n" + b"1\n" * 5000)  # over the 4 KB limit below
    (root / "empty.csv").write_bytes(b"")
    (root / "dir").mkdir()
    os.mkfifo(root / "pipe.csv")
    os.symlink("/etc/passwd", root / "out.csv")
    os.symlink("loop.csv", root / "loop.csv")
    config = ServerConfig(
        security=SECURITY,
        tables=(TRADES,),
        cloud_files={**CLOUD, "s3://bucket/big.csv": "id\n" + "1\n" * 5000},
        file_roots=(str(root),),
        limits=Limits(max_load_bytes=4096),
    )
    with FakeServer(config) as server:
        yield server, root


#: Files of the fuzzed root (see ``loading``), and paths that go wrong around them.
ROOT_NAMES = [
    "ok.csv", "latin.csv", "utf16.csv", "binary.csv", "big.csv", "empty.csv", "dir", "dir/",
    "pipe.csv", "out.csv", "loop.csv", "missing.csv", "../ok.csv", "ok.csv/x", "./ok.csv",
]  # fmt: skip
#: A source: ``{root}`` stands for the fuzzed root's path.
SOURCES = st.one_of(
    st.sampled_from(ROOT_NAMES).map(lambda name: "{root}/" + name),
    st.sampled_from([*CLOUD, "s3://bucket/big.csv", "s3://bucket/none", "http://x/y", "/"]),
    st.sampled_from(["/etc/passwd", "/dev/zero", "/proc/self/environ", "relative.csv", ""]),
    st.text(max_size=30),
)
# Often valid, so that files are opened and read; often not, so that options are checked.
VALID_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "encoding": st.sampled_from(["utf-8", "latin-1", "utf-16", "ascii", "cp1252"]),
        "separator": st.sampled_from([",", ";", "\t", "|"]),
        "header": st.booleans(),
    },
)
ODD_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "encoding": ENCODINGS,
        "separator": SEPARATORS,
        "arraySeparator": SEPARATORS,
        "header": st.booleans() | st.integers(0, 1) | st.none(),
    },
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=SOURCES | st.none() | st.integers() | st.lists(st.text(max_size=3), max_size=2),
    options=st.one_of(st.just({}), VALID_OPTIONS, ODD_OPTIONS, JSON),
    create=st.sampled_from([False, True]),
    table=st.sampled_from(["trades", "fresh", "ghost"]),
)
# What broke before issue 13: a NUL in the encoding (500), a FIFO (hung for ever).
@example(source="{root}/ok.csv", options={"encoding": "utf-8\x00"}, create=False, table="trades")
@example(source="{root}/pipe.csv", options={}, create=False, table="trades")
@example(source="{root}/pipe.csv", options={}, create=True, table="fresh")
@example(source="{root}/big.csv", options={}, create=True, table="fresh")
@example(source="{root}/out.csv", options={}, create=False, table="trades")
def test_no_load_breaks_the_server(
    loading: tuple[FakeServer, Path], source: object, options: object, create: bool, table: str
) -> None:
    server, root = loading
    if isinstance(source, str):
        source = source.replace("{root}", str(root))
    body: dict[str, Any] = {"source": source, "options": options}
    if create:
        body["create"] = {}
    builder = EnvironBuilder(
        method="POST",
        path=f"/atoti/rest/v1/tables/{table}/load",
        headers=[("Authorization", ADMIN)],
        json=body,
    )
    response = Response.from_app(server.wsgi_app, builder.get_environ())
    check(response, "POST", builder.path)
    event(f"status {response.status_code}")
    assert b"root:x:0:0" not in response.get_data(), "an outside file was loaded"
    if response.status_code == 413:
        assert b"limits.max_load_bytes" in response.get_data()
    server.reset()
