"""``ServerConfig``: everything that makes one fake target differ from another.

Its parts (:mod:`.parts`) are checked when they are built, and the whole again here, so a
config that exists is one a server can run. Reading it from plain data, TOML or JSON is
:mod:`.files`'s job; the classmethods below are its front door.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..generations import generation
from ..host import HostKind
from ..limits import Limits
from ..model import short
from ..protocol import (
    CLOUD_SCHEMES,
    DEFAULT_PIVOT_IDS,
    DEFAULT_PYTHON_API_VERSION,
    DEFAULT_SERVER_VERSION,
    check_version,
)
from . import files
from .checks import fail, instances, repeated, sequence
from .parts import CubeSpec, Fault, SecurityConfig, TableSpec, TlsConfig

__all__ = ["ServerConfig"]

_CLOUD_URL = re.compile(rf"(?:{'|'.join(CLOUD_SCHEMES)})://[^/]+/.+")


def _default_file_roots() -> tuple[str, ...]:
    return (tempfile.gettempdir(), os.getcwd())


@dataclass(frozen=True)
class ServerConfig:
    """Everything that makes one fake target differ from another."""

    server_version: str = DEFAULT_SERVER_VERSION
    python_api_version: str = DEFAULT_PYTHON_API_VERSION
    exposed: bool = True
    host: HostKind = "local"
    security: SecurityConfig | None = None
    tls: TlsConfig | None = None
    tables: tuple[TableSpec, ...] = ()
    cubes: tuple[CubeSpec, ...] = ()
    seed: int = 0
    cloud_files: Mapping[str, str] = field(default_factory=dict)
    file_roots: tuple[str, ...] = field(default_factory=_default_file_roots)
    max_body_size: int = 10 * 1024 * 1024
    limits: Limits = field(default_factory=Limits)
    faults: tuple[Fault, ...] = ()
    #: The ``activeviam/pivot`` version ids ``versions/rest`` lists; only ``9`` is served.
    pivot_ids: tuple[str, ...] = DEFAULT_PIVOT_IDS
    #: Serve the status page and its JSON under ``/_fakeserver/`` (``fakeserver serve``
    #: turns it on); off, those paths are unknown like any other.
    status_page: bool = False

    def __post_init__(self) -> None:
        check_version("server_version", self.server_version, quote=short)
        pivot_ids = (self.pivot_ids,) if isinstance(self.pivot_ids, str) else tuple(self.pivot_ids)
        if not pivot_ids or not all(
            isinstance(i, str) and re.fullmatch(r"[0-9A-Za-z._-]{1,20}", i) for i in pivot_ids
        ):
            raise fail("pivot_ids", "must be one or more version ids such as '9'")
        object.__setattr__(self, "pivot_ids", pivot_ids)
        check_version("python_api_version", self.python_api_version, quote=short)
        if not isinstance(self.exposed, bool):
            raise fail("exposed", f"{short(self.exposed)} is not a boolean")
        if not isinstance(self.status_page, bool):
            raise fail("status_page", f"{short(self.status_page)} is not a boolean")
        if self.host not in ("local", "remote"):
            raise fail("host", f"{short(self.host)} is not 'local' or 'remote'")
        if self.security is not None and not isinstance(self.security, SecurityConfig):
            raise fail("security", "must be a SecurityConfig or None")
        if self.tls is not None and not isinstance(self.tls, TlsConfig):
            raise fail("tls", "must be a TlsConfig or None")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise fail("seed", f"{short(self.seed)} is not an integer")
        if isinstance(self.max_body_size, bool) or not isinstance(self.max_body_size, int):
            raise fail("max_body_size", "must be a number of bytes")
        if self.max_body_size < 1024:
            raise fail("max_body_size", "must be at least 1024 bytes")
        if not isinstance(self.limits, Limits):
            raise fail("limits", "must be a Limits")
        tables = instances("tables", self.tables, TableSpec)
        names = [t.name for t in tables]
        duplicates = repeated(names)
        if duplicates:
            raise fail("tables", f"duplicate table name {duplicates[0]!r}")
        cubes = tuple(sequence("cubes", self.cubes, "a list of CubeSpec"))
        for cube in cubes:
            if not isinstance(cube, CubeSpec):
                raise fail("cubes", f"{short(cube)} is not a CubeSpec")
            if cube.table not in names:
                raise fail(f"cube {cube.name!r}.table", f"{cube.table!r} is not a configured table")
        if repeated([c.name for c in cubes]):
            raise fail("cubes", "duplicate cube names")
        if not isinstance(self.cloud_files, Mapping):
            raise fail("cloud_files", "must map cloud URLs to CSV text")
        for url, text in self.cloud_files.items():
            if not isinstance(url, str) or not _CLOUD_URL.fullmatch(url):
                raise fail(
                    "cloud_files", f"{short(url)} is not an s3://, gs:// or az:// object URL"
                )
            if not isinstance(text, str):
                raise fail(f"cloud_files[{short(url)}]", "must be CSV text")
        roots = tuple(sequence("file_roots", self.file_roots, "a list of absolute paths"))
        for root in roots:
            if not isinstance(root, str) or not os.path.isabs(root):
                raise fail("file_roots", f"{short(root)} is not an absolute path")
        faults = instances("faults", self.faults, Fault)
        object.__setattr__(self, "faults", faults)
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "cubes", cubes)
        object.__setattr__(self, "cloud_files", dict(self.cloud_files))
        object.__setattr__(self, "file_roots", roots)

    @property
    def secured(self) -> bool:
        return self.security is not None

    def replace(self, **changes: Any) -> ServerConfig:
        """A copy with ``changes`` applied and validated again."""
        try:
            return dataclasses.replace(self, **changes)
        except TypeError as error:
            raise ValueError(str(error)) from None

    @classmethod
    def for_client(cls, client: str, **fields: Any) -> ServerConfig:
        """A target that atoti-client release ``client`` calls compatible.

        Its server version is the one that release expects and its Python API version the
        release's own; ``fields`` set the rest. A release from 6.2.0 on that fakeserver does
        not know yet gets the server of its own version (what every such release expects)
        and a ``UserWarning`` saying so; an unknown older one is a ``ValueError`` listing
        the known ones.
        """
        found = generation(client)
        if found.caveat is not None:
            warnings.warn(found.caveat, UserWarning, stacklevel=2)
        versions = {
            "server_version": found.server_version,
            "python_api_version": found.python_api_version,
        }
        return cls(**{**versions, **fields})

    # -- loading (:mod:`.files`) ---------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ServerConfig:
        """Build from plain data (the shape of the TOML and JSON files)."""
        return cls(**files.fields_from(cls, data))

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> ServerConfig:
        return cls.from_mapping(files.read_toml(path))

    @classmethod
    def from_json(cls, path: str | os.PathLike[str]) -> ServerConfig:
        return cls.from_mapping(files.read_json(path))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> ServerConfig:
        """TOML or JSON, chosen by the file's suffix."""
        if os.fspath(path).endswith(".json"):
            return cls.from_json(path)
        return cls.from_toml(path)

    def to_mapping(self) -> dict[str, Any]:
        """Plain data that :meth:`from_mapping` turns back into an equal config."""
        return files.plain(self)
