"""Tables and input strategies the model's tests share."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from fakeserver.model import Table

TYPES = {
    "id": "int",
    "name": "String",
    "big": "long",
    "price": "double",
    "ratio": "float",
    "ok": "boolean",
    "day": "LocalDate",
    "at": "LocalDateTime",
    "tags": "String[]",
}
ROW = [1, "a", 2**40, 1.5, 0.25, True, "2024-02-29", "2024-02-29T10:30:00", ["x", "y"]]


def table(**kwargs: Any) -> Table:
    return Table("t", TYPES, keys=("id",), **kwargs)


#: Condition keys and cell values, good and bad, for the "anything but a DataError" tests.
KEYS = st.sampled_from(
    [
        "$and",
        "$or",
        "$not",
        "$eq",
        "$lt",
        "$lte",
        "$gt",
        "$gte",
        "$in",
        "$nor",
        "id",
        "name",
        "age",
        "day",
        "tags",
        "x",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["2024-01-01", "ann", "", "2024-01-01T00:00:00"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=15,
)
