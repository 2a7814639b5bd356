"""This machine's identity, from its one home shared with the fake (:mod:`fakeserver.host`)."""

from __future__ import annotations

from fakeserver.host import HOST_ID_ENV, HostIdentity, host_identity

__all__ = ["HOST_ID_ENV", "HostIdentity", "host_identity"]
