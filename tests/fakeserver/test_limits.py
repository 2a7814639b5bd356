"""Limits: validated at construction, part of the config, loadable from plain data."""

from __future__ import annotations

import dataclasses

import pytest

from fakeserver import Limits, ServerConfig
from fakeserver.limits import JSON_DEPTH_CEILING


def test_defaults_are_positive_and_part_of_the_default_config() -> None:
    limits = Limits()
    assert ServerConfig().limits == limits
    assert all(getattr(limits, f.name) > 0 for f in dataclasses.fields(limits))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_connections", 0),
        ("max_connections", -1),
        ("max_connections", 1.5),
        ("max_connections", True),
        ("max_connections", "10"),
        ("head_timeout", 0),
        ("head_timeout", "soon"),
        ("max_mdx_tuples", None),
    ],
)
def test_bad_values_name_their_field(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=rf"^limits\.{field}: "):
        Limits(**{field: value})  # type: ignore[arg-type]


def test_seconds_may_be_fractions() -> None:
    assert Limits(head_timeout=0.5).head_timeout == 0.5


def test_from_plain_data_and_back() -> None:
    config = ServerConfig.from_mapping({"limits": {"max_connections": 8, "head_timeout": 2}})
    assert config.limits == Limits(max_connections=8, head_timeout=2)
    assert ServerConfig.from_mapping(config.to_mapping()) == config


def test_unknown_limit_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"^limits\.max_everything: unknown field"):
        ServerConfig.from_mapping({"limits": {"max_everything": 1}})


def test_limits_must_be_limits() -> None:
    with pytest.raises(ValueError, match=r"^limits: "):
        ServerConfig(limits={"max_connections": 8})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "ceiling"), [("max_json_depth", JSON_DEPTH_CEILING), ("max_mdx_nesting", 128)]
)
def test_depths_stay_within_what_the_stack_can_walk(field: str, ceiling: int) -> None:
    assert getattr(Limits(**{field: ceiling}), field) == ceiling
    with pytest.raises(
        ValueError, match=rf"^limits\.{field}: at most {ceiling}, not {ceiling + 1}"
    ):
        Limits(**{field: ceiling + 1})
