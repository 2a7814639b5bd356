from __future__ import annotations

import pytest

from fakeserver.model import Table


@pytest.fixture
def people() -> Table:
    t = Table(
        "p",
        {"id": "int", "name": "String", "age": "int", "day": "LocalDate", "tags": "int[]"},
        keys=("id",),
    )
    t.upsert(
        t.prepare(
            [
                [1, "ann", 30, "2024-01-01", [1]],
                [2, "bob", 40, "2024-06-01", [2]],
                [3, "cy", 50, None, None],
            ]
        )
    )
    return t
