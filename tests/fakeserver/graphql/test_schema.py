"""The SDL of each dialect (``fakeserver.graphql.schema``): it builds, with what was observed."""

from __future__ import annotations

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType

from fakeserver.generations import DIALECTS, Dialect, dialect_for
from fakeserver.graphql import DATA_TYPES, schema_for
from fakeserver.model import ATOTI_TYPES


@pytest.mark.parametrize("dialect", DIALECTS, ids=[d.name for d in DIALECTS])
def test_each_dialect_builds_with_its_own_roots(dialect: Dialect) -> None:
    schema = schema_for(dialect)
    query = schema.query_type
    assert query is not None and list(query.fields["dataModel"].args) == [
        dialect.transaction_argument
    ]
    model = schema.get_type("DataModel")
    assert isinstance(model, GraphQLObjectType)
    assert ("database" in model.fields) is dialect.database
    assert ("tables" in model.fields) is not dialect.database
    mutation = schema.mutation_type
    assert mutation is not None
    assert ("createInMemoryTable" in mutation.fields) is (dialect.mutations == "in-memory")
    assert ("createCube" in mutation.fields) is dialect.cubes


def test_every_atoti_type_has_its_wire_name() -> None:
    assert set(DATA_TYPES) == set(ATOTI_TYPES)
    enum = schema_for(dialect_for("6.2.2")).get_type("DataType")
    assert isinstance(enum, GraphQLEnumType)
    assert set(enum.values) == set(DATA_TYPES.values())
    assert len(set(DATA_TYPES.values())) == len(DATA_TYPES)  # one wire name per type


def test_the_schema_is_built_once_per_dialect() -> None:
    assert schema_for(DIALECTS[0]) is schema_for(DIALECTS[0])
