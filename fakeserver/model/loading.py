"""CSV loading: options, parsing, rows for a table, inferred column types, and sources.

A source is a cloud object of the in-memory store, or a file under the server's roots.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from ..protocol import CLOUD_SCHEMES
from .values import DataError, Mismatch, parse_text

if TYPE_CHECKING:
    from .tables import Table

__all__ = ["CsvOptions", "Records", "csv_rows", "infer_types", "parse_csv", "read_source"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
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
        except LookupError:
            codec = None
        # bytes.decode refuses codecs such as rot13 or hex the same way: not text encodings.
        if codec is None or not getattr(codec, "_is_text_encoding", True):
            raise DataError(f"options.encoding: unknown encoding {made.encoding!r}")
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
        duplicates = sorted({h for h in header if header.count(h) > 1})
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


def read_source(
    source: object,
    *,
    local_host: bool,
    file_roots: Sequence[str],
    cloud_files: Mapping[str, str],
    encoding: str = "utf-8",
) -> str:
    """The text behind a load's ``source``: a cloud object, or a file under the roots.

    A target on another host cannot see the client's disk: it answers exactly as it
    does for a file that does not exist. Paths are refused when they use ``..`` or when
    they resolve (symlinks included) outside every configured root.
    """
    if not isinstance(source, str) or not source:
        raise DataError("source must be a local path or an s3://, gs:// or az:// URL")
    scheme = _SCHEME.match(source)
    if scheme is not None:
        if scheme.group(1).lower() not in CLOUD_SCHEMES:
            raise DataError(
                f"unsupported source scheme {scheme.group(1)}://: give a local path or an "
                "s3://, gs:// or az:// URL"
            )
        if source not in cloud_files:
            raise DataError(f"no such cloud object: {source}", 404)
        return cloud_files[source]
    not_found = DataError(f"cannot load {source!r}: no such file on the server", 404)
    if not local_host:
        raise not_found
    if not source.isprintable() or not os.path.isabs(source):
        raise DataError(f"{source!r} is not an absolute path")
    if ".." in PurePath(source).parts:
        raise DataError(f"{source!r} uses '..': refused", 403)
    real = os.path.realpath(source)
    roots = [os.path.realpath(r) for r in file_roots]
    if not any(os.path.commonpath([real, root]) == root for root in roots):
        raise DataError(f"{source!r} is outside the server's file roots", 403)
    try:
        with open(real, "rb") as file:
            data = file.read()
    except (FileNotFoundError, NotADirectoryError):
        raise not_found from None
    except IsADirectoryError:
        raise DataError(f"cannot load {source!r}: it is a directory") from None
    except PermissionError:
        raise DataError(f"cannot load {source!r}: permission denied", 403) from None
    except OSError as error:
        raise DataError(f"cannot load {source!r}: {error.strerror}") from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DataError(f"{source!r} is not {encoding} text (byte {error.start})") from None
    except (UnicodeError, ValueError, LookupError):
        raise DataError(f"{source!r} is not {encoding} text") from None
