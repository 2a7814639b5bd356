"""Key and certificate files: modes whatever the umask, planted links replaced, not followed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeserver.keyfiles import unsafe_directory, write_file


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(params=[0o000, 0o022, 0o077], ids=lambda m: f"umask_{m:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_keys_are_0600_and_certificates_0644_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    write_file(tmp_path / "k.key", b"secret", private=True)
    write_file(tmp_path / "c.pem", b"public", private=False)
    assert (mode(tmp_path / "k.key"), mode(tmp_path / "c.pem")) == (0o600, 0o644)
    assert (tmp_path / "k.key").read_bytes() == b"secret"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pem", "k.key"]


def test_an_existing_file_is_replaced_and_narrowed(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    key.write_text("old")
    key.chmod(0o666)
    write_file(key, b"new", private=True)
    assert (key.read_bytes(), mode(key)) == (b"new", 0o600)


def test_a_planted_link_is_replaced_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    victim.chmod(0o644)
    os.symlink(victim, tmp_path / "k.key")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling.key")
    write_file(tmp_path / "k.key", b"secret", private=True)
    write_file(tmp_path / "dangling.key", b"secret", private=True)
    assert victim.read_text() == "precious" and mode(victim) == 0o644
    assert not (tmp_path / "k.key").is_symlink() and (tmp_path / "k.key").read_bytes() == b"secret"
    assert not (tmp_path / "nowhere").exists()


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "k.key").mkdir()  # a directory cannot be replaced by a file
    with pytest.raises(OSError):
        write_file(tmp_path / "k.key", b"secret", private=True)
    assert [p.name for p in tmp_path.iterdir()] == ["k.key"]


def test_directories_fit_for_keys(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    assert unsafe_directory(mine) is None
    os.symlink(mine, tmp_path / "link")
    assert unsafe_directory(tmp_path / "link") is None  # my link to my directory
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    assert unsafe_directory(sticky) is None  # others cannot replace what it holds
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert unsafe_directory(shared) == (
        "other users may write in it (mode 777) and it has no sticky bit"
    )
    (tmp_path / "file").write_text("")
    assert unsafe_directory(tmp_path / "file") == "it is not a directory"
    assert unsafe_directory(tmp_path / "missing") == "cannot inspect it: No such file or directory"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_directories_and_links_of_others_are_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    assert unsafe_directory(theirs) == "it belongs to another user (uid 65534)"
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    os.symlink(mine, tmp_path / "their-link")
    os.lchown(tmp_path / "their-link", 65534, 65534)
    assert unsafe_directory(tmp_path / "their-link") == (
        "it is a link owned by another user (uid 65534)"
    )
