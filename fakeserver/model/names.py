"""The one rule for names: tables, columns, cubes and users, from a config or over the wire.

A name is non-empty and printable and holds no ``:``. Configs refused ``:`` from the
start; the wire now does too, so a session cannot create what a config cannot declare.
A user name cannot hold one (Basic credentials are ``user:password``, RFC 7617), and
every mistake reads ``field: problem`` with names inside the field (``table 't'.columns``),
which readers such as the CLI split at the first colon. A table's name is also a URL path
segment (``{atoti}/tables/{name}``): it holds no ``/`` and is not ``.`` or ``..``, which
clients drop from paths. Columns and cubes may hold ``/``, as in ``P/L``.
"""

from __future__ import annotations

import re
from typing import Literal

from .values import DataError, short

__all__ = ["NameKind", "check_name"]

NameKind = Literal["table", "column", "cube", "user"]

_NAME = re.compile(r"[^:]+")
_SEGMENT = re.compile(r"(?!\.\.?\Z)[^/:]+")
#: Kinds of name that are a segment of some URL path.
_SEGMENTS: frozenset[NameKind] = frozenset({"table"})


def check_name(field: str, value: object, *, kind: NameKind) -> str:
    """``value`` if it is a good ``kind`` name, else a 400 :class:`DataError` naming ``field``.

    ``fullmatch``, not ``match`` with ``$``: ``$`` also matches before a final newline.
    """
    segment = kind in _SEGMENTS
    pattern = _SEGMENT if segment else _NAME
    if isinstance(value, str) and value.isprintable() and pattern.fullmatch(value):
        return value
    rule = "without '/' or ':', not . or .." if segment else "without ':'"
    raise DataError(
        f"{field}: {short(value)} is not a {kind} name "
        f"(the name must be a non-empty {kind} name: printable, {rule})"
    )
