"""A load's source: cloud objects, files under the roots, and everything that must not load.

The race tests swap a directory for a link to an outside "etc" (a stand-in for ``/etc``,
whose ``passwd`` a hostile user would want) at the worst moment, and check that its text
never comes back and that every failure is a 4xx ``DataError``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fakeserver.model import DataError, read_source

CSV = "a\n1\n"
SECRET = "root:x:0:0:root:/root:/bin/bash\n"


def source(
    path: str | Path, root: Path, *, local: bool = True, max_bytes: int | None = None
) -> str:
    return read_source(
        str(path),
        local_host=local,
        file_roots=(str(root),),
        cloud_files={"s3://b/k.csv": CSV},
        max_bytes=max_bytes,
    )


def refusal(path: str | Path, root: Path, **options: Any) -> DataError:
    with pytest.raises(DataError) as caught:
        source(path, root, **options)
    return caught.value


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``root/`` (the one root) with ``data.csv``; ``etc/passwd`` outside it."""
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "data.csv").write_text(CSV)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(SECRET)
    return tmp_path


def test_sources_under_the_roots_are_read(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text(CSV)
    assert source(tmp_path / "ok.csv", tmp_path) == CSV
    assert source("s3://b/k.csv", tmp_path, local=False) == CSV


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (lambda p: str(p / "root" / ".." / "outside.csv"), 403, "uses '..'"),
        (lambda p: str(p / "outside.csv"), 403, "outside the server's file roots"),
        (lambda p: str(p / "root" / "link.csv"), 403, "outside the server's file roots"),
        (lambda p: str(p / "root" / "missing.csv"), 404, "no such file on the server"),
        (lambda p: str(p / "root" / "data.csv" / "x"), 404, "no such file on the server"),
        (lambda p: str(p / "root"), 400, "it is a directory"),
        (lambda p: str(p / "root" / "sub"), 400, "it is a directory"),
        (lambda p: "/", 403, "outside the server's file roots"),
        (lambda p: "relative.csv", 400, "not an absolute path"),
        (lambda p: str(p / "root" / "\ud800.csv"), 400, "not an absolute path"),
        (lambda p: str(p / "root" / "nul\x00.csv"), 400, "not an absolute path"),
        (lambda p: str(p / "root" / ("x" * 300)), 400, "File name too long"),
        (lambda p: "s3://b/nope.csv", 404, "no such cloud object"),
        (lambda p: "http://example/x.csv", 400, "unsupported source scheme http://"),
        (lambda p: "", 400, "source must be"),
    ],
)
def test_sources_that_escape_or_do_not_exist_are_refused(
    tmp_path: Path, make: Callable[[Path], str], status: int, message: str
) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "sub").mkdir()
    (root / "data.csv").write_text(CSV)
    (tmp_path / "outside.csv").write_text("secret\n")
    os.symlink(tmp_path / "outside.csv", root / "link.csv")
    error = refusal(make(tmp_path), root)
    assert (error.status, message in error.message) == (status, True), error.message


def test_outside_the_roots_nothing_is_told_not_even_existence(tree: Path) -> None:
    root = tree / "root"
    exists, missing = refusal(tree / "etc" / "passwd", root), refusal(tree / "nope" / "x", root)
    assert exists.status == missing.status == 403
    assert exists.message.replace("etc/passwd", "X") == missing.message.replace("nope/x", "X")


def test_a_remote_host_cannot_see_files_that_exist(tmp_path: Path) -> None:
    (tmp_path / "ok.csv").write_text(CSV)
    remote = refusal(tmp_path / "ok.csv", tmp_path, local=False)
    missing = refusal(tmp_path / "missing.csv", tmp_path)
    # Word for word what a missing file gets: the fake does not reveal the file is there.
    assert remote.status == missing.status == 404
    assert remote.message.replace("ok.csv", "X") == missing.message.replace("missing.csv", "X")


# -- links: followed only where they lead under a root -------------------------------------


def test_links_that_stay_inside_and_linked_roots_are_fine(tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "deep").mkdir(parents=True)
    (real / "data.csv").write_text(CSV)
    os.symlink(real / "data.csv", real / "alias.csv")  # absolute
    os.symlink("deep/../data.csv", real / "relative.csv")  # ".." inside the root
    os.symlink("deep", real / "dir")
    (real / "deep" / "d.csv").write_text(CSV)
    os.symlink(real, tmp_path / "rootlink")
    os.symlink(tmp_path / "rootlink", tmp_path / "via")  # a path outside that leads in
    for path in ("alias.csv", "relative.csv", "dir/d.csv"):
        assert source(real / path, real) == CSV
    assert source(tmp_path / "rootlink" / "data.csv", tmp_path / "rootlink") == CSV
    assert source(tmp_path / "via" / "data.csv", real) == CSV


@pytest.mark.parametrize(
    "target",
    ["../etc/passwd", "../root/../etc/passwd", "/proc/self/root{etc}", "{etc}", "sub/../../etc"],
)
def test_links_that_lead_out_are_refused(tree: Path, target: str) -> None:
    root = tree / "root"
    (root / "sub").mkdir()
    text = target.format(etc=tree / "etc" / "passwd")
    name = "out" if text.endswith("etc") else "out.csv"
    os.symlink(text, root / name)
    path = root / name / "passwd" if name == "out" else root / name
    error = refusal(path, root)
    assert error.status == 403 and "outside the server's file roots" in error.message


def test_link_loops_and_long_chains_are_a_400(tmp_path: Path) -> None:
    os.symlink("loop", tmp_path / "loop")
    for index in range(45):
        os.symlink(f"c{index + 1}", tmp_path / f"c{index}")
    (tmp_path / "c45").write_text(CSV)
    for name in ("loop", "c0"):
        error = refusal(tmp_path / name, tmp_path)
        assert error.status == 400 and "symbolic links" in error.message
    assert source(tmp_path / "c10", tmp_path) == CSV  # 35 links: within the kernel's 40


def test_a_path_deeper_than_the_kernel_would_take_is_a_400(tmp_path: Path) -> None:
    # 1,100 real directories: a path the kernel itself would refuse (over PATH_MAX).
    fd = os.open(tmp_path, os.O_RDONLY)
    for _ in range(1100):
        os.mkdir("s", dir_fd=fd)
        deeper = os.open("s", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = deeper
    os.close(fd)
    try:
        error = refusal(str(tmp_path) + "/s" * 1100 + "/data.csv", tmp_path)
        assert error.status == 400 and "File name too long" in error.message
    finally:
        _remove_chain(tmp_path)


def _remove_chain(parent: Path) -> None:
    """Remove the nested ``s`` directories one level at a time.

    ``shutil.rmtree`` (and so pytest's clean-up of old temp dirs) recurses once per level
    and overflows Python's stack on a chain this deep: hoist each child up, then drop it.
    """
    top, spare = parent / "s", parent / "s-spare"
    while top.is_dir():
        child = top / "s"
        if child.is_dir():
            child.rename(spare)
            top.rmdir()
            spare.rename(top)
        else:
            top.rmdir()


# -- only regular files ----------------------------------------------------------------------


def bounded(load: Callable[[], object]) -> BaseException | object:
    """Run ``load`` in a thread and give it 30 s: a FIFO must never block it."""
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(load())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    return outcome[0] if outcome else TimeoutError("the load blocked")


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    try:
        outcome = bounded(lambda: source(fifo, tmp_path))
    finally:
        # Before the fix the load blocks in open(): a writer coming and going lets it go.
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert isinstance(outcome, DataError), outcome
    assert outcome.status == 400 and "not a regular file" in outcome.message


def test_sockets_and_devices_are_refused(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock.csv"))
        error = refusal(tmp_path / "sock.csv", tmp_path)
        assert error.status == 400 and "not a regular file" in error.message
    os.symlink("/dev/zero", tmp_path / "zero.csv")  # a device is outside the roots anyway
    assert refusal(tmp_path / "zero.csv", tmp_path).status == 403
    if os.path.exists("/dev/null"):
        error = refusal("/dev/null", Path("/dev"))  # a root of devices: still not a file
        assert error.status == 400 and "not a regular file" in error.message


# -- size -----------------------------------------------------------------------------------


def test_files_and_cloud_objects_over_the_limit_are_a_413(tmp_path: Path) -> None:
    (tmp_path / "ten.csv").write_bytes(b"a\n" + b"1\n" * 4)
    assert source(tmp_path / "ten.csv", tmp_path, max_bytes=10) == "a\n1\n1\n1\n1\n"
    error = refusal(tmp_path / "ten.csv", tmp_path, max_bytes=9)
    assert error.status == 413
    assert error.message.endswith("larger than the load limit of 9 bytes (limits.max_load_bytes)")
    cloud = refusal("s3://b/k.csv", tmp_path, max_bytes=3)
    assert cloud.status == 413 and "load limit of 3 bytes" in cloud.message
    assert source("s3://b/k.csv", tmp_path, max_bytes=4) == CSV


def test_cloud_objects_are_measured_in_utf8_bytes(tmp_path: Path) -> None:
    text = "é" * 10  # 20 bytes
    for limit, fits in ((19, False), (20, True), (40, True), (5, False)):
        try:
            read_source(
                "s3://b/e.csv",
                local_host=False,
                file_roots=(),
                cloud_files={"s3://b/e.csv": text},
                max_bytes=limit,
            )
        except DataError as error:
            assert not fits and error.status == 413
        else:
            assert fits


def test_a_file_that_grows_while_read_is_cut_at_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "grows.csv").write_bytes(b"a\n" + b"1\n" * 5000)
    real_fstat = os.fstat

    def stale(fd: int) -> os.stat_result:
        # What fstat said before the file grew: 4 bytes.
        status = real_fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            return status
        fields = list(status)
        fields[stat.ST_SIZE] = 4
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", stale)
    error = refusal(tmp_path / "grows.csv", tmp_path, max_bytes=1000)
    assert error.status == 413
    assert source(tmp_path / "grows.csv", tmp_path, max_bytes=20_000).count("1") == 5000


# -- the check-then-open race ------------------------------------------------------------------


def swap_to_link(directory: Path, target: Path) -> None:
    """``directory`` becomes a link to ``target`` (the real one moves aside)."""
    os.rename(directory, directory.with_name(directory.name + ".real"))
    os.symlink(target, directory)


@pytest.fixture
def swap_after_first_look(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, list[str]]]:
    """Swap ``root/d`` for a link to the outside ``etc`` right after the loader first looks.

    "Looks": resolves the source's path, or opens ``d`` on the way down, whichever the loader
    does; from then on ``root/d/passwd`` names the outside ``etc/passwd``.
    """
    directory = tree / "root" / "d"
    directory.mkdir()
    (directory / "passwd").write_text(CSV)
    swapped: list[str] = []

    def after(function: Callable[..., Any], concerns: Callable[[Any], bool]) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            if not swapped and concerns(args[0]):
                swapped.append(function.__name__)
                swap_to_link(directory, tree / "etc")
            return result

        return wrapped

    monkeypatch.setattr(
        os.path, "realpath", after(os.path.realpath, lambda p: str(p).endswith("/d/passwd"))
    )
    monkeypatch.setattr(os, "open", after(os.open, lambda p: p == "d"))
    yield tree / "root" / "d" / "passwd", swapped


def test_a_directory_swapped_for_a_link_after_the_check_never_leaks(
    swap_after_first_look: tuple[Path, list[str]], tree: Path
) -> None:
    path, swapped = swap_after_first_look
    text = source(path, tree / "root")
    assert swapped, "the swap happened during the load"
    assert text == CSV, "the file of the directory that was looked at, not the outside one"
    # And once swapped, the same path is refused, as it leads outside.
    assert refusal(path, tree / "root").status == 403


def test_racing_renames_never_leak_and_never_raise_anything_but_a_4xx(tree: Path) -> None:
    directory = tree / "root" / "d"
    directory.mkdir()
    (directory / "passwd").write_text(CSV)
    links = [tree / "etc", Path("/etc")] if os.path.isfile("/etc/passwd") else [tree / "etc"]
    stop = threading.Event()

    def swapper() -> None:
        aside = directory.with_name("d.real")
        turn = 0
        while not stop.is_set():
            os.rename(directory, aside)
            os.symlink(links[turn % len(links)], directory)
            os.unlink(directory)
            os.rename(aside, directory)
            turn += 1
            stop.wait(0.001)  # a while as a real directory, so that some loads succeed

    thread = threading.Thread(target=swapper, daemon=True)
    thread.start()
    seen: dict[object, int] = {}
    try:
        for attempt in range(10_000):
            if attempt >= 2000 and seen.get("ok") and len(seen) > 1:
                break
            try:
                text = source(directory / "passwd", tree / "root")
            except DataError as error:
                assert 400 <= error.status < 500, error.message
                seen[error.status] = seen.get(error.status, 0) + 1
            else:
                assert text == CSV, "an outside file was read"
                seen["ok"] = seen.get("ok", 0) + 1
    finally:
        stop.set()
        thread.join(30)
    assert seen.get("ok") and len(seen) > 1, f"both outcomes were seen: {seen}"
