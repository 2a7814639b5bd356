"""SPEC §3 as data: the six conditions, the tier each combination lands in, what it allows.

Written independently of ``fakeserver_client.decide_tier``, so the fake's expectations and
the client's decision check each other cell by cell. Plain data and three functions: this
module imports nothing of the server, of trustme or of the client, so reading the rules
(the plugin validating a marker, the CLI listing tiers) costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AUTH_MODES",
    "CAPABILITY_TABLE",
    "FAILURE",
    "KEYS",
    "LETTERS",
    "TIERS",
    "TIER_RULES",
    "Cell",
    "expected_capabilities",
    "expected_conditions",
    "expected_tier",
]

KEYS = ("secured", "admin", "same_python_api", "same_host", "same_server_version", "exposed")
#: SPEC §2's letter of each condition, as refusals and the matrix print them.
LETTERS: dict[str, str] = dict(zip(KEYS, "abcdef", strict=True))
TIERS = ("LOCAL", "REMOTE", "NO_SECURITY_MANAGEMENT", "READ_ONLY", "MINIMAL")
#: Tier label of the scenarios whose connect must fail (``expected_tier is None``).
FAILURE = "FAILURE"

#: The authentication modes the matrix covers, each with its transport (SPEC §5; see
#: :mod:`.catalog`). Here, with the tier names, so that naming them loads nothing.
AuthMode = Literal["basic", "bearer", "certificate", "oauth2"]
AUTH_MODES: tuple[AuthMode, ...] = ("basic", "bearer", "certificate", "oauth2")

#: SPEC §3.1 as data: (tier, conditions that must be met), first match wins.
TIER_RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("LOCAL", frozenset({"secured", "admin", "same_python_api", "same_host"})),
    ("REMOTE", frozenset({"secured", "admin", "same_python_api"})),
    ("NO_SECURITY_MANAGEMENT", frozenset({"secured", "admin", "same_server_version", "exposed"})),
    ("READ_ONLY", frozenset({"same_server_version"})),
    ("MINIMAL", frozenset()),
)

# SPEC §3.2 as data. Columns: MINIMAL, READ_ONLY, NO_SECURITY_MANAGEMENT, REMOTE, LOCAL;
# "y" allowed, "-" refused, "d" allowed only when same_host (d) holds.
_COLUMNS = ("MINIMAL", "READ_ONLY", "NO_SECURITY_MANAGEMENT", "REMOTE", "LOCAL")
_TABLE = """
ping            y y y y y
link            y y y y y
cubes           y y y y y
tables.schema   - y y y y
table.query     - y y y y
tables.list     - - y y y
create_table    - - y y y
table.append    - - y y y
table.drop      - - y y y
create_cube     - - y y y
load.cloud      - - y y y
load.file       - - d - y
security        - - - y y
"""
CAPABILITY_TABLE: dict[str, dict[str, str]] = {
    name: dict(zip(_COLUMNS, marks, strict=True))
    for name, *marks in (line.split() for line in _TABLE.strip().splitlines())
}


@dataclass(frozen=True)
class Cell:
    """One combination of the six conditions as the scenario sets them up."""

    secured: bool
    admin: bool
    same_python_api: bool
    same_host: bool
    same_server_version: bool
    exposed: bool

    def met(self) -> frozenset[str]:
        return frozenset(k for k in KEYS if getattr(self, k))


def expected_conditions(cell: Cell) -> dict[str, bool | None]:
    """What a client can observe: nothing from the descriptor when not exposed."""
    exposed = cell.exposed
    return {
        "secured": cell.secured if exposed else None,
        "admin": (cell.secured and cell.admin) if exposed else None,
        "same_python_api": cell.same_python_api if exposed else None,
        "same_host": cell.same_host if exposed else None,
        "same_server_version": cell.same_server_version,
        "exposed": exposed,
    }


def expected_tier(cell: Cell) -> str:
    observed = {k for k, v in expected_conditions(cell).items() if v is True}
    return next(tier for tier, needs in TIER_RULES if needs <= observed)


def expected_capabilities(cell: Cell) -> frozenset[str]:
    tier = expected_tier(cell)
    same_host = expected_conditions(cell)["same_host"] is True
    return frozenset(
        name
        for name, marks in CAPABILITY_TABLE.items()
        if marks[tier] == "y" or (marks[tier] == "d" and same_host)
    )
