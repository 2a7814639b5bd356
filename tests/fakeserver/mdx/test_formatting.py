"""Member names (Java ``toString``) and formatted values (Java ``DecimalFormat``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from fakeserver.mdx import decimal_format, member_name


@pytest.mark.parametrize(
    ("value", "pattern", "text"),
    [
        (3510.0, "DOUBLE[#,###.00]", "3,510.00"),  # atoti's own docstrings show these
        (79.99, "DOUBLE[$#,##0.00]", "$79.99"),
        (79.99 / 889.97, "DOUBLE[0.00%]", "8.99%"),
        (1119.96, "DOUBLE[#,###]", "1,120"),
        (1, "INT[count: #,###]", "count: 1"),
        (0.25, "DOUBLE[#,###.00]", ".25"),  # Java's DecimalFormat drops the lone zero
        (0.25, "#,###.##", "0.25"),  # no 0 in the pattern: Java requires one whole digit
        (0, "#,###", "0"),
        (0.0, "#,###.00", ".00"),
        (1234567, "#,###", "1,234,567"),
        (-1234.5, "#,##0.00", "-1,234.50"),
        (2.5, "#", "2"),  # HALF_EVEN
        (3.5, "#", "4"),
        (1.5, None, "1.5"),
        (1e20, None, "1.0E20"),
        (7, "#;(#)", "7"),  # a negative subpattern is not understood: toString
        ("text", "#,###", "text"),
    ],
)
def test_decimal_format(value: Any, pattern: str | None, text: str) -> None:
    assert decimal_format(value, pattern) == text


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("x", "x"),
        (7, "7"),
        (True, "true"),
        (1.0, "1.0"),
        (1e-5, "1.0E-5"),
        (12345678.9, "1.23456789E7"),
        (dt.date(2024, 2, 29), "2024-02-29"),
        (dt.datetime(2024, 2, 29, 10, 30), "2024-02-29T10:30"),  # Java drops :00 seconds
        (dt.datetime(2024, 2, 29, 10, 30, 5, 120000), "2024-02-29T10:30:05.120"),
    ],
)
def test_member_names_are_java_to_string(value: Any, name: str) -> None:
    assert member_name(value) == name


def test_the_largest_doubles_are_formatted_not_refused() -> None:
    # A SUM near a double's range once raised decimal.InvalidOperation (a 500): Decimal's
    # default 28 digits cannot quantize a 309-digit number.
    text = decimal_format(1e308, "DOUBLE[#,###.00]")
    assert text.startswith("100,000,000,000,000,00") and text.endswith(".00")
    assert len(text.replace(",", "")) == 309 + len(".00")
    assert decimal_format(-1.7976931348623157e308, "#,##0.00%") == "-\u221e%"  # x100: -inf
    assert decimal_format(10**400, "#,###").count(",") == 400 // 3


# -- against Java itself ------------------------------------------------------------------

#: Texts recorded from Java's DecimalFormat and Double.toString by data/record_decimal_format.py.
RECORDED = Path(__file__).parent / "data" / "decimal_format.tsv"
#: What the recording writes for a pattern Java refuses: the fake writes Double.toString.
REFUSED = "!refused"
#: Where no emulation can match the recording, on purpose. Java's DecimalFormat takes a
#: double's digits from an older generator than Double.toString (JDK 17 to 25 at least,
#: JDK-8362448), which for a few values is not the shortest: 1e23 (or 1e21 times 100)
#: gives 99999999999999990000000. The fake takes the shortest digits. JDK 17's own
#: Double.toString writes 1e23 as 9.999999999999999E22 and 1e-323 as 1.0E-323, where
#: JDK 19 and later (JDK-4511638) write 1.0E23 and 9.9E-324, as the fake does.
#: The old generator also writes the smallest double as 4.9E-324 where its shortest digit
#: is 5: only a pattern with 324 decimals or more can show it.
KNOWN_DIFFERENCES = 1e23
KNOWN_TO_STRING = {1e23, 1e-323}
KNOWN_SUBNORMAL = 5e-324


def _known_difference(value: float | int, pattern: str, java: str) -> bool:
    if not isinstance(value, float) or java == REFUSED:
        return False
    if not pattern:
        return value in KNOWN_TO_STRING
    if value == KNOWN_SUBNORMAL:
        return len(pattern.partition(".")[2]) >= 324
    return (value * 100 if "%" in pattern else value) == KNOWN_DIFFERENCES


def _recorded() -> dict[str, list[tuple[float | int, str]]]:
    by_pattern: dict[str, list[tuple[float | int, str]]] = defaultdict(list)
    for line in RECORDED.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            kind, written, pattern, text = line.split("\t")
            by_pattern[pattern].append((int(written) if kind == "long" else float(written), text))
    return by_pattern


_RECORDED = _recorded()


def _pattern_id(pattern: str) -> str:
    return (
        pattern
        if 0 < len(pattern) <= 20
        else f"{pattern[:6]}…{len(pattern)}"
        if pattern
        else "toString"
    )


@pytest.mark.parametrize("pattern", list(_RECORDED), ids=_pattern_id)
def test_the_text_is_what_java_writes(pattern: str) -> None:
    assert len(_RECORDED[pattern]) >= 6
    wrong = [
        value
        for value, java in _RECORDED[pattern]
        if (decimal_format(value, pattern) if pattern else member_name(value))
        != (member_name(value) if java == REFUSED else java)
    ]
    # Exactly the known differences: each still differs, and nothing else does.
    assert wrong == [v for v, java in _RECORDED[pattern] if _known_difference(v, pattern, java)]


def test_the_recording_covers_the_hard_cases() -> None:
    # Ties, numbers past 2**53, percent, the "###.##" rule and signs: what once went wrong.
    recorded = {(value, pattern) for pattern, rows in _RECORDED.items() for value, _ in rows}
    for case in [(2.345, "#,##0.00"), (1.005, "#,##0.00"), (0.00125, "0.00%"),
                 (1.2345678901234567e19, "#,###"), (0.25, "#,###.##"), (-0.001, "0.0"),
                 (5e-324, ""), (1234567, "#,##0."), (9223372036854775807, "0.00%"),
                 (0.0005, "0.000"), (5e-06, "0.000%"), (1e-323, ""), (1.5, "0%%"),
                 (1.5, "0.00EUR"), (1.5, "0." + "0" * 400), (1, "0" * 320)]:  # fmt: skip
        assert case in recorded, case
    assert {text for rows in _RECORDED.values() for _, text in rows} >= {REFUSED, "0.000"}
