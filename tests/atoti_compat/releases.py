"""What differs between atoti-client releases, as observed on the wire (SPEC §4.6).

The installed release is read from package metadata; everything else the compat suite
needs to know about it is derived here, in one place, so the tests read the same whatever
the release.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from types import ModuleType
from typing import Any

import httpx

from fakeserver import ServerConfig
from fakeserver.generations import generation

__all__ = [
    "ASKS_PY4J",
    "CLIENT",
    "HTTP",
    "MISMATCHED_SERVER",
    "READS_TABLES",
    "assert_not_available",
    "at_least",
    "config",
]

#: The installed release, e.g. "0.9.16".
CLIENT = importlib.metadata.version("atoti-client")
GENERATION = generation(CLIENT)


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version)[:3])


def at_least(version: str) -> bool:
    return _numbers(CLIENT) >= _numbers(version)


#: 6.2 clients speak httpx2 (errors are httpx2's classes); earlier ones httpx.
HTTP: ModuleType = importlib.import_module("httpx2") if at_least("6.2.0") else httpx
#: Every release but 0.9.0 asks for the Py4J configuration when compatible and exposed.
ASKS_PY4J = CLIENT != "0.9.0"
#: From 0.9.4 on the client implements the Read-only tier itself (GraphQL, no Py4J).
READS_TABLES = at_least("0.9.4")
#: A server version no release expects (0.9.0 expects none: it is compatible with any).
MISMATCHED_SERVER = "6.0.99"


def config(**fields: Any) -> ServerConfig:
    """A target of the installed release's own generation: the compatible state."""
    return ServerConfig.for_client(CLIENT, **fields)


def assert_not_available(error: BaseException) -> None:
    """The client refused an action before sending anything (its wording varies by release)."""
    assert isinstance(error, RuntimeError)
    message = str(error)
    if type(error).__name__ == "LiveExtensionUnavailableError":
        assert "Live extension is not available" in message
    elif CLIENT == "0.9.0":  # it calls every connected session a remote one
        assert "only supported in local sessions" in message
    else:
        assert "not available" in message
