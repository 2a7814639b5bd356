"""One GraphQL request, start to end: its shape, its bounds, parsing, validation, execution.

Everything a document can get wrong is answered the GraphQL way — ``{"errors": [...]}``
— by graphql-core itself where it can (syntax, unknown fields, variables) and here for the
request's shape and its bounds (:class:`~fakeserver.limits.Limits`: characters, depth,
fields with fragments expanded, and the values the answer holds, counted as they are
resolved). A query resolves against a snapshot, outside the data lock; a mutation runs
under it and is applied whole or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)

from ..generations import Dialect
from ..limits import Limits
from ..state import ServerState
from .resolvers import Root, Snapshot, WriteCheck
from .schema import schema_for

__all__ = ["run"]


class _Refused(Exception):
    """A request the fake will not execute; its message is the one GraphQL error answered."""


class _TooManyValues(BaseException):
    """The answer reached ``limits.max_graphql_values``: stop executing at once.

    A BaseException on purpose: graphql-core turns every ``Exception`` a resolver raises
    into that field's error and goes on with its siblings, which is the very work this
    bound exists to stop.
    """


class _ValueCount:
    """graphql-core middleware: every field resolved, in every list item, pays one value."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def resolve(self, resolve: Callable[..., Any], parent: Any, info: Any, **args: Any) -> Any:
        self.left -= 1
        if self.left < 0:
            raise _TooManyValues
        return resolve(parent, info, **args)


def _errors(*messages: str) -> dict[str, Any]:
    return {"errors": [{"message": m} for m in messages]}


def _request(body: dict[str, Any]) -> tuple[str, str | None, dict[str, Any] | None]:
    query, name, variables = body.get("query"), body.get("operationName"), body.get("variables")
    if not isinstance(query, str) or not query.strip():
        raise _Refused('the body must hold the document as a string: {"query": "..."}')
    if name is not None and not isinstance(name, str):
        raise _Refused("operationName must be a string or null")
    if variables is not None and not isinstance(variables, dict):
        raise _Refused("variables must be an object or null")
    return query, name, variables


def _check_bounds(document: DocumentNode, limits: Limits) -> None:
    """Depth and field count, fragments expanded: what execution would really walk."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    fields = 0

    def walk(selections: SelectionSetNode, depth: int, expanding: frozenset[str]) -> None:
        nonlocal fields
        if depth > limits.max_graphql_depth:
            raise _Refused(
                f"the document is nested deeper than {limits.max_graphql_depth} levels "
                "(limits.max_graphql_depth)"
            )
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                if fields > limits.max_graphql_fields:
                    raise _Refused(
                        f"the document selects more than {limits.max_graphql_fields} fields, "
                        "fragments expanded (limits.max_graphql_fields)"
                    )
                if selection.selection_set is not None:
                    walk(selection.selection_set, depth + 1, expanding)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, depth, expanding)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                # Unknown and cyclic spreads are validation errors, reported after this.
                if name in fragments and name not in expanding:
                    walk(fragments[name].selection_set, depth, expanding | {name})

    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk(definition.selection_set, 1, frozenset())


def _parsed(query: str, limits: Limits) -> DocumentNode:
    if len(query) > limits.max_graphql_chars:
        raise _Refused(
            f"the document has {len(query)} characters; the limit is "
            f"{limits.max_graphql_chars} (limits.max_graphql_chars)"
        )
    # A token takes at least one character: the character bound bounds the parser too.
    return parse(query, no_location=False, max_tokens=limits.max_graphql_chars)


def run(
    body: dict[str, Any], state: ServerState, dialect: Dialect, check_write: WriteCheck
) -> dict[str, Any]:
    """The GraphQL answer to ``body`` (``{"query", "operationName", "variables"}``)."""
    limits = state.config.limits
    schema = schema_for(dialect)
    try:
        query, operation_name, variables = _request(body)
        document = _parsed(query, limits)
        _check_bounds(document, limits)
    except _Refused as refused:
        return _errors(str(refused))
    except GraphQLError as error:  # syntax, or too many tokens
        return {"errors": [error.formatted]}
    invalid = validate(schema, document)
    if invalid:
        return {"errors": [e.formatted for e in invalid]}
    operation = get_operation_ast(document, operation_name)
    count = _ValueCount(limits.max_graphql_values)

    def execute(view: Any) -> dict[str, Any]:
        result = execute_sync(
            schema,
            document,
            root_value=Root(state, dialect, check_write, view),
            variable_values=variables,
            operation_name=operation_name,
            middleware=[count],
        )
        return dict(result.formatted)

    try:
        if operation is None or operation.operation is not OperationType.MUTATION:
            return execute(Snapshot.of(state))  # resolved without the lock
        with state.lock:
            before = dict(state.tables), dict(state.cubes)
            answer: dict[str, Any] | None = None
            try:
                answer = execute(state)
            finally:
                if answer is None or answer.get("errors"):
                    state.tables, state.cubes = before  # nothing of a failed mutation stays
            return answer
    except _TooManyValues:
        limit = limits.max_graphql_values
        return _errors(
            f"the answer would hold more than {limit:,} values (fields resolved, in every "
            "list item): limits.max_graphql_values"
        )
