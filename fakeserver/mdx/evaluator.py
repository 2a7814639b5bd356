"""MDX evaluated over one cube: names to members, sets and functions, ``Filter``, scopes.

The evaluator resolves every set of a :class:`~.nodes.Select` against the cube's
:class:`~.schema.Schema`, narrows the facts by its subselects and ``WHERE``, and hands the
rest to :func:`~.cells.cell_set`. Anything it cannot answer is an :class:`MdxError` that
quotes the part of the query it is about. Every tuple it builds is paid for from the
query's one :class:`~.budget.Budget`.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..limits import Limits
from ..model import COUNT_MEASURE, Cube, Table
from .budget import Budget
from .cells import cell_set
from .errors import MdxError, where
from .formatting import member_name
from .nodes import Axis, Call, Compare, Ident, Lit, Logic, Node, Select, SetLit, TupleLit
from .parser import too_deep
from .schema import (
    ALL_MEMBER,
    MEASURES,
    Hierarchy,
    HierarchyKey,
    Member,
    MemberSet,
    Schema,
    bracketed,
    cube_schema,
)

__all__ = ["evaluate", "find_cube"]

_DEFAULT_LIMITS = Limits()
_FUNCTIONS = ("Crossjoin", "Descendants", "DrilldownLevel", "Except", "Filter", "Hierarchize")

_MEMBER_PROPERTIES = {"MEMBER_VALUE", "MEMBER_CAPTION", "NAME", "MEMBER_NAME"}
_SET_PROPERTIES = {"MEMBERS", "ALLMEMBERS", "CHILDREN"}
# Well-known MDX properties this fake does not compute, named in errors as such.
_OTHER_PROPERTIES = {
    "PARENT",
    "FIRSTCHILD",
    "LASTCHILD",
    "SIBLINGS",
    "PREVMEMBER",
    "NEXTMEMBER",
    "LEVEL",
    "HIERARCHY",
    "DIMENSION",
    "ORDINAL",
    "VALUE",
    "UNIQUENAME",
    "CAPTION",
    "DEFAULTMEMBER",
    "ALLMEMBER",
    "FIRSTSIBLING",
    "LASTSIBLING",
    "LEVELS",
    "COUNT",
    "ITEM",
    "CURRENT",
}
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_DESCENDANTS_FLAGS = ("SELF", "SELF_AND_BEFORE", "SELF_BEFORE_AFTER")


@dataclass
class _Scope:
    """What a (sub)select sees: the facts left, and the members each hierarchy keeps."""

    rows: list[tuple[Any, ...]]
    visible: dict[HierarchyKey, frozenset[str]]


class _Evaluator:
    def __init__(self, schema: Schema, mdx: str, budget: Budget) -> None:
        self.schema = schema
        self.mdx = mdx
        self.budget = budget
        # What a Filter condition's nodes resolve to, worked out once, not once per tuple.
        self.chains: dict[int, list[Node]] = {}
        self.current_members: dict[int, tuple[Hierarchy | None, bool]] = {}
        # Each measure's position, for ordering: listed once, not once per tuple sorted.
        self.measure_positions = {name: i for i, name in enumerate(schema.measures)}

    # -- errors ----------------------------------------------------------------------------

    def unsupported(self, what: str, node: Node | Axis) -> MdxError:
        end = node.end if not isinstance(node, Axis) else None
        return MdxError(f"unsupported MDX {where(self.mdx, node.start, end)}: {what}")

    def error(self, what: str, node: Node | Axis) -> MdxError:
        end = node.end if not isinstance(node, Axis) else None
        return MdxError(f"MDX error {where(self.mdx, node.start, end)}: {what}")

    # -- members -----------------------------------------------------------------------------

    def hierarchy(self, key: HierarchyKey, node: Node) -> Hierarchy:
        found = self.schema.hierarchies.get(key)
        if found is not None:
            return found
        if key in self.schema.unusable:
            raise self.unsupported(f"hierarchy {bracketed(key)}: {self.schema.unusable[key]}", node)
        known = ", ".join(bracketed(k) for k in self.schema.hierarchies) or "none"
        raise self.error(
            f"cube {self.schema.name!r} has no hierarchy {bracketed(key)} (it has: {known})", node
        )

    def measure(self, name: str, node: Node) -> Member:
        if name in self.schema.measures:
            return Member(MEASURES, (name,))
        if name in self.schema.other_measures:
            raise self.unsupported(
                f"the measure {name!r}: only {COUNT_MEASURE} and <column>.SUM are computed", node
            )
        known = ", ".join(sorted(self.schema.measures)) or "none"
        raise self.error(
            f"cube {self.schema.name!r} has no measure {name!r} (it has: {known})", node
        )

    def leaves(self, hierarchy: Hierarchy, scope: _Scope) -> list[Member]:
        visible = scope.visible.get(hierarchy.key)
        return [
            Member(hierarchy.key, (ALL_MEMBER, name))
            for name in hierarchy.names
            if visible is None or name in visible
        ]

    def children(self, member: Member, scope: _Scope) -> list[Member]:
        if member.hierarchy == MEASURES or member.depth > 0:
            return []
        return self.leaves(self.schema.hierarchies[member.hierarchy], scope)

    def resolve(self, node: Ident, scope: _Scope) -> MemberSet | Member:
        """A member or a set named by a dotted identifier."""
        names = [text for text, _ in node.parts]
        quoted = [q for _, q in node.parts]
        properties: list[str] = []
        while names and not quoted[len(names) - 1]:
            word = names[-1].upper()
            if word in _SET_PROPERTIES or word in _MEMBER_PROPERTIES or word == "CURRENTMEMBER":
                properties.insert(0, word)
                names.pop()
            elif word in _OTHER_PROPERTIES:
                raise self.unsupported(f"the property .{names[-1]}", node)
            else:
                break
        if "CURRENTMEMBER" in properties or set(properties) & _MEMBER_PROPERTIES:
            raise self.unsupported(
                "CurrentMember and member properties outside a Filter(...) condition", node
            )
        if len(properties) > 1:
            raise self.unsupported(f"the properties .{'.'.join(properties)}", node)
        prop = properties[0] if properties else None
        if not names:
            raise self.error("an identifier needs a name before its property", node)
        if names[0] == "Measures":
            if len(names) == 1 or (len(names) == 2 and names[1] == "Measures" and prop):
                if prop not in ("MEMBERS", "ALLMEMBERS"):
                    raise self.unsupported("[Measures] without .Members", node)
                self.budget.spend(len(self.schema.measures), node)
                members = [Member(MEASURES, (m,)) for m in self.schema.measures]
                return MemberSet((MEASURES,), tuple((m,) for m in members))
            if len(names) != 2 or prop is not None:
                raise self.unsupported("a measure is written [Measures].[name]", node)
            return self.measure(names[1], node)
        if len(names) < 2:
            raise self.unsupported(
                f"the identifier {names[0]!r}: write [dimension].[hierarchy]... in full", node
            )
        hierarchy = self.hierarchy((names[0], names[1]), node)
        rest = names[2:]
        all_member = Member(hierarchy.key, (ALL_MEMBER,))
        if not rest:
            if prop in ("MEMBERS", "ALLMEMBERS"):
                tuples = [(all_member,)] + [(m,) for m in self.leaves(hierarchy, scope)]
                self.budget.spend(len(tuples), node)
                return MemberSet((hierarchy.key,), tuple(tuples))
            raise self.unsupported("a hierarchy as a set: add .Members, or name a member", node)
        if len(rest) == 1 and prop in ("MEMBERS", "ALLMEMBERS") and rest[0] != ALL_MEMBER:
            if rest[0] == hierarchy.all_level:
                self.budget.spend(1, node)
                return MemberSet((hierarchy.key,), ((all_member,),))
            if rest[0] == hierarchy.level:
                leaves = self.leaves(hierarchy, scope)
                self.budget.spend(len(leaves), node)
                return MemberSet((hierarchy.key,), tuple((m,) for m in leaves))
            raise self.error(
                f"hierarchy {bracketed(hierarchy.key)} has no level {rest[0]!r} "
                f"(it has: {hierarchy.all_level!r}, {hierarchy.level!r})",
                node,
            )
        path = rest[1:] if rest[0] == hierarchy.all_level else rest
        if not path or path[0] != ALL_MEMBER:
            raise self.unsupported(
                f"the member {'.'.join(f'[{p}]' for p in rest)}: members are written "
                f"{bracketed(hierarchy.key)}.[{hierarchy.all_level}].[{ALL_MEMBER}].[name]",
                node,
            )
        if len(path) > 2:
            raise self.error(
                f"{'.'.join(f'[{p}]' for p in path)} is deeper than hierarchy "
                f"{bracketed(hierarchy.key)} (one level under {ALL_MEMBER})",
                node,
            )
        member = Member(hierarchy.key, tuple(path))
        if prop == "CHILDREN":
            children = self.children(member, scope)
            self.budget.spend(len(children), node)
            return MemberSet((hierarchy.key,), tuple((m,) for m in children))
        if prop is not None:
            raise self.unsupported(f"the property .{prop.title()} of a member", node)
        return member

    # -- sets ----------------------------------------------------------------------------------

    def as_set(self, node: Node, scope: _Scope) -> MemberSet:
        value = self.set_or_member(node, scope)
        if isinstance(value, Member):
            self.budget.spend(1, node)
            return MemberSet((value.hierarchy,), ((value,),))
        return value

    def set_or_member(self, node: Node, scope: _Scope) -> MemberSet | Member:
        if isinstance(node, Ident):
            return self.resolve(node, scope)
        if isinstance(node, SetLit):
            return self.union([self.as_set(item, scope) for item in node.items], node)
        if isinstance(node, TupleLit):
            members: list[Member] = []
            for item in node.items:
                value = self.set_or_member(item, scope)
                if isinstance(value, MemberSet):
                    if len(value.tuples) != 1:
                        raise self.unsupported("a set inside a tuple ( , )", item)
                    members.extend(value.tuples[0])
                else:
                    members.append(value)
            keys = tuple(m.hierarchy for m in members)
            self.check_distinct(keys, node)
            self.budget.spend(1, node)
            return MemberSet(keys, (tuple(members),))
        if isinstance(node, Call):
            return self.call(node, scope)
        if isinstance(node, Lit):
            raise self.unsupported("a literal where a set is expected", node)
        raise self.unsupported("a condition where a set is expected", node)

    def check_distinct(self, keys: Sequence[HierarchyKey], node: Node) -> None:
        repeated = sorted(k for k, seen in Counter(keys).items() if seen > 1)
        if repeated:
            raise self.error(f"hierarchy {bracketed(repeated[0])} appears twice in a tuple", node)

    def union(self, sets: Sequence[MemberSet], node: Node) -> MemberSet:
        shapes = {s.hierarchies for s in sets if s.tuples}
        if len(shapes) > 1:
            described = " and ".join(
                sorted("(" + ", ".join(bracketed(k) for k in shape) + ")" for shape in shapes)
            )
            raise self.error(f"a set mixes members of {described}", node)
        hierarchies = shapes.pop() if shapes else (sets[0].hierarchies if sets else ())
        self.budget.spend(sum(len(s.tuples) for s in sets), node)
        return MemberSet(hierarchies, tuple(t for s in sets for t in s.tuples))

    def call(self, node: Call, scope: _Scope) -> MemberSet:
        name = node.name.upper()
        args = node.args
        if name == "CROSSJOIN":
            if len(args) < 2:
                raise self.error("Crossjoin needs at least two sets", node)
            result = self.as_set(args[0], scope)
            for arg in args[1:]:
                other = self.as_set(arg, scope)
                keys = result.hierarchies + other.hierarchies
                self.check_distinct(keys, node)
                self.budget.spend(len(result.tuples) * len(other.tuples), node)
                result = MemberSet(keys, tuple(a + b for a in result.tuples for b in other.tuples))
            return result
        if name == "HIERARCHIZE":
            if len(args) != 1:
                raise self.unsupported("Hierarchize with POST (only the default PRE order)", node)
            return self.hierarchize(self.as_set(args[0], scope), node)
        if name == "DESCENDANTS":
            return self.descendants(node, scope)
        if name == "DRILLDOWNLEVEL":
            if len(args) != 1:
                raise self.unsupported("DrilldownLevel with a level or an index", node)
            return self.drilldown(self.as_set(args[0], scope), node, scope)
        if name == "EXCEPT":
            if len(args) != 2:
                raise self.unsupported("Except with ALL (exactly two sets are supported)", node)
            first, second = self.as_set(args[0], scope), self.as_set(args[1], scope)
            if second.tuples and first.tuples and first.hierarchies != second.hierarchies:
                raise self.error("Except needs two sets of the same hierarchies", node)
            self.budget.spend(len(first.tuples), node)  # at most that many are kept
            removed = set(second.tuples)
            return MemberSet(first.hierarchies, tuple(t for t in first.tuples if t not in removed))
        if name == "FILTER":
            if len(args) != 2:
                raise self.error("Filter needs a set and a condition", node)
            candidates = self.as_set(args[0], scope)
            # Each candidate costs each comparison of the condition, and is kept or not.
            comparisons = _comparisons(args[1])
            self.budget.spend(len(candidates.tuples) * (comparisons + 1), node)
            return MemberSet(
                candidates.hierarchies,
                tuple(t for t in candidates.tuples if self.condition(args[1], t)),
            )
        raise self.unsupported(
            f"the function {node.name} (supported: {', '.join(_FUNCTIONS)})", node
        )

    def single_hierarchy(self, value: MemberSet, what: str, node: Node) -> HierarchyKey | None:
        if len(value.hierarchies) > 1:
            raise self.unsupported(f"{what} over tuples of several hierarchies", node)
        if value.hierarchies == (MEASURES,):
            raise self.unsupported(f"{what} over measures", node)
        return value.hierarchies[0] if value.hierarchies else None

    def hierarchize(self, value: MemberSet, node: Node) -> MemberSet:
        self.budget.spend(len(value.tuples), node)

        def key(members: tuple[Member, ...]) -> tuple[tuple[int, int], ...]:
            return tuple(self.member_order(m) for m in members)

        return MemberSet(value.hierarchies, tuple(sorted(value.tuples, key=key)))  # stable

    def member_order(self, member: Member) -> tuple[int, int]:
        if member.hierarchy == MEASURES:
            return (0, self.measure_positions[member.path[0]])
        if member.depth == 0:
            return (0, 0)
        order = self.schema.hierarchies[member.hierarchy].order
        return (1, order.get(member.path[1], len(order)))

    def descendants(self, node: Call, scope: _Scope) -> MemberSet:
        args = node.args
        if not 1 <= len(args) <= 3:
            raise self.error("Descendants needs a member or set, a depth and a flag", node)
        start = self.as_set(args[0], scope)
        self.single_hierarchy(start, "Descendants", node)
        depth = 0
        if len(args) >= 2:
            depth_node = args[1]
            if (
                isinstance(depth_node, Lit)
                and isinstance(depth_node.value, int)
                and not isinstance(depth_node.value, bool)
            ):
                depth = depth_node.value
            else:
                raise self.unsupported("a Descendants depth that is not a whole number", depth_node)
        flag = "SELF"
        if len(args) == 3:
            flag_node = args[2]
            if not (isinstance(flag_node, Ident) and len(flag_node.parts) == 1):
                raise self.error(
                    "the Descendants flag is a keyword such as SELF_AND_BEFORE", flag_node
                )
            flag = flag_node.parts[0][0].upper()
            if flag not in _DESCENDANTS_FLAGS:
                raise self.unsupported(
                    f"the Descendants flag {flag} (supported: {', '.join(_DESCENDANTS_FLAGS)})",
                    flag_node,
                )
        result: list[tuple[Member, ...]] = []
        for (member,) in start.tuples:
            target = member.depth + depth
            family = [member, *self.children(member, scope)]
            self.budget.spend(len(family), node)
            for candidate in family:
                keep = (
                    candidate.depth == target
                    if flag == "SELF"
                    else candidate.depth <= target
                    if flag == "SELF_AND_BEFORE"
                    else True
                )
                if keep:
                    result.append((candidate,))
        return MemberSet(start.hierarchies, tuple(result))

    def drilldown(self, value: MemberSet, node: Call, scope: _Scope) -> MemberSet:
        self.single_hierarchy(value, "DrilldownLevel", node)
        deepest = max((t[0].depth for t in value.tuples), default=0)
        result: list[tuple[Member, ...]] = []
        self.budget.spend(len(value.tuples), node)
        for (member,) in value.tuples:
            result.append((member,))
            if member.depth == deepest:
                children = self.children(member, scope)
                self.budget.spend(len(children), node)
                result.extend((child,) for child in children)
        return MemberSet(value.hierarchies, tuple(result))

    # -- Filter conditions -------------------------------------------------------------------

    def condition(self, node: Node, current: tuple[Member, ...]) -> bool:
        if isinstance(node, Logic):
            if node.op == "NOT":
                return not self.condition(node.left, current)
            # A chain "a OR b OR c ..." is one level, however long: the parser builds it
            # left-deep, so recursing down its left side would nest once per operand.
            chain = self.chains.get(id(node))
            if chain is None:
                chain = self.chains[id(node)] = _chain(node)
            operands = (self.condition(o, current) for o in chain)
            return all(operands) if node.op == "AND" else any(operands)
        if isinstance(node, Compare):
            left_value, left_type = self.operand(node.left, current)
            right_value, right_type = self.operand(node.right, current)
            return self.compare(node, left_value, left_type, right_value, right_type)
        if isinstance(node, Lit) and isinstance(node.value, bool):
            return node.value
        raise self.unsupported(
            "a Filter condition other than comparisons of "
            "[dim].[hier].CurrentMember.MEMBER_VALUE joined by AND, OR, NOT",
            node,
        )

    def operand(self, node: Node, current: tuple[Member, ...]) -> tuple[Any, str | None]:
        """(value, Atoti type) of one side of a comparison; literals have no type."""
        if isinstance(node, Lit):
            return node.value, None
        if isinstance(node, Ident):
            found = self.current_members.get(id(node))
            if found is None:
                found = self.current_members[id(node)] = self.current_member(node)
            hierarchy, value_wanted = found
            if hierarchy is not None:
                member = next((m for m in current if m.hierarchy == hierarchy.key), None)
                if member is None:
                    raise self.error(
                        f"{bracketed(hierarchy.key)}.CurrentMember: the filtered set has no "
                        "member of that hierarchy",
                        node,
                    )
                if not value_wanted:
                    return member.path[-1], "String"
                if member.depth == 0:
                    return None, hierarchy.type
                return hierarchy.values.get(member.path[1]), hierarchy.type
        raise self.unsupported(
            "a comparison operand other than [dim].[hier].CurrentMember.MEMBER_VALUE or a literal",
            node,
        )

    def current_member(self, node: Ident) -> tuple[Hierarchy | None, bool]:
        """``[dim].[hier].CurrentMember.<property>``: (its hierarchy, whether it is the
        MEMBER_VALUE), or (None, False) for any other identifier; read once per node."""
        names = [text for text, _ in node.parts]
        words = [w.upper() for w in names[2:]]
        if len(names) == 4 and words[0] == "CURRENTMEMBER" and words[1] in _MEMBER_PROPERTIES:
            return self.hierarchy((names[0], names[1]), node), words[1] == "MEMBER_VALUE"
        return None, False

    def compare(
        self, node: Compare, left: Any, left_type: str | None, right: Any, right_type: str | None
    ) -> bool:
        left = self.typed(left, left_type, right_type, node)
        right = self.typed(right, right_type, left_type, node)
        if left is None or right is None:
            return node.op == "<>" and (left is None) != (right is None)
        numbers = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)
        )
        if not numbers and type(left) is not type(right):
            raise self.error(
                f"cannot compare {self.mdx[node.left.start : node.left.end]!r} "
                f"({left_type or type(left).__name__}) with "
                f"{self.mdx[node.right.start : node.right.end]!r} "
                f"({right_type or type(right).__name__})",
                node,
            )
        return bool(_OPERATORS[node.op](left, right))

    def typed(self, value: Any, own: str | None, other: str | None, node: Compare) -> Any:
        # A string literal compared with a date level is read as an ISO date, as the client
        # sends dates (its Constant's JSON value).
        if own is None and other in ("LocalDate", "LocalDateTime") and isinstance(value, str):
            try:
                if other == "LocalDate":
                    return dt.date.fromisoformat(value)
                return dt.datetime.fromisoformat(value)
            except ValueError:
                raise self.error(f"{value!r} is not a {other}", node) from None
        return value

    # -- scopes: FROM, subselects and WHERE ----------------------------------------------------

    def restrict(self, scope: _Scope, members: Iterable[Member], node: Node | None) -> _Scope:
        """The facts of ``scope`` that every leaf member given selects."""
        rows = scope.rows
        for member in members:
            if not member.is_leaf:
                continue
            hierarchy = self.schema.hierarchies[member.hierarchy]
            position, name = hierarchy.position, member.path[1]
            rows = [row for row in rows if member_name(row[position]) == name]
            self.budget.spend(len(rows), node)
        return _Scope(rows, scope.visible)

    def slicer(self, node: Node, scope: _Scope) -> tuple[Member, ...]:
        value = self.as_set(node, scope)
        if len(value.tuples) != 1:
            raise self.unsupported(
                "a WHERE clause that is not one member or one tuple (use a subselect "
                "FROM (SELECT {...} ON COLUMNS FROM [cube]) for several members)",
                node,
            )
        return value.tuples[0]

    def subselect(self, select: Select, scope: _Scope) -> _Scope:
        for axis in select.axes:
            value = self.as_set(axis.expression, scope)
            key = self.single_hierarchy(value, "a subselect axis", axis.expression)
            if key is None:
                continue
            leaves = frozenset(t[0].path[1] for t in value.tuples if t[0].is_leaf)
            if not leaves and value.tuples:
                continue  # only the AllMember: nothing to restrict
            hierarchy = self.schema.hierarchies[key]
            kept = scope.visible.get(key, frozenset(hierarchy.names)) & leaves
            position = hierarchy.position
            rows = [row for row in scope.rows if member_name(row[position]) in kept]
            self.budget.spend(len(rows), axis.expression)
            scope = _Scope(rows, {**scope.visible, key: kept})
        if select.slicer is not None:
            scope = self.restrict(scope, self.slicer(select.slicer, scope), select.slicer)
        return scope

    def scope(self, select: Select) -> _Scope:
        if isinstance(select.source, str):
            return _Scope(self.schema.table.rows(), {})
        inner = select.source
        return self.subselect(inner, self.scope(inner))

    # -- the query ----------------------------------------------------------------------------

    def run(self, select: Select) -> dict[str, Any]:
        scope = self.scope(select)
        sets = [self.as_set(axis.expression, scope) for axis in select.axes]
        slicer: tuple[Member, ...] = ()
        if select.slicer is not None:
            slicer = self.slicer(select.slicer, scope)
        owners: dict[HierarchyKey, str] = {}
        for axis, value in zip(select.axes, sets, strict=True):
            for key in value.hierarchies:
                if key in owners:
                    raise self.error(f"hierarchy {bracketed(key)} is on two axes", axis)
                owners[key] = "COLUMNS" if axis.index == 0 else "ROWS"
        for member in slicer:
            if member.hierarchy in owners:
                raise self.error(
                    f"hierarchy {bracketed(member.hierarchy)} is both on {owners[member.hierarchy]}"
                    " and in WHERE (filter it with a subselect instead)",
                    select.slicer or select.axes[0],
                )
        facts = self.restrict(scope, slicer, select.slicer).rows
        return cell_set(self.schema, select, sets, slicer, facts, self.budget)


def _chain(node: Logic) -> list[Node]:
    """The operands of a left-deep chain of one operator (``a OR b OR c``), left to right."""
    operands: list[Node] = []
    current: Node = node
    while isinstance(current, Logic) and current.op == node.op:
        assert current.right is not None
        operands.append(current.right)
        current = current.left
    operands.append(current)
    operands.reverse()
    return operands


def _comparisons(node: Node) -> int:
    """How many comparisons a Filter condition makes at most, counted without recursion."""
    count, pending = 0, [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Logic):
            pending.append(current.left)
            if current.right is not None:
                pending.append(current.right)
        else:
            count += 1
    return count


def evaluate(
    select: Select, cube: Cube, table: Table, limits: Limits = _DEFAULT_LIMITS
) -> dict[str, Any]:
    """The cell set of ``select`` over ``cube`` built on ``table`` (the client's shape).

    ``table`` is read, never written: pass a snapshot (:meth:`~fakeserver.model.Table.copy`)
    and evaluate outside the state lock. All work is bounded by ``limits``.
    """
    budget = Budget(limits, select.text)
    try:
        return _Evaluator(cube_schema(cube, table), select.text, budget).run(select)
    except RecursionError:  # e.g. a Filter condition of thousands of ORs
        raise MdxError(too_deep("evaluate", limits)) from None


def find_cube(
    select: Select, cubes: Mapping[str, Cube], tables: Mapping[str, Table]
) -> tuple[Cube, Table]:
    """The cube ``select`` reads from and its table, or an error naming the known cubes."""
    cube = cubes.get(select.cube)
    table = tables.get(cube.table) if cube is not None else None
    if cube is None or table is None:
        known = ", ".join(repr(c) for c in cubes) or "none"
        raise MdxError(f"MDX error: no cube named {select.cube!r} (cubes: {known})")
    return cube, table
