"""Record ``decimal_format.tsv``: what Java's DecimalFormat writes for each value and pattern.

Opt-in, needs ``javac`` and ``java``::

    python tests/fakeserver/mdx/data/record_decimal_format.py

The default tests only read the recorded file; this script is how it was made, so the
expected texts come from Java, never from the code under test.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
TARGET = HERE / "decimal_format.tsv"

DOUBLES = [
    0.0, -0.0, 0.25, 0.125, 0.375, 1.005, 2.345, 2.675, 0.145, 0.285, 4.35, 0.07, 0.004,
    -0.001, -0.4, 0.5, 1.5, 2.5, 3.5, 79.99, 79.99 / 889.97, 1119.96, 3510.0, -1234.5,
    1234567.5, 9999999.995, 0.995, 0.00125, 1e-5, 12345678.9, 1e7, 1.0000000000000002,
    3.0000000000000004, 9.007199254740993e15, 1.2345678901234567e19, 1e23, 1.1e22,
    123456789012345678e3, 1e308, -1.7976931348623157e308, 5e-324,
    math.nan, math.inf, -math.inf, 0.001, 0.0001, 9999999.0, 10000000.0, 123456789.0, 2e-3,
    1e21, 1e16, 100.0, 2.2250738585072014e-308, 0.1 + 0.2, 0.0005, -0.0005, 5e-06, 5e-09,
    0.0015, 1e-323,
]  # fmt: skip
LONGS = [0, 1, -5, 1234567, 2**63 - 1, -(2**63)]
PATTERNS = [
    "#,##0.00", "#,###", "#,###.00", "#,###.##", "0.00%", "#.##%", "$#,##0.00",
    "count: #,###", "#", "0", "0.0", ".##", "#.", "0.", "#,##0.", "00.00", "#,##,###.0",
    "#.0#", "##0.###", "0.000 EUR", "0.000", "0.000%", "0%%", "0.00EUR", "0." + "0" * 400,
    "0" * 320,
]  # fmt: skip


def _java_double(value: float) -> str:
    return (
        "NaN"
        if math.isnan(value)
        else "Infinity"
        if value == math.inf
        else ("-Infinity" if value == -math.inf else repr(value))
    )


def main() -> None:
    rows = [f"double\t{_java_double(v)}\t{p}" for v in DOUBLES for p in ["", *PATTERNS]]
    rows += [f"long\t{v}\t{p}" for v in LONGS for p in PATTERNS]
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["javac", "-d", tmp, str(HERE / "RecordDecimalFormat.java")], check=True)
        version = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, check=True
        ).stderr.splitlines()[0]
        recorded = subprocess.run(
            ["java", "-cp", tmp, "RecordDecimalFormat"],
            input="\n".join(rows) + "\n",
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
        ).stdout
    TARGET.write_text(f"# recorded with {version}\n{recorded}", encoding="utf-8")
    print(f"{len(rows)} rows written to {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
