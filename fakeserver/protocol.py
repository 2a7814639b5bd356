"""The fake's own statement of the Atoti wire protocol: roles, versions, paths, media types.

The fake never takes these from the thin client it is meant to check: a shared constant
would let one side's mistake pass unnoticed on both. ``tests`` cross-check the two.
"""

from __future__ import annotations

import re

__all__ = [
    "ADMIN_ROLE",
    "ATOTI_PATH",
    "CLOUD_SCHEMES",
    "CONTENT_PATH",
    "DEFAULT_PYTHON_API_VERSION",
    "DEFAULT_SERVER_VERSION",
    "JSON_CONTENT_TYPE",
    "PIVOT_PATH",
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
ATOTI_PATH = "/atoti/rest/v1"

#: Exactly this, never with a charset: the real client parses error bodies only then.
JSON_CONTENT_TYPE = "application/json"

#: URL schemes served from the in-memory object store (``ServerConfig.cloud_files``).
CLOUD_SCHEMES = ("s3", "gs", "az")


_VERSION = re.compile(r"^\d+(\.\d+){1,3}([.+-][0-9A-Za-z]+([.-][0-9A-Za-z]+)*)?$")


def check_version(field_name: str, value: object) -> str:
    """``value`` if it is a version string a target may report (``6.1.2``, ``6.1.0-SNAPSHOT``).

    One rule for the config and for the pytest plugin, which checks ``--fake-server-version``
    at start-up without loading the config (and with it the whole model).
    """
    if not isinstance(value, str) or not _VERSION.match(value):
        raise ValueError(f"{field_name}: {value!r} is not a version string such as '6.1.2'")
    return value
