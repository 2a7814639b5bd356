"""Certificate and key files written at run time: never through a planted link; keys private.

Every file is written under a new, random name in its directory, created with
``O_CREAT | O_EXCL | O_NOFOLLOW`` (so nothing that already exists, a link included, is ever
opened), then renamed over its final name. A link planted at the final name is replaced,
never followed, and a reader never sees half a file. Private keys are 0600; certificates
0644, whatever the umask: they are public by nature, and the directories holding them are
private anyway.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["unsafe_directory", "write_file"]

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def write_file(path: str | os.PathLike[str], data: bytes, *, private: bool) -> None:
    """Write ``data`` at ``path`` in one rename: 0600 when ``private`` (a key), else 0644."""
    final = Path(path)
    mode = 0o600 if private else 0o644
    temporary = final.with_name(f".{final.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(temporary, _CREATE, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), mode)  # the umask may have narrowed a certificate
            file.write(data)
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def unsafe_directory(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` is no place for private keys, or None when it is.

    It must be a directory of this user's (reached, if through a link, by a link of this
    user's too) that nobody else may write in, unless its sticky bit stops others from
    replacing what it holds: anyone who can rename entries there could swap the key files
    a test or a script then trusts.
    """
    me = os.geteuid()
    try:
        link = os.lstat(path)
        status = os.stat(path)
    except OSError as error:
        return f"cannot inspect it: {error.strerror}"
    if stat.S_ISLNK(link.st_mode) and link.st_uid != me:
        return f"it is a link owned by another user (uid {link.st_uid})"
    if not stat.S_ISDIR(status.st_mode):
        return "it is not a directory"
    if status.st_uid != me:
        return f"it belongs to another user (uid {status.st_uid})"
    if status.st_mode & 0o022 and not status.st_mode & stat.S_ISVTX:
        mode = stat.S_IMODE(status.st_mode)
        return f"other users may write in it (mode {mode:o}) and it has no sticky bit"
    return None
