"""Values as the real server writes them: member names (Java ``toString``) and cell formats.

Atoti names a member by its value's Java ``toString`` and formats a cell with its measure's
``DecimalFormat`` pattern; a client comparing names or formatted values must see the same
text from the fake.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Any

__all__ = ["decimal_format", "member_name"]


def _java_double(value: float) -> str:
    """``Double.toString``: what Atoti names a member of a double level."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    return f"{'-' if sign else ''}{shown[0]}.{shown[1:] or '0'}E{power}"


def member_name(value: Any) -> str:
    """A stored value as the real server names its member (Java ``toString``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, dt.datetime):
        text = value.strftime("%Y-%m-%dT%H:%M")
        if value.second or value.microsecond:
            text += f":{value.second:02d}"
        if value.microsecond:
            micros = value.microsecond
            text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
        return text
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# Atoti's measure formatters: an optional TYPE[...] wrapper around a DecimalFormat pattern
# with a literal prefix and suffix ("INT[count: #,###]", "DOUBLE[$#,##0.00]", "DOUBLE[0.00%]").
_FORMATTER = re.compile(r"(?:INT|LONG|FLOAT|DOUBLE)\[(.*)\]", re.DOTALL)
#: Enough digits for any double, or any whole number a SUM of longs reaches, times 100.
_EXACT_DIGITS = 800
_NUMBER_PATTERN = re.compile(r"[#0][#0,]*(?:\.[#0]*)?|\.[#0]+")


def decimal_format(value: Any, pattern: str | None) -> str:
    """``value`` as Atoti's formatter (Java ``DecimalFormat``: HALF_EVEN, grouping) writes it.

    Understood: ``#,###``, ``#,##0.00``, ``INT[...]``/``DOUBLE[...]`` wrappers, a literal
    prefix and suffix, and ``%``. Anything else (quotes, ``;``, exponents), and any
    non-number, is written as Java's ``toString`` would.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    plain = member_name(value)
    if not pattern or (isinstance(value, float) and not math.isfinite(value)):
        return plain
    wrapped = _FORMATTER.fullmatch(pattern)
    inner = wrapped.group(1) if wrapped else pattern
    match = _NUMBER_PATTERN.search(inner)
    if match is None:
        return plain
    prefix, suffix = inner[: match.start()], inner[match.end() :]
    if any(c in prefix + suffix for c in "'#0;E\u2030\u00a4"):
        return plain
    integer_part, _, fraction_part = match.group().partition(".")
    # Exact arithmetic whatever the value: a double's exact decimal expansion has up to 767
    # significant digits (1e308 has 309 before the point), far past Decimal's default 28.
    with localcontext(Context(prec=_EXACT_DIGITS + len(fraction_part), rounding=ROUND_HALF_EVEN)):
        number = Decimal(value)  # the double's exact value, as Java rounds it since JDK 8
        if "%" in prefix + suffix:
            number *= 100
        rounded = number.quantize(Decimal(1).scaleb(-len(fraction_part)))
    grouping = len(integer_part) - integer_part.rfind(",") - 1 if "," in integer_part else 0
    min_integer = integer_part.count("0")
    min_fraction = len(fraction_part) - len(fraction_part.lstrip("0"))
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0")
    fraction += "0" * (min_fraction - len(fraction))
    whole = whole.lstrip("0").rjust(min_integer, "0")
    if grouping and whole:
        head = len(whole) % grouping or grouping
        rest = range(head, len(whole), grouping)
        whole = ",".join([whole[:head]] + [whole[i : i + grouping] for i in rest])
    # Java writes a lone zero when neither integer nor fraction digits are shown.
    text = f"{whole}.{fraction}" if fraction else whole or "0"
    return f"{'-' if rounded < 0 else ''}{prefix}{text}{suffix}"
