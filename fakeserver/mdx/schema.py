"""The cube as MDX sees it: hierarchies, their members, and the measures it can compute.

Built from a :class:`~fakeserver.model.Cube`'s discovery and its table, so MDX names
exactly what cube discovery lists. A hierarchy of another shape, or a measure other than
``contributors.COUNT`` and ``<column>.SUM``, is kept by name so that a query using it is
told it is unsupported rather than unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import COUNT_MEASURE, NUMERIC_TYPES, Cube, Table
from .formatting import member_name

__all__ = [
    "ALL_MEMBER",
    "MEASURES",
    "Hierarchy",
    "HierarchyKey",
    "Measure",
    "Member",
    "MemberSet",
    "Schema",
    "bracketed",
    "cube_schema",
]

ALL_MEMBER = "AllMember"
MEASURES = ("Measures", "Measures")

HierarchyKey = tuple[str, str]


@dataclass(frozen=True)
class Member:
    """A member of one hierarchy, or a measure (a member of :data:`MEASURES`)."""

    hierarchy: HierarchyKey
    path: tuple[str, ...]  # ("AllMember",), ("AllMember", name), or (measure,) for measures

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    @property
    def is_leaf(self) -> bool:
        return self.hierarchy != MEASURES and len(self.path) == 2


@dataclass(frozen=True)
class MemberSet:
    """An MDX set: tuples of one member per hierarchy, in the order of ``hierarchies``."""

    hierarchies: tuple[HierarchyKey, ...]
    tuples: tuple[tuple[Member, ...], ...]


@dataclass
class Hierarchy:
    key: HierarchyKey
    all_level: str
    level: str
    column: str
    type: str
    position: int
    names: list[str]  # leaf member names in the level's (natural) order
    values: dict[str, Any]  # name -> stored value
    order: dict[str, int]


@dataclass(frozen=True)
class Measure:
    name: str
    caption: str
    column: str | None  # None: contributors.COUNT
    position: int
    format_string: str | None


@dataclass
class Schema:
    name: str
    table: Table
    hierarchies: dict[HierarchyKey, Hierarchy]
    unusable: dict[HierarchyKey, str]  # hierarchies discovery lists that MDX here cannot use
    measures: dict[str, Measure]
    other_measures: set[str]  # listed by discovery, not computed here
    default_measure: str | None
    default_members: list[dict[str, Any]]


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


def cube_schema(cube: Cube, table: Table) -> Schema:
    """What MDX can use of ``cube``: read from its discovery, with members from ``table``."""
    discovery = cube.discovery(table)
    hierarchies: dict[HierarchyKey, Hierarchy] = {}
    unusable: dict[HierarchyKey, str] = {}
    rows = table.rows()
    for dimension in discovery.get("dimensions", []):
        for hierarchy in dimension.get("hierarchies", []):
            key = (str(dimension["name"]), str(hierarchy["name"]))
            levels = hierarchy.get("levels", [])
            shape_ok = (
                len(levels) == 2
                and levels[0].get("type") == "ALL"
                and not hierarchy.get("slicing", False)
                and table.has_column(levels[1].get("name"))
            )
            if not shape_ok:
                unusable[key] = (
                    "only hierarchies made of the ALL level and one level of a column are supported"
                )
                continue
            column = str(levels[1]["name"])
            position = table.position(column)
            values = sorted({row[position] for row in rows}, key=_sort_key)
            by_name = {member_name(v): v for v in values}
            names = list(by_name)
            hierarchies[key] = Hierarchy(
                key,
                str(levels[0]["name"]),
                column,
                column,
                table.column(column).type,
                position,
                names,
                by_name,
                {n: i for i, n in enumerate(names)},
            )
    measures: dict[str, Measure] = {}
    other: set[str] = set()
    for measure in discovery.get("measures", []):
        name = str(measure["name"])
        caption = str(measure.get("caption") or name)
        format_string = measure.get("formatString")
        summed = name[:-4] if name.endswith(".SUM") else None
        if name == COUNT_MEASURE:
            measures[name] = Measure(name, caption, None, -1, format_string)
        elif (
            summed is not None
            and table.has_column(summed)
            and table.column(summed).type in NUMERIC_TYPES
        ):
            measures[name] = Measure(name, caption, summed, table.position(summed), format_string)
        else:
            other.add(name)
    default = COUNT_MEASURE if COUNT_MEASURE in measures else next(iter(measures), None)
    return Schema(
        cube.name,
        table,
        hierarchies,
        unusable,
        measures,
        other,
        default,
        list(discovery.get("defaultMembers", [])),
    )


def bracketed(key: HierarchyKey) -> str:
    """``[dimension].[hierarchy]``: how messages name a hierarchy."""
    return f"[{key[0]}].[{key[1]}]"
