"""``session.security``: users, passwords and roles of the target, written through (SPEC §4.5).

Both mappings read the server on every access and write with a merging ``PUT`` (a null
value removes), so they never hold a stale copy. Passwords read back redacted. Their reprs
send nothing: pytest formats a failed assertion with them.
"""

from __future__ import annotations

from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from collections.abc import (
    Set as AbstractSet,
)
from typing import Any, Generic, TypeVar

from ._requester import Requester
from ._tiers import Capability

__all__ = ["BasicAuthenticationSecurity", "Credentials", "IndividualRoles", "Security"]

V = TypeVar("V")


class _ServerMapping(MutableMapping[str, V], Generic[V]):
    """A mapping that lives on the server at ``route``; every call needs ``security``."""

    route = ""

    def __init__(self, session: Requester) -> None:
        self._session = session

    def _decode(self, value: Any) -> V:
        raise NotImplementedError

    def _encode(self, value: V) -> Any:
        raise NotImplementedError

    def _call(self, method: str, body: Any = None) -> dict[str, V]:
        options = {} if body is None else {"json": body}
        response = self._session.call(Capability.SECURITY, method, self.route, **options)
        return {str(k): self._decode(v) for k, v in response.json().items()}

    def _fetch(self) -> dict[str, V]:
        return self._call("GET")

    def __getitem__(self, user: str) -> V:
        return self._fetch()[user]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fetch())

    def __len__(self) -> int:
        return len(self._fetch())

    def __contains__(self, user: object) -> bool:
        return user in self._fetch()

    # One answer for the whole view: the mixins would ask the server once per key.
    def keys(self) -> KeysView[str]:
        return self._fetch().keys()

    def items(self) -> ItemsView[str, V]:
        return self._fetch().items()

    def values(self) -> ValuesView[V]:
        return self._fetch().values()

    def __setitem__(self, user: str, value: V) -> None:
        self._call("PUT", {user: self._encode(value)})

    def __delitem__(self, user: str) -> None:
        if user not in self._fetch():
            raise KeyError(user)
        self._call("PUT", {user: None})

    def update(self, other: Any = (), /, **changes: V | None) -> None:
        """Every change in one request, applied whole by the server; None removes a user."""
        merged: dict[str, V | None] = dict(other.items() if isinstance(other, Mapping) else other)
        merged.update(changes)
        self._call(
            "PUT",
            {
                user: None if value is None else self._encode(value)
                for user, value in merged.items()
            },
        )

    def __repr__(self) -> str:
        # No request: the contents are one `dict(mapping)` away.
        return f"<{type(self).__name__} of {self._session.url}>"


class Credentials(_ServerMapping[str]):
    """User name → password of basic authentication; passwords read as ``**REDACTED**``."""

    route = "/security/basic/credentials"

    def _decode(self, value: Any) -> str:
        return str(value)

    def _encode(self, value: str) -> Any:
        if not isinstance(value, str):
            raise TypeError("a password is a string")
        return value


class IndividualRoles(_ServerMapping[AbstractSet[str]]):
    # AbstractSet: assigning a plain set type-checks; what is read back is a frozenset.
    """User name → roles (e.g. ``{"ROLE_USER", "ROLE_ADMIN"}``); effective from the next request."""

    route = "/security/individual-roles"

    def _decode(self, value: Any) -> AbstractSet[str]:
        return frozenset(value)

    def _encode(self, value: Iterable[str]) -> Any:
        if isinstance(value, str):
            raise TypeError("roles are a collection of role names, not one string")
        return sorted(value)


class BasicAuthenticationSecurity:
    def __init__(self, session: Requester) -> None:
        self.credentials = Credentials(session)


class Security:
    """Security management of the target (capability ``security``: REMOTE and LOCAL)."""

    def __init__(self, session: Requester) -> None:
        self.basic_authentication = BasicAuthenticationSecurity(session)
        self.individual_roles = IndividualRoles(session)
