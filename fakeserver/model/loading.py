"""CSV loading: options, parsing, rows for a table, and inferred column types.

Where the text comes from (a cloud object, or a file under the server's roots) is
:mod:`.sources`.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .values import DataError, Mismatch, parse_text

if TYPE_CHECKING:
    from .tables import Table

__all__ = ["CsvOptions", "Records", "csv_rows", "infer_types", "parse_csv"]

_CSV_OPTIONS = {"separator": str, "header": bool, "arraySeparator": str, "encoding": str}
#: Python text codecs that are no character set (a real server knows none of them) and whose
#: decoding is quadratic in the input: a 16 MiB file would take hours of CPU.
_NOT_CHARSETS = frozenset({"punycode"})


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
        if (
            codec is None
            or not getattr(codec, "_is_text_encoding", True)
            or codec.name in _NOT_CHARSETS
        ):
            raise DataError(f"options.encoding: unknown encoding {made.encoding[:40]!r}")
        separators = (("separator", made.separator), ("arraySeparator", made.array_separator))
        for name, value in separators:
            if len(value) != 1 or value in '\r\n"':
                raise DataError(f"options.{name}: must be one character (not a quote or newline)")
        return made


Records = list[tuple[int, list[str]]]


def parse_csv(text: str, options: CsvOptions) -> tuple[list[str] | None, Records]:
    """(header or None, [(line number, cells)]); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=options.separator, strict=True)
    header: list[str] | None = None
    records: Records = []
    try:
        for cells in reader:
            if not cells:
                continue
            if options.header and header is None:
                header = [c.strip() for c in cells]
                continue
            records.append((reader.line_num, cells))
    except csv.Error as error:
        raise DataError(f"CSV line {reader.line_num}: {error}") from None
    if options.header and header is None:
        raise DataError("the CSV is empty: it has no header row")
    if header is not None:
        # Counted once each: header.count per name is quadratic in the (unbounded) width.
        duplicates = sorted(h for h, n in collections.Counter(header).items() if n > 1)
        if duplicates or "" in header:
            raise DataError(f"CSV header: empty or repeated column names {duplicates or ['']}")
    return header, records


def csv_rows(table: Table, text: str, options: CsvOptions) -> list[tuple[Any, ...]]:
    """The CSV's rows prepared for ``table`` (header names map to columns, in any order)."""
    header, records = parse_csv(text, options)
    if header is not None:
        unknown = [h for h in header if not table.has_column(h)]
        if unknown:
            raise DataError(f"table {table.name!r} has no column {unknown[0]!r} (CSV header)")
    rows: list[Any] = []
    labels = []
    for index, (line, cells) in enumerate(records):
        label = f"row {index} (CSV line {line})"
        if header is not None:
            if len(cells) != len(header):
                raise DataError(
                    f"table {table.name!r}, {label}: {len(cells)} values for {len(header)} "
                    "header columns"
                )
            rows.append(dict(zip(header, cells, strict=True)))
        else:
            rows.append(cells)
        labels.append(label)

    def convert(type_name: str, value: Any) -> Any:
        return parse_text(
            type_name, "" if value is None else value, array_separator=options.array_separator
        )

    return table.prepare(rows, convert=convert, labels=labels)


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
