"""The GraphQL schema of the data-model API, written here in SDL, one per dialect.

Every type and field below was learned by running each atoti-client release against the
fake and reading what it sent (``tests/fakeserver/graphql/operations.py`` keeps those
observations); the schema is this project's own description of them. The parts every
dialect shares are written once; a :class:`~fakeserver.generations.Dialect` picks the
query root and the mutations.
"""

from __future__ import annotations

import functools

from graphql import GraphQLSchema, build_schema

from ..generations import Dialect

__all__ = ["DATA_TYPES", "schema_for", "sdl_for"]

#: Atoti type → the ``DataType`` enum value that stands for it on the wire. Observed for the
#: scalars and the numeric arrays; the four other arrays follow the same pattern.
DATA_TYPES: dict[str, str] = {
    "String": "STRING",
    "boolean": "BOOLEAN",
    "int": "INT",
    "long": "LONG",
    "float": "FLOAT",
    "double": "DOUBLE",
    "LocalDate": "LOCAL_DATE",
    "LocalDateTime": "LOCAL_DATE_TIME",
    "int[]": "INT_ARRAY",
    "long[]": "LONG_ARRAY",
    "float[]": "FLOAT_ARRAY",
    "double[]": "DOUBLE_ARRAY",
    "String[]": "STRING_ARRAY",
    "boolean[]": "BOOLEAN_ARRAY",
    "LocalDate[]": "LOCAL_DATE_ARRAY",
    "LocalDateTime[]": "LOCAL_DATE_TIME_ARRAY",
}

_SHARED = """
"Any JSON value: a column's default value."
scalar Value

enum DataType { %(data_types)s }

enum JoinOptionality { MANDATORY OPTIONAL }

type Column {
  name: String!
  table: Table!
  dataType: DataType!
  defaultValue: Value
}

type JoinMappingItem {
  source: Column!
  target: Column!
}

type Join {
  name: String!
  isPartial: Boolean!
  mappingItems: [JoinMappingItem!]!
  target: Table!
  targetOptionality: JoinOptionality!
}

type Table {
  name: String!
  columns: [Column!]!
  column(name: String!): Column
  "The key columns, in key order."
  primaryIndex: [Column!]!
  joins: [Join!]!
}

type Measure {
  name: String!
}

type Cube {
  name: String!
  measures: [Measure!]!
  measure(name: String!): Measure
}

input ColumnDataTypeInput {
  columnName: String!
  dataType: DataType!
}

type CreateTablePayload {
  table: Table!
}

type DeleteTablePayload {
  "The tables left."
  tables: [Table!]!
  status: DeleteStatus!
}

enum DeleteStatus { DELETED }
"""

_TABLES = """
  tables: [Table!]!
  table(name: String!): Table
"""

_QUERY = """
type DataModel {
  %(tables)s
  cubes: [Cube!]!
  cube(name: String!): Cube
}
%(database)s
type Query {
  dataModel(%(argument)s: ID): DataModel!
}
"""

_IDENTIFIER_MUTATIONS = """
input TableIdentifierInput {
  tableName: String!
}

input ColumnDefaultValueInput {
  columnName: String!
  value: Value
}

input CreateTableInput {
  tableIdentifier: TableIdentifierInput!
  dataTypes: [ColumnDataTypeInput!]!
  primaryIndex: [String!]
  defaultValues: [ColumnDefaultValueInput!]
  partitioning: String
}

input DeleteTableInput {
  tableIdentifier: TableIdentifierInput!
}

type Mutation {
  createTable(input: CreateTableInput!): CreateTablePayload!
  deleteTable(input: DeleteTableInput!): DeleteTablePayload!
}
"""

#: A table named by ``tableName``: the input of 6.1.8's ``createTable`` and, field for
#: field, of 6.1.11's ``createInMemoryTable``.
_NAMED_TABLE = """
input %s {
  tableName: String!
  columns: [ColumnDataTypeInput!]!
  primaryIndex: [String!]
  dataModelTransactionId: ID
}
"""

_NAMED_INPUTS = (
    _NAMED_TABLE % "CreateTableInput"
    + """
input DeleteTableInput {
  tableName: String!
  dataModelTransactionId: ID
}
"""
)

_NAMED_MUTATIONS = (
    _NAMED_INPUTS
    + """
type Mutation {
  createTable(input: CreateTableInput!): CreateTablePayload!
  deleteTable(input: DeleteTableInput!): DeleteTablePayload!
}
"""
)

_IN_MEMORY_MUTATIONS = (
    _NAMED_INPUTS
    + _NAMED_TABLE % "CreateInMemoryTableInput"
    + """
type CreateInMemoryTableOutput {
  table: Table!
}

type Mutation {
  createTable(input: CreateTableInput!): CreateTablePayload!
  createInMemoryTable(input: CreateInMemoryTableInput!): CreateInMemoryTableOutput!
  deleteTable(input: DeleteTableInput!): DeleteTablePayload!
}
"""
)

_CUBE_MUTATIONS = """
"How a cube is fed from its fact table: the fake's cubes are always fed."
enum CubeFeeding { ENABLED }

"How hierarchies and measures are made: the fake makes them from the table (AUTO) only."
enum CubeCreationMode { AUTO }

input CreateCubeInput {
  cubeName: String!
  factTableName: String!
  applicationName: String
  catalogNames: [String!]
  feeding: CubeFeeding
  hierarchies: CubeCreationMode
  measures: CubeCreationMode
}

type CreateCubeOutput {
  cube: Cube!
}

extend type Mutation {
  createCube(input: CreateCubeInput!): CreateCubeOutput!
}
"""

_MUTATIONS = {
    "identifier": _IDENTIFIER_MUTATIONS,
    "named": _NAMED_MUTATIONS,
    "in-memory": _IN_MEMORY_MUTATIONS,
}


def sdl_for(dialect: Dialect) -> str:
    """The whole SDL a server of ``dialect`` serves."""
    shared = _SHARED % {"data_types": " ".join(dict.fromkeys(DATA_TYPES.values()))}
    if dialect.database:
        tables = "database: Database!"
        database = f"type Database {{{_TABLES}}}\n"
    else:
        tables, database = _TABLES, ""
    query = _QUERY % {
        "tables": tables,
        "database": database,
        "argument": dialect.transaction_argument,
    }
    cubes = _CUBE_MUTATIONS if dialect.cubes else ""
    return shared + query + _MUTATIONS[dialect.mutations] + cubes


@functools.cache
def schema_for(dialect: Dialect) -> GraphQLSchema:
    """Built once per dialect and process (building takes a few milliseconds)."""
    return build_schema(sdl_for(dialect))
