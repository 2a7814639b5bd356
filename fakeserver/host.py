"""Host identity: this machine's, and the one a fake target reports (SPEC §4.5).

The one home of the host identity for both sides: the thin client compares against
:func:`host_identity` and a ``host="local"`` target reports it. It is a fact about the
machine, not about the protocol, so it lives in neither; this module needs only the
standard library (faker is imported only for a remote identity) so the client can import
it without pulling in the server.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import uuid
from typing import Literal, NamedTuple

__all__ = ["HOST_ID_ENV", "HostIdentity", "HostKind", "host_identity", "reported_host"]

HOST_ID_ENV = "FAKESERVER_HOST_ID"
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")

HostKind = Literal["local", "remote"]


class HostIdentity(NamedTuple):
    id: str
    name: str


@functools.lru_cache(maxsize=1)
def _derived() -> HostIdentity:
    name = socket.gethostname()
    machine = ""
    for path in _MACHINE_ID_FILES:
        try:
            with open(path, encoding="ascii") as file:
                machine = file.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if machine:
            break
    if not machine:
        # No machine id (containers, macOS): the MAC-derived node is stable enough.
        machine = f"node-{uuid.getnode():012x}"
    digest = hashlib.sha256(f"{name}\0{machine}".encode()).hexdigest()
    return HostIdentity(id=digest[:32], name=name)


def host_identity() -> HostIdentity:
    """The identity a target on this machine reports, and the one the client compares with.

    Stable across processes (host name + machine id, hashed so neither leaks); the
    ``FAKESERVER_HOST_ID`` environment variable overrides the id, read on every call so a
    test or a container can pin it.
    """
    derived = _derived()
    override = os.environ.get(HOST_ID_ENV, "").strip()
    return HostIdentity(id=override, name=derived.name) if override else derived


def reported_host(kind: HostKind, seed: int) -> HostIdentity:
    """``local`` reports :func:`host_identity`; ``remote`` a faker host, same per seed.

    Asked on every request: ``FAKESERVER_HOST_ID`` may change while a (pooled) server runs,
    and the client reads it on every connect.
    """
    local = host_identity()
    if kind == "local":
        return local
    return _remote(seed, local.id)


@functools.lru_cache(maxsize=256)
def _remote(seed: int, local_id: str) -> HostIdentity:
    from faker import Faker  # only a remote target needs it; keeps this module light

    faker = Faker()
    faker.seed_instance(seed)
    name = faker.hostname()
    digest = hashlib.sha256(f"remote\0{seed}\0{name}".encode()).hexdigest()[:32]
    if digest == local_id:  # never report this machine as another one
        digest = hashlib.sha256(digest.encode()).hexdigest()[:32]
    return HostIdentity(id=digest, name=name)
