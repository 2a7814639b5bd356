"""The fake's own statement of the Atoti wire protocol: roles, versions, paths, media types.

The fake never takes these from the thin client it is meant to check: a shared constant
would let one side's mistake pass unnoticed on both. ``tests`` cross-check the two.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "ADMIN_ROLE",
    "ATOTI_PATH",
    "CLOUD_SCHEMES",
    "CONTENT_PATH",
    "DATABASE_PATH",
    "DEFAULT_PIVOT_IDS",
    "DEFAULT_PYTHON_API_VERSION",
    "DEFAULT_SERVER_VERSION",
    "GRAPHQL_PATH",
    "GRAPHQL_RESPONSE_TYPE",
    "JSON_CONTENT_TYPE",
    "PIVOT_PATH",
    "STATUS_PREFIX",
    "USER_ROLE",
    "VERSIONS_PATH",
    "check_version",
]

#: The role whose grant is condition (b), and the one every user has.
ADMIN_ROLE = "ROLE_ADMIN"
USER_ROLE = "ROLE_USER"

#: What a target emulates unless told otherwise: the server and Python API of atoti 0.9.2.
DEFAULT_SERVER_VERSION = "6.1.2"
DEFAULT_PYTHON_API_VERSION = "0.9.2"

#: The one fixed path; every other one is listed by it.
VERSIONS_PATH = "/versions/rest"
PIVOT_PATH = "/activeviam/pivot/rest/v9"
CONTENT_PATH = "/activeviam/content/rest/v8"
#: The database API listed from server 6.1.11 on (atoti-client 0.9.8 and later query there).
DATABASE_PATH = "/activeviam/database/rest/v1"
#: The pivot API versions listed: 0.9.0-0.9.6 accept only ids of a fixed list holding "9"
#: (not "10"); 0.9.7 and later take the highest integer id and fail on a non-integer one.
DEFAULT_PIVOT_IDS = ("9",)
ATOTI_PATH = "/atoti/rest/v1"
#: The data-model API (atoti-client 0.9.4 and later): at the root, not listed by versions.
GRAPHQL_PATH = "/graphql"
#: The fake's own status page (not Atoti's): no emulated route starts with an underscore.
STATUS_PREFIX = "/_fakeserver"

#: Exactly this, never with a charset: the real client parses error bodies only then.
JSON_CONTENT_TYPE = "application/json"
#: What GraphQL-over-HTTP clients ask for (0.9.10 and later); answered when asked.
GRAPHQL_RESPONSE_TYPE = "application/graphql-response+json"

#: URL schemes served from the in-memory object store (``ServerConfig.cloud_files``).
CLOUD_SCHEMES = ("s3", "gs", "az")


# Used with ``fullmatch``: ``$`` would also match before a final newline.
_VERSION = re.compile(r"\d+(\.\d+){1,3}([.+-][0-9A-Za-z]+([.-][0-9A-Za-z]+)*)?")


def check_version(field_name: str, value: object, quote: Callable[[object], str] = repr) -> str:
    """``value`` if it is a version string a target may report (``6.1.2``, ``6.1.0-SNAPSHOT``).

    One rule for the config and for the pytest plugin, which checks ``--fake-server-version``
    at start-up without loading the config (and with it the whole model); ``quote`` shows
    the wrong value in the message (the config bounds its length).
    """
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        raise ValueError(f"{field_name}: {quote(value)} is not a version string such as '6.1.2'")
    return value
