"""Member names (Java ``toString``) and formatted values (Java ``DecimalFormat``)."""

from __future__ import annotations

import datetime as dt
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
        (0.25, "#,###.##", ".25"),
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
    percent = decimal_format(-1.7976931348623157e308, "0.00%")
    assert percent.startswith("-179769313486231570") and percent.endswith(".00%")
    assert decimal_format(10**400, "#,###").count(",") == 400 // 3
