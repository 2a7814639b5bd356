"""CSV loading: options, parsing, rows for a table, and inferred column types.

Where the text comes from (a cloud object, or a file under the server's roots) is
:mod:`.sources`.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .values import DataError, Mismatch, parse_text

if TYPE_CHECKING:
    from .tables import Table

__all__ = ["CsvOptions", "Records", "csv_rows", "infer_types", "parse_csv"]

_CSV_OPTIONS = {"separator": str, "header": bool, "arraySeparator": str, "encoding": str}


@dataclass(frozen=True)
class CsvOptions:
    separator: str = ","
    header: bool = True
    array_separator: str = ";"
    encoding: str = "utf-8"

    @classmethod
    def from_json(cls, options: object) -> CsvOptions:
        if options is None:
            return cls()
        if not isinstance(options, dict):
            raise DataError("options must be an object")
        for name, value in options.items():
            kind = _CSV_OPTIONS.get(name)
            if kind is None:
                known = ", ".join(_CSV_OPTIONS)
                raise DataError(f"options.{name}: unknown option (known: {known})")
            if not isinstance(value, kind):
                raise DataError(f"options.{name}: must be a {kind.__name__}")
        made = cls(
            separator=options.get("separator", ","),
            header=options.get("header", True),
            array_separator=options.get("arraySeparator", ";"),
            encoding=options.get("encoding", "utf-8"),
        )
        try:
            codec = codecs.lookup(made.encoding)
        except (LookupError, ValueError):  # ValueError: a NUL in the name
            codec = None
        # bytes.decode refuses codecs such as rot13 or hex the same way: not text encodings.
        if codec is None or not getattr(codec, "_is_text_encoding", True):
            raise DataError(f"options.encoding: unknown encoding {made.encoding[:40]!r}")
        separators = (("separator", made.separator), ("arraySeparator", made.array_separator))
        for name, value in separators:
            if len(value) != 1 or value in '\r\n"':
                raise DataError(f"options.{name}: must be one character (not a quote or newline)")
        return made


Records = list[tuple[int, list[str]]]


def _reader(text: str, options: CsvOptions) -> Any:
    return csv.reader(io.StringIO(text, newline=""), delimiter=options.separator, strict=True)


def _header(reader: Any, options: CsvOptions) -> list[str] | None:
    """The header row (read from ``reader``) when the options say there is one."""
    if not options.header:
        return None
    try:
        for cells in reader:
            if cells:
                header = [c.strip() for c in cells]
                break
        else:
            raise DataError("the CSV is empty: it has no header row")
    except csv.Error as error:
        raise DataError(f"CSV line {reader.line_num}: {error}") from None
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates or "" in header:
        raise DataError(f"CSV header: empty or repeated column names {duplicates or ['']}")
    return header


def _records(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """``(line number, cells)`` of each row left in ``reader``; blank lines are skipped."""
    try:
        for cells in reader:
            if cells:
                yield reader.line_num, cells
    except csv.Error as error:
        raise DataError(f"CSV line {reader.line_num}: {error}") from None


def parse_csv(text: str, options: CsvOptions) -> tuple[list[str] | None, Records]:
    """(header or None, [(line number, cells)]); blank lines are skipped."""
    reader = _reader(text, options)
    header = _header(reader, options)
    return header, list(_records(reader))


def csv_rows(table: Table, text: str, options: CsvOptions) -> list[tuple[Any, ...]]:
    """The CSV's rows prepared for ``table`` (header names map to columns, in any order).

    Rows are converted as the reader yields them: a file's cells are never all held as
    text beside their values, so a load's memory stays a small multiple of the file.
    """
    reader = _reader(text, options)
    header = _header(reader, options)
    positions: list[int | None] | None = None
    if header is not None:
        unknown = [h for h in header if not table.has_column(h)]
        if unknown:
            raise DataError(f"table {table.name!r} has no column {unknown[0]!r} (CSV header)")
        # Cells reordered to the table's columns; a column the header lacks takes its default.
        where = {name: position for position, name in enumerate(header)}
        positions = [where.get(name) for name in table.column_names]
    lines: list[int] = [0]  # the line of the row being converted, for its error message

    def rows() -> Iterator[list[str | None]]:
        for index, (line, cells) in enumerate(_records(reader)):
            lines[0] = line
            if positions is None:
                yield list(cells)
                continue
            assert header is not None
            if len(cells) != len(header):
                raise DataError(
                    f"table {table.name!r}, row {index} (CSV line {line}): {len(cells)} values "
                    f"for {len(header)} header columns"
                )
            yield [None if p is None else cells[p] for p in positions]

    def convert(type_name: str, value: Any) -> Any:
        return parse_text(
            type_name, "" if value is None else value, array_separator=options.array_separator
        )

    return table.prepare_each(
        rows(), convert=convert, label=lambda index: f"row {index} (CSV line {lines[0]})"
    )


_INFERENCE_ORDER = ("int", "long", "double", "boolean", "LocalDate", "LocalDateTime")


def infer_types(text: str, options: CsvOptions) -> dict[str, str]:
    """Column types for a CSV with a header: the narrowest type every non-empty cell fits."""
    if not options.header:
        raise DataError("creating a table from a CSV needs a header row (options.header)")
    header, records = parse_csv(text, options)
    assert header is not None
    types: dict[str, str] = {}
    for position, name in enumerate(header):
        cells = [c[position] for _, c in records if position < len(c) and c[position] != ""]
        types[name] = next(
            (t for t in _INFERENCE_ORDER if cells and _all_parse(t, cells)), "String"
        )
    return types


def _all_parse(type_name: str, cells: list[str]) -> bool:
    # Scalar types and non-empty cells only: parse_text is then the scalar parser.
    try:
        for cell in cells:
            parse_text(type_name, cell)
    except Mismatch:
        return False
    return True
