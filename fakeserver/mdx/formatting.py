"""Values as the real server writes them: member names (Java ``toString``) and cell formats.

Atoti names a member by its value's Java ``toString`` and formats a cell with its measure's
``DecimalFormat`` pattern; a client comparing names or formatted values must see the same
text from the fake.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import re
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Context, Decimal, localcontext
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
    shortest = Decimal(repr(value))
    sign, digits, exponent = shortest.as_tuple()
    assert isinstance(exponent, int)
    if len("".join(map(str, digits)).rstrip("0")) == 1:
        # Java writes at least two digits, the pair nearest the exact value: the smallest
        # double is 4.9E-324 (nearer 4.94e-324), not 5.0E-324.
        with localcontext(Context(prec=2, rounding=ROUND_HALF_EVEN)):
            pair = +Decimal(value)
        if float(pair) == value:
            sign, digits, exponent = pair.as_tuple()
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
#: The number part of a pattern as Java accepts it: optional digits (#) before required ones
#: (0), grouping commas in the whole part, then optional required then optional fraction digits.
_NUMBER_PATTERN = re.compile(r"[#0,]*\.0*#*|[#0,]*[#0]")
_LEGAL_WHOLE = re.compile(r"[#,]*[0,]*")
#: What the prefix and suffix may not hold for this emulation: quotes, a negative
#: subpattern, per mille, currency signs and pattern characters outside the number.
_UNSUPPORTED = frozenset("'#0,.;\u2030\u00a4")


#: Java's own caps on the digits a pattern can ask of a double (DecimalFormat's
#: DOUBLE_INTEGER_DIGITS and DOUBLE_FRACTION_DIGITS).
_MAX_INTEGER_DIGITS, _MAX_FRACTION_DIGITS = 309, 340


@dataclasses.dataclass(frozen=True)
class _Pattern:
    """What decides the text of a format pattern Java accepts: parsed once per pattern."""

    prefix: str
    suffix: str
    #: ``%`` in the prefix or suffix: the value is multiplied by 100 first.
    percent: bool
    min_integer: int
    min_fraction: int
    max_fraction: int
    grouping: int
    #: "0." and ".00": the decimal separator is written even with no fraction digit.
    always_point: bool


@functools.lru_cache(maxsize=256)
def _pattern(pattern: str) -> _Pattern | None:
    """What ``DecimalFormat.applyPattern`` makes of ``pattern`` (Atoti's wrapper removed);
    None when Java refuses it or it needs what is not emulated."""
    wrapped = _FORMATTER.fullmatch(pattern)
    inner = wrapped.group(1) if wrapped else pattern
    match = _NUMBER_PATTERN.search(inner)
    if match is None:
        return None
    prefix, suffix = inner[: match.start()], inner[match.end() :]
    if (
        _UNSUPPORTED.intersection(prefix + suffix)
        or (prefix + suffix).count("%") > 1  # Java refuses the pattern
        or suffix.startswith("E")  # an exponent, not emulated (and "0.00EUR" is refused)
    ):
        return None
    whole, point, fraction = match.group().partition(".")
    if not _LEGAL_WHOLE.fullmatch(whole) or whole.endswith(","):
        return None
    digits = whole.replace(",", "")
    if not (digits or fraction):
        return None
    min_integer, min_fraction = digits.count("0"), fraction.count("0")
    if point and "0" not in digits + fraction:
        # Java's "###.##" rule: with no 0 at all, one digit is made required, the last one
        # before the point (".##": the first one after it).
        if digits:
            min_integer = 1
        else:
            min_fraction = 1
    return _Pattern(
        prefix=prefix,
        suffix=suffix,
        percent="%" in prefix + suffix,
        min_integer=min(min_integer, _MAX_INTEGER_DIGITS),
        min_fraction=min(min_fraction, _MAX_FRACTION_DIGITS),
        max_fraction=min(len(fraction), _MAX_FRACTION_DIGITS),
        grouping=len(whole) - whole.rfind(",") - 1 if "," in whole else 0,
        always_point=bool(point) and (not digits or not fraction),
    )


def _rounded(value: float | int, places: int) -> Decimal:
    """``value`` rounded HALF_EVEN to ``places`` decimals, as Java's ``DigitList`` does.

    Java rounds the shortest decimal digits of a double, not its exact binary value: 1e23
    is written with zeros where its exact value has other digits. Where those digits stop at
    an exact half, it looks at the exact value: 1.005 is just below 1.005 and rounds down,
    2.345 just above and rounds up, 0.125 is exact and rounds to even.
    """
    quantum = Decimal(1).scaleb(-places)
    if isinstance(value, int):
        return Decimal(value).quantize(quantum, rounding=ROUND_HALF_EVEN)
    shortest = Decimal(repr(value))
    if (
        abs(value) < 1e-3
        and shortest.as_tuple().digits == (5,)
        and shortest.adjusted() == -places - 1
    ):
        # Java's digits for such a value are "5.0E-n": it sees the zero after the 5 and rounds
        # down, though the double lies just above the half (0.0005 with 0.000 is 0.000).
        return Decimal(0).quantize(quantum)
    rounding = ROUND_HALF_EVEN
    if abs(shortest - shortest.quantize(quantum, rounding=ROUND_DOWN)) * 2 == quantum:
        exact = Decimal(value)  # only a tie needs the double's exact value
        if abs(exact) > abs(shortest):
            rounding = ROUND_UP
        elif abs(exact) < abs(shortest):
            rounding = ROUND_DOWN
    return shortest.quantize(quantum, rounding=rounding)


def decimal_format(value: Any, pattern: str | None) -> str:
    """``value`` as Atoti's formatter (Java ``DecimalFormat``, US symbols) writes it.

    Understood: a number pattern such as ``#,###``, ``#,##0.00``, ``0.##`` or ``.00``,
    ``INT[...]``/``DOUBLE[...]`` wrappers, a literal prefix and suffix, and ``%``. Anything
    else (quotes, ``;``, exponents, per mille), and any non-number, is written as Java's
    ``toString`` would. Checked against texts recorded from Java's own DecimalFormat.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    shape = _pattern(pattern) if pattern else None
    if shape is None:
        return member_name(value)
    if isinstance(value, float) and math.isnan(value):
        return "NaN"  # Java writes neither sign, prefix nor suffix
    if shape.percent:
        # Java multiplies first, a double by a double: 0.00125 becomes 0.125, a tie.
        value = value * 100
    negative = value < 0 or (isinstance(value, float) and math.copysign(1.0, value) < 0)
    sign = "-" if negative else ""
    prefix, suffix = shape.prefix, shape.suffix
    if isinstance(value, float) and math.isinf(value):
        return f"{sign}{prefix}\u221e{suffix}"
    with localcontext(Context(prec=_EXACT_DIGITS + shape.max_fraction)):
        rounded = _rounded(value, shape.max_fraction)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    fraction = fraction.rstrip("0")
    fraction += "0" * (shape.min_fraction - len(fraction))
    whole = whole.lstrip("0").rjust(shape.min_integer, "0")
    if shape.grouping and whole:
        head = len(whole) % shape.grouping or shape.grouping
        rest = range(head, len(whole), shape.grouping)
        whole = ",".join([whole[:head]] + [whole[i : i + shape.grouping] for i in rest])
    # Java writes a lone zero rather than no digit at all.
    text = f"{whole}.{fraction}" if fraction or shape.always_point else whole or "0"
    return f"{sign}{prefix}{text}{suffix}"
