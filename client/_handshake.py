"""The handshake's judgement, as pure functions: what ``/versions/rest`` and the session
descriptor say, and the six conditions they establish (SPEC §2, §4.1-§4.2).

The session fetches the bodies; these functions only read them, so every malformed answer
is a :class:`ProtocolError` that a test can show with a plain dict, without a socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._errors import ProtocolError
from ._host import HostIdentity
from ._tiers import ADMIN_ROLE, Conditions

__all__ = [
    "MALFORMED_DESCRIPTOR",
    "VERSIONS_PATH",
    "Descriptor",
    "Versions",
    "conditions",
    "parse_descriptor",
    "parse_versions",
]

#: The one fixed path: every other path is read from its answer.
VERSIONS_PATH = "/versions/rest"
MALFORMED_DESCRIPTOR = "the session descriptor is malformed"
# The pivot API versions atoti-client 0.9.2 accepts, in its order of preference.
_PIVOT_IDS = ("9", "9zz1", "8")


@dataclass(frozen=True)
class Versions:
    """What ``/versions/rest`` says: the server's version and where each API lives."""

    server_version: str
    pivot_path: str
    #: None: the target is not exposed to the Atoti Python API (condition f).
    atoti_path: str | None


@dataclass(frozen=True)
class Descriptor:
    """What the session descriptor (``{atoti}/session``) says about the target and the user."""

    secured: bool
    user: str | None
    roles: frozenset[str]
    python_api_version: str
    host: HostIdentity


def parse_versions(body: object) -> Versions:
    """The decoded ``/versions/rest`` answer, checked; ProtocolError when it is not Atoti's."""
    if not isinstance(body, dict):
        raise ProtocolError(f"{VERSIONS_PATH} did not answer a JSON object")
    missing = [k for k in ("version", "serverVersion", "apis") if k not in body]
    if missing:
        raise ProtocolError(f"{VERSIONS_PATH} lacks {', '.join(missing)}: not an Atoti server")
    apis = body["apis"]
    if not isinstance(body["serverVersion"], str) or not isinstance(apis, dict):
        raise ProtocolError(f"{VERSIONS_PATH} has a malformed serverVersion or apis")
    if "activeviam/pivot" not in apis:
        raise ProtocolError(f"{VERSIONS_PATH} has no activeviam/pivot API")
    pivot = _first_rest_path("activeviam/pivot", apis["activeviam/pivot"], _PIVOT_IDS)
    atoti = apis.get("atoti")
    return Versions(
        server_version=body["serverVersion"],
        pivot_path=pivot,
        atoti_path=_first_rest_path("atoti", atoti) if atoti else None,
    )


def _first_rest_path(namespace: str, api: Any, ids: tuple[str, ...] = ()) -> str:
    """The first version's ``restPath`` (the first whose id is in ``ids``, if given)."""
    try:
        for version in api["versions"]:
            if not ids or str(version["id"]) in ids:
                path = version["restPath"]
                if isinstance(path, str) and path.startswith("/"):
                    return path.rstrip("/")
    except (KeyError, TypeError):
        pass
    wanted = f" with an id in {list(ids)}" if ids else ""
    raise ProtocolError(f"{VERSIONS_PATH} has no usable {namespace} version{wanted}")


def parse_descriptor(body: object) -> Descriptor:
    """The decoded session descriptor, checked; ProtocolError when any field is off."""
    fields: Any = body  # read as JSON: a missing key or a wrong type is a malformed body
    try:
        secured = fields["security"]["enabled"]
        if not isinstance(secured, bool):
            raise TypeError
        user = fields["user"]
        if user is not None and not (
            isinstance(user["name"], str)
            and isinstance(user["roles"], list)
            and all(isinstance(role, str) for role in user["roles"])
        ):
            raise TypeError
        host = fields["host"]
        version = fields["pythonApiVersion"]
        if not all(isinstance(v, str) for v in (version, host["id"], host["name"])):
            raise TypeError
    except (KeyError, TypeError):
        raise ProtocolError(MALFORMED_DESCRIPTOR) from None
    return Descriptor(
        secured=secured,
        user=None if user is None else user["name"],
        roles=frozenset(() if user is None else user["roles"]),
        python_api_version=version,
        host=HostIdentity(host["id"], host["name"]),
    )


def conditions(
    versions: Versions,
    descriptor: Descriptor | None,
    *,
    server_version: str,
    python_api_version: str,
    host: HostIdentity,
) -> Conditions:
    """The six conditions, from what the target said and what this client expects.

    ``server_version`` and ``python_api_version`` are the versions this client expects,
    ``host`` this machine's identity. Without a descriptor (a target not exposed has none)
    the first four cannot be established: they are None, which counts as not met.
    """
    same_server_version = versions.server_version == server_version
    exposed = versions.atoti_path is not None
    if descriptor is None:
        return Conditions(None, None, None, None, same_server_version, exposed)
    return Conditions(
        secured=descriptor.secured,
        admin=descriptor.secured and ADMIN_ROLE in descriptor.roles,
        same_python_api=descriptor.python_api_version == python_api_version,
        same_host=descriptor.host.id == host.id,
        same_server_version=same_server_version,
        exposed=exposed,
    )
