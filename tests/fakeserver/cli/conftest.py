from __future__ import annotations

from pathlib import Path

import pytest

from .command import ENV


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command's temp files (CA, certificates) go under this test's own directory.

    Other tests watch the shared temp dir for leftovers; a served subprocess must not
    show up there while they look.
    """
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setitem(ENV, "TMPDIR", str(private))
