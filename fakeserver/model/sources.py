"""The text behind a load's ``source``: an object of the in-memory store, or a file under a root.

A file is opened first and judged by what was opened, never checked by name and opened
later: between the two, anyone who can write in a root (the default roots include the temp
directory) could swap a directory for a link and have the server read any file it can.
So the path is resolved here one component at a time, each opened relative to the
directory already held (``openat``) with ``O_NOFOLLOW``, the way the kernel resolves it but
without ever letting the kernel follow a link. A link is read (``readlinkat``) and its text
resolved by the same walk, so it is followed only when where it leads is under a root; a
root is recognised by the identity (device, inode) of the directory the walk holds, not by
a name. Whatever is swapped under the walk, the file read is one reached from a root
through real directory entries. The opened file must be a regular file (opened with
``O_NONBLOCK``: a FIFO never blocks the open) no larger than the load limit, which is
checked again while reading, in case it grows. Every ``OSError`` becomes a clear 4xx.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from ..protocol import CLOUD_SCHEMES
from .values import DataError

__all__ = ["read_source"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: Links followed in one path at most: the kernel's own limit (Linux MAXSYMLINKS).
_MAX_LINKS = 40
#: Directories held at once, at most: each is a descriptor, and a path the kernel would take
#: (PATH_MAX, 4,096 bytes) has fewer.
_MAX_DEPTH = 1024
# O_PATH (Linux) walks directories one may search but not list, as the kernel does.
_DIRECTORY = os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_PATH", os.O_RDONLY)
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
# What openat(O_NOFOLLOW) says when the name is a link (ENOTDIR with O_DIRECTORY; EMLINK on
# the BSDs): readlinkat then tells a link from a file.
_MAYBE_A_LINK = (errno.ELOOP, errno.EMLINK, errno.ENOTDIR)
_CHUNK = 1024 * 1024
#: Whether this platform resolves names relative to a directory descriptor (not Windows).
_OPENAT = os.open in os.supports_dir_fd and os.readlink in os.supports_dir_fd


def read_source(
    source: object,
    *,
    local_host: bool,
    file_roots: Sequence[str],
    cloud_files: Mapping[str, str],
    encoding: str = "utf-8",
    max_bytes: int | None = None,
) -> str:
    """The text behind a load's ``source``: a cloud object, or a file under the roots.

    A target on another host cannot see the client's disk: it answers exactly as it does
    for a file that does not exist. Paths are refused when they use ``..``, when they lead
    (links included) outside every configured root, or when they are not regular files.
    Beyond ``max_bytes`` (``limits.max_load_bytes``), a 413.
    """
    if not isinstance(source, str) or not source:
        raise DataError("source must be a local path or an s3://, gs:// or az:// URL")
    scheme = _SCHEME.match(source)
    if scheme is not None:
        if scheme.group(1).lower() not in CLOUD_SCHEMES:
            raise DataError(
                f"unsupported source scheme {scheme.group(1)}://: give a local path or an "
                "s3://, gs:// or az:// URL"
            )
        if source not in cloud_files:
            raise DataError(f"no such cloud object: {source}", 404)
        text = cloud_files[source]
        if max_bytes is not None and _utf8_size(text, max_bytes) > max_bytes:
            raise _too_large(source, max_bytes)
        return text
    if not local_host:
        raise _not_found(source)
    if not source.isprintable() or not os.path.isabs(source):
        raise DataError(f"{source!r} is not an absolute path")
    if ".." in PurePosixPath(source).parts:
        raise DataError(f"{source!r} uses '..': refused", 403)
    if not _OPENAT:
        raise DataError("this server cannot load files safely on this platform (no openat)", 403)
    with _Walk(source, _root_identities(file_roots)) as walk:
        fd = walk.open_file()
        data = _read(fd, source, max_bytes)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DataError(f"{source!r} is not {encoding} text (byte {error.start})") from None
    except (UnicodeError, ValueError, LookupError):
        raise DataError(f"{source!r} is not {encoding} text") from None


def _utf8_size(text: str, limit: int) -> int:
    # Each character is 1 to 4 bytes: encode (a copy) only when the bounds do not decide.
    if len(text) > limit or 4 * len(text) <= limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _too_large(source: str, max_bytes: int) -> DataError:
    return DataError(
        f"cannot load {source!r}: larger than the load limit of {max_bytes} bytes "
        "(limits.max_load_bytes)",
        413,
    )


def _not_regular(source: str) -> DataError:
    return DataError(f"cannot load {source!r}: not a regular file (a FIFO, socket or device)")


def _not_found(source: str) -> DataError:
    return DataError(f"cannot load {source!r}: no such file on the server", 404)


def _root_identities(file_roots: Sequence[str]) -> frozenset[tuple[int, int]]:
    """(device, inode) of every root directory that exists.

    A root is the operator's word, so its own path may go through links; what is under it
    is judged by the walk.
    """
    identities = set()
    for root in file_roots:
        try:
            status = os.stat(root)
        except (OSError, ValueError):
            continue
        if stat.S_ISDIR(status.st_mode):
            identities.add((status.st_dev, status.st_ino))
    return frozenset(identities)


class _Walk:
    """One path resolved from directory descriptors, following links only by their text.

    ``held`` is the stack of directories the walk stands in, from ``/``: each with whether
    it is a root or under one. ``..`` (from a link's text: the source itself may not use it)
    pops it, as the kernel would after following a link.
    """

    def __init__(self, source: str, roots: frozenset[tuple[int, int]]) -> None:
        self.source = source
        self.roots = roots
        self.held: list[tuple[int, bool]] = []
        self.links = 0
        self.file: int | None = None

    def __enter__(self) -> _Walk:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for fd, _ in self.held:
            os.close(fd)
        if self.file is not None:
            os.close(self.file)

    def open_file(self) -> int:
        """A descriptor of the file the source names; it is closed with the walk."""
        try:
            self._from_top()
            pending = list(reversed(PurePosixPath(self.source).parts[1:]))
            while pending:
                name = pending.pop()
                if name == "..":
                    self._up()
                elif not pending:
                    self.file = self._last(name, pending)
                else:
                    self._enter(name, pending)
            if self.file is None:  # the path ends at a directory: "/", or a link to one
                raise DataError(
                    f"cannot load {self.source!r}: it is a directory"
                    if self._inside()
                    else f"{self.source!r} is outside the server's file roots",
                    400 if self._inside() else 403,
                )
            return self.file
        except OSError as error:
            raise self._refusal(error) from None

    def _inside(self) -> bool:
        return self.held[-1][1]

    def _from_top(self) -> None:
        for fd, _ in self.held:
            os.close(fd)
        self.held = []
        self._hold(os.open("/", _DIRECTORY), outside=True)

    def _hold(self, fd: int, *, outside: bool = False) -> None:
        if len(self.held) >= _MAX_DEPTH:
            os.close(fd)
            raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG))
        status = os.fstat(fd)
        inside = (status.st_dev, status.st_ino) in self.roots or (not outside and self._inside())
        self.held.append((fd, inside))

    def _up(self) -> None:
        if len(self.held) > 1:
            fd, _ = self.held.pop()
            os.close(fd)

    def _enter(self, name: str, pending: list[str]) -> None:
        parent = self.held[-1][0]
        try:
            fd = os.open(name, _DIRECTORY, dir_fd=parent)
        except OSError as error:
            self._follow(parent, name, error, pending)
            return
        self._hold(fd)

    def _last(self, name: str, pending: list[str]) -> int | None:
        """The file at ``name``, or None when it is a link (its target is now pending)."""
        parent, inside = self.held[-1]
        if not inside:
            # Never opened outside the roots (a FIFO or a device there must not be touched);
            # only looked at: a link may lead back into a root, and a root is a directory.
            status = os.stat(name, dir_fd=parent, follow_symlinks=False)
            if stat.S_ISLNK(status.st_mode):
                self._follow(parent, name, OSError(errno.ELOOP, "link"), pending)
                return None
            if (status.st_dev, status.st_ino) in self.roots:
                raise DataError(f"cannot load {self.source!r}: it is a directory")
            raise DataError(f"{self.source!r} is outside the server's file roots", 403)
        try:
            return os.open(name, _FILE, dir_fd=parent)
        except OSError as error:
            self._follow(parent, name, error, pending)
            return None

    def _follow(self, parent: int, name: str, error: OSError, pending: list[str]) -> None:
        """Queue the target of the link ``name``; re-raise ``error`` if it is not a link."""
        if error.errno not in _MAYBE_A_LINK:
            raise error
        try:
            target = os.readlink(name, dir_fd=parent)
        except OSError as not_a_link:
            raise (error if not_a_link.errno == errno.EINVAL else not_a_link) from None
        self.links += 1
        if self.links > _MAX_LINKS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
        if target.startswith("/"):
            self._from_top()
        pending.extend(reversed([p for p in target.split("/") if p not in ("", ".")]))

    def _refusal(self, error: OSError) -> DataError:
        source = self.source
        if not self.held or not self._inside():
            # Outside the roots, nothing is told: not even whether a path exists.
            return DataError(f"{source!r} is outside the server's file roots", 403)
        code = error.errno
        if code in (errno.ENOENT, errno.ENOTDIR):
            return _not_found(source)
        if code in (errno.EACCES, errno.EPERM):
            return DataError(f"cannot load {source!r}: permission denied", 403)
        if code == errno.ENXIO:  # a socket: open() refuses it before fstat could
            return _not_regular(source)
        return DataError(f"cannot load {source!r}: {error.strerror or 'cannot be opened'}")


def _read(fd: int, source: str, max_bytes: int | None) -> bytearray:
    """The whole regular file behind ``fd``, read into one buffer (no copies on the way)."""
    status = os.fstat(fd)
    if stat.S_ISDIR(status.st_mode):
        raise DataError(f"cannot load {source!r}: it is a directory")
    if not stat.S_ISREG(status.st_mode):
        raise _not_regular(source)
    limit = max_bytes if max_bytes is not None else 2**62
    if status.st_size > limit:
        raise _too_large(source, limit)
    # One byte more than the size fstat gave: a file that grew since shows up as such.
    buffer = bytearray(status.st_size + 1)
    filled = 0
    try:
        with io.FileIO(fd, closefd=False) as file:
            while True:
                if filled == len(buffer):
                    if filled > limit:
                        raise _too_large(source, limit)
                    buffer.extend(bytes(min(max(filled, _CHUNK), limit + 1 - filled)))
                with memoryview(buffer) as whole, whole[filled:] as free:
                    count = file.readinto(free)
                if not count:
                    break
                filled += count
    except OSError as error:
        raise DataError(f"cannot load {source!r}: {error.strerror or 'read failed'}") from None
    del buffer[filled:]
    return buffer
