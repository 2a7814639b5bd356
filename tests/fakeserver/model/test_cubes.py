"""Cubes as cube/discovery describes them, in the shape atoti-client 0.9 parses."""

from __future__ import annotations

from typing import Any

from fakeserver.model import Cube, Table, cube_discovery

# The fields atoti-client 0.9's discovery models require (pydantic, camelCase aliases).
REQUIRED = {
    "catalog": {"name", "cubes"},
    "cube": {"name", "defaultMembers", "dimensions", "measures"},
    "defaultMember": {"dimension", "hierarchy", "path", "captionPath"},
    "dimension": {"name", "caption", "type", "defaultHierarchy", "hierarchies"},
    "hierarchy": {"name", "caption", "slicing", "visible", "levels"},
    "level": {"name", "caption", "type"},
    "measure": {"name", "caption", "visible"},
}


def check_shape(discovery: dict[str, Any]) -> None:
    for catalog in discovery["catalogs"]:
        assert REQUIRED["catalog"] <= set(catalog)
        for cube in catalog["cubes"]:
            assert REQUIRED["cube"] <= set(cube)
            for member in cube["defaultMembers"]:
                assert REQUIRED["defaultMember"] <= set(member)
            for dimension in cube["dimensions"]:
                assert REQUIRED["dimension"] <= set(dimension)
                for hierarchy in dimension["hierarchies"]:
                    assert REQUIRED["hierarchy"] <= set(hierarchy)
                    for level in hierarchy["levels"]:
                        assert REQUIRED["level"] <= set(level)
            for measure in cube["measures"]:
                assert REQUIRED["measure"] <= set(measure)


def test_cubes_have_hierarchies_for_keys_and_strings_and_sums_for_numbers() -> None:
    t = Table(
        "trades",
        {"id": "int", "desk": "String", "qty": "int", "price": "double", "day": "LocalDate"},
        keys=("id",),
    )
    discovery = cube_discovery({"T": Cube("T", "trades")}, {"trades": t})
    check_shape(discovery)
    cube = discovery["catalogs"][0]["cubes"][0]
    dimension = cube["dimensions"][0]
    assert dimension["name"] == "trades" and dimension["defaultHierarchy"] == "id"
    assert [h["name"] for h in dimension["hierarchies"]] == ["id", "desk"]
    assert [lv["type"] for lv in dimension["hierarchies"][1]["levels"]] == ["ALL", "REGULAR"]
    assert [m["name"] for m in cube["measures"]] == ["contributors.COUNT", "qty.SUM", "price.SUM"]
    assert [m["hierarchy"] for m in cube["defaultMembers"]] == ["id", "desk"]


def test_a_cube_over_numbers_only_has_no_dimension() -> None:
    t = Table("n", {"x": "double"})
    cube = Cube("N", "n").discovery(t)
    check_shape({"catalogs": [{"name": "c", "cubes": [cube]}]})
    assert cube["dimensions"] == [] and [m["name"] for m in cube["measures"]][1:] == ["x.SUM"]
