"""This machine's identity: the one place both the client and the fake derive it."""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import uuid
from typing import NamedTuple

__all__ = ["HOST_ID_ENV", "HostIdentity", "host_identity"]

HOST_ID_ENV = "FAKESERVER_HOST_ID"
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


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
