"""CSV loading: options, header mapping, errors naming row and line, type inference."""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeserver.model import CsvOptions, DataError, Table, csv_rows, infer_types
from fakeserver.model.loading import parse_csv

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
        # Not a character set (nor one a real server knows), and its decoding takes time
        # quadratic in the file's size: hours for a file within the load limit.
        ({"encoding": "punycode"}, "options.encoding: unknown encoding 'punycode'"),
        ({"encoding": "PunyCode"}, "options.encoding: unknown encoding 'PunyCode'"),
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


@pytest.mark.parametrize("name", ["utf-8\x00", "\x00", "latin-1\x00x", "x" * 100_000, "hex"])
def test_a_nul_or_any_bad_codec_name_is_a_400_naming_the_option(name: str) -> None:
    with pytest.raises(DataError, match=r"^options\.encoding: unknown encoding ") as caught:
        CsvOptions.from_json({"encoding": name})
    assert caught.value.status == 400
    assert len(caught.value.message) < 100, "a long name is not echoed whole"


class CountedName(str):
    """A header cell that counts how often it is compared for equality."""

    comparisons = 0

    def strip(self, chars: str | None = None) -> CountedName:
        return self

    def __eq__(self, other: object) -> bool:
        CountedName.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_repeated_header_names_are_found_in_linear_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # A header of n names compared with each other is n² comparisons: a 16 MiB CSV of short
    # names (2.7 million) was hours of CPU before a single row was read.
    n = 2_000
    header = [CountedName(f"c{i}") for i in range(n)]
    monkeypatch.setattr(csv, "reader", lambda *args, **kwargs: iter([header]))
    CountedName.comparisons = 0
    assert parse_csv("ignored", CsvOptions()) == (header, [])
    assert CountedName.comparisons <= 2 * n
    header.append(CountedName("c1"))
    with pytest.raises(DataError, match=r"repeated column names \['c1'\]"):
        parse_csv("ignored", CsvOptions())
