"""The six conditions, the five tiers, and which capabilities each tier allows (SPEC §2-§3).

:func:`decide_tier` is the only place the tier rules live on the client side.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import astuple, dataclass, fields, replace

__all__ = [
    "ADMIN_ROLE",
    "CONDITION_KEYS",
    "LETTERS",
    "LIVE_CAPABILITIES",
    "Capability",
    "Conditions",
    "Tier",
    "capabilities_for",
    "decide_tier",
    "nearest_unmet",
]


class Tier(str, enum.Enum):
    LOCAL = "LOCAL"
    REMOTE = "REMOTE"
    NO_SECURITY_MANAGEMENT = "NO_SECURITY_MANAGEMENT"
    READ_ONLY = "READ_ONLY"
    MINIMAL = "MINIMAL"

    def __str__(self) -> str:
        return self.value


class Capability(str, enum.Enum):
    PING = "ping"
    LINK = "link"
    CUBES = "cubes"
    TABLES_SCHEMA = "tables.schema"
    TABLE_QUERY = "table.query"
    TABLES_LIST = "tables.list"
    CREATE_TABLE = "create_table"
    TABLE_APPEND = "table.append"
    TABLE_DROP = "table.drop"
    CREATE_CUBE = "create_cube"
    LOAD_CLOUD = "load.cloud"
    LOAD_FILE = "load.file"
    SECURITY = "security"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Conditions:
    """The six facts; ``None`` means the client could not establish it (counts as not met)."""

    secured: bool | None
    admin: bool | None
    same_python_api: bool | None
    same_host: bool | None
    same_server_version: bool | None
    exposed: bool | None

    def met(self, key: str) -> bool:
        return getattr(self, key) is True

    def as_dict(self) -> dict[str, bool | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


CONDITION_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Conditions))
LETTERS: dict[str, str] = dict(zip(CONDITION_KEYS, "abcdef", strict=True))
#: The role whose grant is condition (b).
ADMIN_ROLE = "ROLE_ADMIN"


def decide_tier(conditions: Conditions) -> Tier:
    """The tier of a session: the first of these rules that matches wins.

    | tier | rule |
    |---|---|
    | `LOCAL` | a ∧ b ∧ c ∧ d |
    | `REMOTE` | a ∧ b ∧ c ∧ ¬d |
    | `NO_SECURITY_MANAGEMENT` | a ∧ b ∧ e ∧ f |
    | `READ_ONLY` | e |
    | `MINIMAL` | otherwise |

    A condition that is unknown (`None`) counts as not met.
    """
    a, b, c, d, e, f = (value is True for value in astuple(conditions))
    if a and b and c:
        return Tier.LOCAL if d else Tier.REMOTE
    if a and b and e and f:
        return Tier.NO_SECURITY_MANAGEMENT
    if e:
        return Tier.READ_ONLY
    return Tier.MINIMAL


_BASE = frozenset({Capability.PING, Capability.LINK, Capability.CUBES})
_READ = _BASE | {Capability.TABLES_SCHEMA, Capability.TABLE_QUERY}
_LIVE = _READ | {
    Capability.TABLES_LIST,
    Capability.CREATE_TABLE,
    Capability.TABLE_APPEND,
    Capability.TABLE_DROP,
    Capability.CREATE_CUBE,
    Capability.LOAD_CLOUD,
}
_BY_TIER: dict[Tier, frozenset[Capability]] = {
    Tier.MINIMAL: _BASE,
    Tier.READ_ONLY: _READ,
    Tier.NO_SECURITY_MANAGEMENT: _LIVE,
    Tier.REMOTE: _LIVE | {Capability.SECURITY},
    Tier.LOCAL: _LIVE | {Capability.SECURITY, Capability.LOAD_FILE},
}

#: Capabilities that need the live extension: refused with LiveExtensionUnavailableError.
LIVE_CAPABILITIES: frozenset[Capability] = frozenset(_BY_TIER[Tier.LOCAL] - _READ)


def capabilities_for(conditions: Conditions) -> frozenset[Capability]:
    """What a session with these conditions may do (its tier, plus load.file when (d) holds)."""
    tier = decide_tier(conditions)
    allowed = _BY_TIER[tier]
    if tier is Tier.NO_SECURITY_MANAGEMENT and conditions.met("same_host"):
        allowed = allowed | {Capability.LOAD_FILE}
    return allowed


def nearest_unmet(capability: Capability, conditions: Conditions) -> tuple[Tier, tuple[str, ...]]:
    """The tier allowing ``capability`` that needs the fewest conditions to change, and those.

    Allowed sets only grow as conditions become met, so only unmet conditions are
    candidates; ties go to the lesser tier, the smallest step up.
    """
    unmet = [key for key in CONDITION_KEYS if not conditions.met(key)]
    best: tuple[int, int, Tier, tuple[str, ...]] | None = None
    order = list(Tier)
    for size in range(len(unmet) + 1):
        for flipped in itertools.combinations(unmet, size):
            candidate = replace(conditions, **dict.fromkeys(flipped, True))
            if capability in capabilities_for(candidate):
                tier = decide_tier(candidate)
                rank = (size, -order.index(tier), tier, flipped)
                if best is None or rank[:2] < best[:2]:
                    best = rank
        if best is not None:
            return best[2], best[3]
    raise AssertionError("LOCAL allows every capability")  # pragma: no cover
