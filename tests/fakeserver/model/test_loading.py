"""CSV loading: options, header mapping, errors naming row and line, type inference, sources."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeserver.model import CsvOptions, DataError, Table, csv_rows, infer_types, read_source

from .samples import table


def test_csv_maps_header_names_and_handles_quotes() -> None:
    t = table()
    text = 'name,id,tags\n"Doe, Jane",1,a;b\n\n"say ""hi""",2,\n'
    rows = csv_rows(t, text, CsvOptions())
    assert [(r[0], r[1], r[8]) for r in rows] == [
        (1, "Doe, Jane", ("a", "b")),
        (2, 'say "hi"', None),
    ]


def test_csv_options_and_their_errors() -> None:
    t = Table("s", {"a": "int", "b": "String"})
    rows = csv_rows(t, "1;x\n2;y\n", CsvOptions.from_json({"separator": ";", "header": False}))
    assert rows == [(1, "x"), (2, "y")]
    for options, message in [
        ({"sep": ";"}, "options.sep: unknown option"),
        ({"header": "yes"}, "options.header: must be a bool"),
        ({"separator": ";;"}, "options.separator: must be one character"),
        ({"encoding": "rot13"}, "options.encoding: unknown encoding 'rot13'"),
        ({"encoding": "no-such"}, "options.encoding: unknown encoding"),
        ([1], "options must be an object"),
    ]:
        with pytest.raises(DataError, match=message):
            CsvOptions.from_json(options)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,b\n1,x\nz,y\n", r"table 's', row 1 \(CSV line 3\), column 'a': 'z' is not an int"),
        ("a,b\n1\n", r"row 0 \(CSV line 2\): 1 values for 2 header columns"),
        ("a,c\n1,2\n", "table 's' has no column 'c'"),
        ("a,a\n1,2\n", "repeated column names"),
        ("", "the CSV is empty"),
        ('a,b\n1,"x\n', "CSV line"),
    ],
)
def test_csv_errors_name_row_and_line(text: str, message: str) -> None:
    t = Table("s", {"a": "int", "b": "String"})
    with pytest.raises(DataError, match=message):
        csv_rows(t, text, CsvOptions())


def test_types_are_inferred_from_a_csv() -> None:
    text = (
        "i,l,d,b,day,at,s,empty\n1,5000000000,1.5,true,2024-01-01,2024-01-01T10:00:00,x,\n"
        "2,1,2,false,2024-01-02,2024-01-02T10:00:00,3,\n"
    )
    assert infer_types(text, CsvOptions()) == {
        "i": "int",
        "l": "long",
        "d": "double",
        "b": "boolean",
        "day": "LocalDate",
        "at": "LocalDateTime",
        "s": "String",
        "empty": "String",
    }
    with pytest.raises(DataError, match="needs a header row"):
        infer_types(text, CsvOptions(header=False))


# -- sources -------------------------------------------------------------------------------


def source(path: str | Path, root: Path, *, local: bool = True) -> str:
    return read_source(
        str(path), local_host=local, file_roots=(str(root),), cloud_files={"s3://b/k.csv": "a\n1\n"}
    )


def test_sources_under_the_roots_are_read(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("a\n1\n")
    assert source(tmp_path / "ok.csv", tmp_path) == "a\n1\n"
    assert source("s3://b/k.csv", tmp_path, local=False) == "a\n1\n"


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (lambda p: str(p / "root" / ".." / "outside.csv"), 403, "uses '..'"),
        (lambda p: str(p / "outside.csv"), 403, "outside the server's file roots"),
        (lambda p: str(p / "root" / "link.csv"), 403, "outside the server's file roots"),
        (lambda p: str(p / "root" / "missing.csv"), 404, "no such file on the server"),
        (lambda p: str(p / "root"), 400, "it is a directory"),
        (lambda p: "relative.csv", 400, "not an absolute path"),
        (lambda p: str(p / "root" / "\ud800.csv"), 400, "not an absolute path"),
        (lambda p: str(p / "root" / ("x" * 300)), 400, "File name too long"),
        (lambda p: "s3://b/nope.csv", 404, "no such cloud object"),
        (lambda p: "http://example/x.csv", 400, "unsupported source scheme http://"),
        (lambda p: "", 400, "source must be"),
    ],
)
def test_sources_that_escape_or_do_not_exist_are_refused(
    tmp_path: Path, make: Any, status: int, message: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.csv").write_text("secret\n")
    os.symlink(tmp_path / "outside.csv", root / "link.csv")
    with pytest.raises(DataError, match=message) as caught:
        source(make(tmp_path), root)
    assert caught.value.status == status


def test_a_remote_host_cannot_see_files_that_exist(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text("a\n1\n")
    with pytest.raises(DataError) as remote:
        source(tmp_path / "ok.csv", tmp_path, local=False)
    with pytest.raises(DataError) as missing:
        source(tmp_path / "missing.csv", tmp_path)
    # Word for word what a missing file gets: the fake does not reveal the file is there.
    assert remote.value.status == missing.value.status == 404
    assert remote.value.message.replace("ok.csv", "X") == missing.value.message.replace(
        "missing.csv", "X"
    )


def test_symlinks_that_stay_inside_and_symlinked_roots_are_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "data.csv").write_text("a\n1\n")
    os.symlink(real / "data.csv", real / "alias.csv")
    os.symlink(real, tmp_path / "rootlink")
    assert source(real / "alias.csv", real) == "a\n1\n"
    assert source(tmp_path / "rootlink" / "data.csv", tmp_path / "rootlink") == "a\n1\n"


def test_undecodable_files_are_a_400(tmp_path: Path) -> None:
    (tmp_path / "bin.csv").write_bytes(b"a\n\xff\n")
    with pytest.raises(DataError, match="is not utf-8 text"):
        source(tmp_path / "bin.csv", tmp_path)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from('ab1,;"\n\r .-T:'), max_size=60))
def test_any_csv_loads_or_is_a_data_error(text: str) -> None:
    t = Table("s", {"a": "int", "b": "String"})
    try:
        types = infer_types("a,b\n" + text, CsvOptions())
        rows = csv_rows(t, "a,b\n" + text, CsvOptions())
    except DataError as error:
        assert error.status == 400
        return
    # A lone "\r" ends a record too, as in the csv module.
    records = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    assert set(types) == {"a", "b"} and len(rows) <= records
