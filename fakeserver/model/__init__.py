"""The fake's in-memory data model: typed tables, Mongo-like conditions, CSV, cubes.

Nothing here knows about HTTP except :class:`DataError`, which carries the status a view
answers with, and nothing here imports the config: the config imports the model. One
topic per module, each importing at run time only those above it:

- :mod:`.values`: Atoti's value types, coercion of wire and CSV values, ``DataError``;
- :mod:`.names`: the one rule for table, column, cube and user names;
- :mod:`.conditions`: Mongo-like conditions compiled to row predicates;
- :mod:`.generation`: seeded faker rows;
- :mod:`.tables`: typed tables and their columns;
- :mod:`.loading`: CSV options and parsing, type inference;
- :mod:`.sources`: reading a load's source (a cloud object, or a file under the roots);
- :mod:`.cubes`: cubes and the ``cube/discovery`` answer.
"""

from __future__ import annotations

from .conditions import Predicate, compile_condition
from .cubes import CATALOG_NAME, COUNT_MEASURE, Cube, cube_discovery
from .generation import generate_rows
from .loading import CsvOptions, csv_rows, infer_types, parse_csv
from .names import NameKind, check_name
from .sources import read_source
from .tables import Column, Table, TableDefinition
from .values import (
    ATOTI_TYPES,
    DEFAULT_VALUES,
    NUMERIC_TYPES,
    SCALAR_TYPES,
    DataError,
    Mismatch,
    coerce,
    element_type,
    parse_text,
    short,
    to_json,
)

__all__ = [
    "ATOTI_TYPES",
    "CATALOG_NAME",
    "COUNT_MEASURE",
    "DEFAULT_VALUES",
    "NUMERIC_TYPES",
    "SCALAR_TYPES",
    "Column",
    "CsvOptions",
    "Cube",
    "DataError",
    "Mismatch",
    "NameKind",
    "Predicate",
    "Table",
    "TableDefinition",
    "check_name",
    "coerce",
    "compile_condition",
    "csv_rows",
    "cube_discovery",
    "element_type",
    "generate_rows",
    "infer_types",
    "parse_csv",
    "parse_text",
    "read_source",
    "short",
    "to_json",
]
