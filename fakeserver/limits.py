"""Every bound on the work one request can cause, in one place (SPEC §6).

Each input that grows work — connections, header bytes, bodies, file loads, query text,
conditions, MDX sets, GraphQL documents and answers — has a limit here with a default that keeps a
well-behaved client served while hostile ones are refused with a clear 4xx. They are part
of :class:`~fakeserver.config.ServerConfig` (``limits=Limits(...)``, or ``[limits]`` in
TOML), so a test that needs a bigger load can say so; the reference page lists them all.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["JSON_DEPTH_CEILING", "MDX_NESTING_CEILING", "SECONDS_CEILING", "Limits"]

#: The deepest JSON and MDX a target may be configured to accept: what is parsed and walked
#: must stay well inside Python's recursion limit (1,000 frames), or a deep input would
#: end in a RecursionError rather than a clear 400.
JSON_DEPTH_CEILING = 256
MDX_NESTING_CEILING = 128
_CEILINGS = {"max_json_depth": JSON_DEPTH_CEILING, "max_mdx_nesting": MDX_NESTING_CEILING}
#: The longest deadline (seconds) a target may be given: a day. A socket cannot wait for
#: ever (``inf``, or ``1e10`` s, is "timestamp out of range"), and a config asking for it
#: would make every connection end in a traceback, unanswered.
SECONDS_CEILING = 86_400.0


@dataclass(frozen=True)
class Limits:
    """The limits of one target; every field is validated when the object is built."""

    # -- the engine: connections and request heads -----------------------------------------
    #: Connections served at once; one more is answered 503 and closed.
    max_connections: int = 512
    #: Seconds a client has to send a whole request head, however it trickles it (the TLS
    #: handshake of a new connection included); 408 and closed beyond.
    head_timeout: float = 10.0
    #: Seconds a client has to send a request body once its head is in (408 beyond): a body
    #: trickled a byte at a time must not hold a connection forever either.
    body_timeout: float = 60.0
    #: Seconds a kept-alive connection may stay silent between requests.
    idle_timeout: float = 60.0
    #: Bytes of a request line plus its headers (431 beyond).
    max_header_bytes: int = 64 * 1024

    # -- data: file and cloud loads --------------------------------------------------------
    #: Bytes of one CSV source a load may read (413 beyond).
    max_load_bytes: int = 16 * 1024 * 1024

    # -- queries: table conditions, MDX ----------------------------------------------------
    #: Operators plus operand values in one table-query condition (400 beyond).
    max_condition_size: int = 10_000
    #: Nesting depth of a JSON body (400 beyond); at most :data:`JSON_DEPTH_CEILING`.
    max_json_depth: int = 64
    #: Characters of one MDX query (400 beyond).
    max_mdx_chars: int = 64 * 1024
    #: Tuples built by every set operation of one MDX query, together (400 beyond).
    max_mdx_tuples: int = 1_000_000
    #: Nesting of one MDX query: parentheses, braces, calls, NOT, subselects (400 beyond);
    #: at most :data:`MDX_NESTING_CEILING`.
    max_mdx_nesting: int = 64
    #: Cells of one MDX answer (400 beyond).
    max_mdx_cells: int = 100_000

    # -- GraphQL ---------------------------------------------------------------------------
    #: Characters of one GraphQL document (a GraphQL error beyond, in an HTTP 200 answer).
    max_graphql_chars: int = 64 * 1024
    #: Selection depth of one GraphQL operation, fragments expanded (GraphQL error beyond).
    max_graphql_depth: int = 16
    #: Fields (aliases and ``__typename`` included) one GraphQL request selects, fragments
    #: expanded (GraphQL error beyond).
    max_graphql_fields: int = 2_000
    #: Values one GraphQL answer holds: every field resolved, in every item of every list
    #: (GraphQL error beyond, and a mutation changes nothing). A column names its table,
    #: which lists its columns: a document of a few fields can ask for millions of values.
    max_graphql_values: int = 100_000

    # -- the OAuth 2 issuer (SecurityConfig.oidc) ------------------------------------------
    #: Bytes of one token request's form (413 beyond): a password grant needs a few hundred.
    max_token_request_bytes: int = 16 * 1024

    def __post_init__(self) -> None:
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            whole = spec.type in (int, "int")
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
                kind = "a whole number" if whole else "a number of seconds"
                raise ValueError(f"limits.{spec.name}: {value!r} is not {kind}")
            if not value > 0:
                raise ValueError(f"limits.{spec.name}: must be positive, not {value!r}")
            if not whole and not value <= SECONDS_CEILING:  # inf too; NaN failed above
                raise ValueError(f"limits.{spec.name}: at most {SECONDS_CEILING:g} seconds (a day)")
            ceiling = _CEILINGS.get(spec.name)
            if ceiling is not None and value > ceiling:
                raise ValueError(f"limits.{spec.name}: at most {ceiling}, not {value!r}")
