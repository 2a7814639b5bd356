"""The fake's own statement of the Atoti wire protocol: roles, versions, paths, media types.

The fake never takes these from the thin client it is meant to check: a shared constant
would let one side's mistake pass unnoticed on both. ``tests`` cross-check the two.
"""

from __future__ import annotations

__all__ = [
    "ADMIN_ROLE",
    "ATOTI_PATH",
    "CLOUD_SCHEMES",
    "CONTENT_PATH",
    "DEFAULT_PYTHON_API_VERSION",
    "DEFAULT_SERVER_VERSION",
    "JSON_CONTENT_TYPE",
    "PIVOT_PATH",
    "STATUS_PREFIX",
    "USER_ROLE",
    "VERSIONS_PATH",
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
#: The fake's own status page (not Atoti's): no emulated route starts with an underscore.
STATUS_PREFIX = "/_fakeserver"

#: Exactly this, never with a charset: the real client parses error bodies only then.
JSON_CONTENT_TYPE = "application/json"

#: URL schemes served from the in-memory object store (``ServerConfig.cloud_files``).
CLOUD_SCHEMES = ("s3", "gs", "az")
