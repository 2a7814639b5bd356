"""Limits: validated at construction, part of the config, loadable from plain data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from fakeserver import FakeServer, Limits, ServerConfig
from fakeserver.limits import JSON_DEPTH_CEILING, SECONDS_CEILING


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


@pytest.mark.parametrize("field", ["head_timeout", "body_timeout", "idle_timeout"])
@pytest.mark.parametrize("value", [float("inf"), 1e10, 10**400, SECONDS_CEILING + 1])
def test_seconds_are_finite_and_at_most_a_day(field: str, value: float) -> None:
    # A socket cannot wait that long ("timestamp out of range"): every connection of such a
    # target would end in a traceback, with no answer at all.
    with pytest.raises(ValueError, match=rf"^limits\.{field}: at most {SECONDS_CEILING:g} "):
        Limits(**{field: value})  # type: ignore[arg-type]


def test_a_config_file_cannot_ask_for_an_endless_deadline(tmp_path: Path) -> None:
    toml = tmp_path / "inf.toml"
    toml.write_text("[limits]\nhead_timeout = inf\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^limits\.head_timeout: at most 86400 seconds"):
        ServerConfig.from_file(toml)
    json_file = tmp_path / "inf.json"
    json_file.write_text('{"limits": {"idle_timeout": Infinity}}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"^limits\.idle_timeout: at most 86400 seconds"):
        ServerConfig.from_file(json_file)


def test_the_longest_deadlines_still_serve() -> None:
    longest = Limits(
        head_timeout=SECONDS_CEILING, body_timeout=SECONDS_CEILING, idle_timeout=SECONDS_CEILING
    )
    with FakeServer(ServerConfig(limits=longest)) as server:
        assert httpx.get(server.url + "/versions/rest").status_code == 200
