"""The host identity a target reports: this machine's, or a seeded other one."""

from __future__ import annotations

import functools
import hashlib

from faker import Faker

from client import HostIdentity, host_identity

from .config import HostKind

__all__ = ["reported_host"]


def reported_host(kind: HostKind, seed: int) -> HostIdentity:
    """``local`` reports :func:`client.host_identity`; ``remote`` a faker host, same per seed.

    Asked on every request: ``FAKESERVER_HOST_ID`` may change while a (pooled) server runs,
    and the client reads it on every connect.
    """
    local = host_identity()
    if kind == "local":
        return local
    return _remote(seed, local.id)


@functools.lru_cache(maxsize=256)
def _remote(seed: int, local_id: str) -> HostIdentity:
    faker = Faker()
    faker.seed_instance(seed)
    name = faker.hostname()
    digest = hashlib.sha256(f"remote\0{seed}\0{name}".encode()).hexdigest()[:32]
    if digest == local_id:  # never report this machine as another one
        digest = hashlib.sha256(digest.encode()).hexdigest()[:32]
    return HostIdentity(id=digest, name=name)
