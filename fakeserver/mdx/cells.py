"""The cell set: the aggregate of the facts at every position of the axes, in the client's shape.

The facts are grouped once per set of hierarchies a cell constrains; the grid is then read
in the real server's ordinal order (the first axis varying fastest), with empty cells left
out and, on a ``NON EMPTY`` axis, empty positions too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .budget import Budget
from .formatting import decimal_format, member_name
from .nodes import Axis, Select
from .schema import MEASURES, HierarchyKey, Measure, Member, MemberSet, Schema

__all__ = ["cell_set"]


def cell_set(
    schema: Schema,
    select: Select,
    sets: Sequence[MemberSet],
    slicer: tuple[Member, ...],
    facts: Sequence[tuple[Any, ...]],
    budget: Budget,
) -> dict[str, Any]:
    """The answer to ``select``: its axes' ``sets`` and ``slicer`` over the ``facts`` left."""
    slicer_measure = next((m.path[0] for m in slicer if m.hierarchy == MEASURES), None)
    measure_fallback = slicer_measure or schema.default_measure
    first_axis: Axis | None = select.axes[0] if select.axes else None
    values = _Cells(schema, facts, lambda count: budget.spend(count, first_axis))

    def value_of(indices: tuple[int, ...]) -> Any:
        members = [m for value, i in zip(sets, indices, strict=True) for m in value.tuples[i]]
        measure = next((m.path[0] for m in members if m.hierarchy == MEASURES), None)
        measure = measure or measure_fallback
        if measure is None:
            return None
        return values.get(schema.measures[measure], members)

    shape = [len(value.tuples) for value in sets]
    budget.cells(math.prod(shape), first_axis)
    grid = {indices: value_of(indices) for indices in _product(shape)}
    kept = [list(range(n)) for n in shape]
    for a, axis in enumerate(select.axes):
        if axis.non_empty:
            filled = {indices[a] for indices, v in grid.items() if v is not None}
            kept[a] = [i for i in kept[a] if i in filled]
    final = [
        MemberSet(value.hierarchies, tuple(value.tuples[i] for i in keep))
        for value, keep in zip(sets, kept, strict=True)
    ]
    cells = []
    for ordinal, indices in enumerate(_product([len(k) for k in kept])):
        value = grid[tuple(keep[i] for keep, i in zip(kept, indices, strict=True))]
        if value is None:
            continue  # the cell set is sparse, as the real server's
        measure_name = next(
            (
                m.path[0]
                for value_set, i in zip(final, indices, strict=True)
                for m in value_set.tuples[i]
                if m.hierarchy == MEASURES
            ),
            measure_fallback,
        )
        assert measure_name is not None
        measure = schema.measures[measure_name]
        cells.append(
            {
                "ordinal": ordinal,
                "value": value,
                "formattedValue": decimal_format(value, measure.format_string),
                "properties": {},
            }
        )
    axes = [_axis_json(schema, i, value) for i, value in enumerate(final)]
    if select.slicer is not None:
        axes.insert(
            0, _axis_json(schema, -1, MemberSet(tuple(m.hierarchy for m in slicer), (slicer,)))
        )
    return {
        "cube": schema.name,
        "axes": axes,
        "cells": cells,
        "defaultMembers": _default_members(schema),
    }


def _member_json(schema: Schema, member: Member) -> dict[str, Any]:
    if member.hierarchy == MEASURES:
        caption = schema.measures[member.path[0]].caption
        return {"namePath": list(member.path), "captionPath": [caption]}
    return {"namePath": list(member.path), "captionPath": list(member.path)}


def _axis_json(schema: Schema, axis_id: int, value: MemberSet) -> dict[str, Any]:
    return {
        "id": axis_id,
        "hierarchies": [{"dimension": d, "hierarchy": h} for d, h in value.hierarchies],
        "positions": [[_member_json(schema, m) for m in t] for t in value.tuples],
        "maxLevelPerHierarchy": [
            max((len(t[i].path) for t in value.tuples), default=0)
            for i in range(len(value.hierarchies))
        ],
    }


def _default_members(schema: Schema) -> list[dict[str, Any]]:
    members = list(schema.default_members)
    default = schema.default_measure
    has_measure = any((m.get("dimension"), m.get("hierarchy")) == MEASURES for m in members)
    if default is not None and not has_measure:
        caption = schema.measures[default].caption
        members.insert(
            0,
            {
                "dimension": MEASURES[0],
                "hierarchy": MEASURES[1],
                "path": [default],
                "captionPath": [caption],
            },
        )
    return members


def _product(shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Every index tuple, the first axis varying fastest (the cell set's ordinal order)."""
    result: list[tuple[int, ...]] = [()]
    for size in shape:
        result = [(*prefix, i) for i in range(size) for prefix in result]
    return result


class _Cells:
    """Aggregates of the facts, grouped once per set of constrained hierarchies."""

    def __init__(
        self, schema: Schema, facts: Sequence[tuple[Any, ...]], spend: Callable[[int], None]
    ) -> None:
        self.schema = schema
        self.facts = facts
        self.spend = spend  # each pattern of cells reads every fact once: that is paid for
        self.sums = [m for m in schema.measures.values() if m.column is not None]
        # Where each summed measure sits in an aggregate: looked up per cell, so not a scan.
        self.slots = {m.name: i for i, m in enumerate(self.sums, 1)}
        self.groups: dict[tuple[HierarchyKey, ...], dict[tuple[str, ...], list[Any]]] = {}

    def group(self, keys: tuple[HierarchyKey, ...]) -> dict[tuple[str, ...], list[Any]]:
        found = self.groups.get(keys)
        if found is not None:
            return found
        self.spend(len(self.facts))
        positions = [self.schema.hierarchies[k].position for k in keys]
        groups: dict[tuple[str, ...], list[Any]] = {}
        for row in self.facts:
            name = tuple(member_name(row[p]) for p in positions)
            acc = groups.get(name)
            if acc is None:
                acc = groups[name] = [0] + [None] * len(self.sums)
            acc[0] += 1
            for i, measure in enumerate(self.sums, 1):
                value = row[measure.position]
                if value is not None:
                    acc[i] = value if acc[i] is None else acc[i] + value
        self.groups[keys] = groups
        return groups

    def get(self, measure: Measure, members: Sequence[Member]) -> Any:
        leaves = sorted((m.hierarchy, m.path[1]) for m in members if m.is_leaf)
        acc = self.group(tuple(k for k, _ in leaves)).get(tuple(n for _, n in leaves))
        if acc is None:
            return None
        if measure.column is None:
            return acc[0]
        return acc[self.slots[measure.name]]
