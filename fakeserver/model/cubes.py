"""Cubes: one per table, described (``cube/discovery``) from the table's columns when asked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .values import NUMERIC_TYPES

if TYPE_CHECKING:
    from .tables import Table

__all__ = ["CATALOG_NAME", "COUNT_MEASURE", "Cube", "cube_discovery"]

CATALOG_NAME = "atoti"
COUNT_MEASURE = "contributors.COUNT"


@dataclass(frozen=True)
class Cube:
    """A cube built from one table, described from the table's columns when asked."""

    name: str
    table: str

    def discovery(self, table: Table) -> dict[str, Any]:
        """This cube as ``cube/discovery`` lists it (the shape atoti-client 0.9 parses).

        One dimension named after the table holds a single-level hierarchy per key or
        String column (after ActivePivot's ``ALL`` level); measures are
        ``contributors.COUNT`` and ``<column>.SUM`` per numeric non-key column.
        """
        hierarchies = [
            {
                "name": c.name,
                "caption": c.name,
                "folder": None,
                "slicing": False,
                "visible": True,
                "levels": [
                    {"name": "ALL", "caption": "ALL", "type": "ALL"},
                    {"name": c.name, "caption": c.name, "type": "REGULAR"},
                ],
            }
            for c in table.columns
            if c.name in table.keys or c.type == "String"
        ]
        dimensions = (
            [
                {
                    "name": table.name,
                    "caption": table.name,
                    "type": "STANDARD",
                    "defaultHierarchy": hierarchies[0]["name"],
                    "hierarchies": hierarchies,
                }
            ]
            if hierarchies
            else []
        )
        # Atoti's own formatters (``Measure.formatter``): INT[...] for whole numbers.
        measures = [_measure(COUNT_MEASURE, "INT[#,###]")] + [
            _measure(
                f"{c.name}.SUM",
                "DOUBLE[#,###.00]" if c.type in ("float", "double") else "INT[#,###]",
            )
            for c in table.columns
            if c.type in NUMERIC_TYPES and c.name not in table.keys
        ]
        default_members = [
            {
                "dimension": table.name,
                "hierarchy": h["name"],
                "path": ["AllMember"],
                "captionPath": ["AllMember"],
            }
            for h in hierarchies
        ]
        return {
            "name": self.name,
            "defaultMembers": default_members,
            "dimensions": dimensions,
            "measures": measures,
        }


def _measure(name: str, format_string: str) -> dict[str, Any]:
    return {
        "name": name,
        "caption": name,
        "visible": True,
        "folder": None,
        "formatString": format_string,
        "description": None,
    }


def cube_discovery(cubes: Mapping[str, Cube], tables: Mapping[str, Table]) -> dict[str, Any]:
    """The whole ``cube/discovery`` answer: one catalog holding every cube."""
    described = [c.discovery(tables[c.table]) for c in cubes.values() if c.table in tables]
    return {"catalogs": [{"name": CATALOG_NAME, "cubes": described}]}
