"""Uploads a page remembers are kept on disk, not in session state: a bounded spool, private files, and a clear
message when a file had to make room for newer ones."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from lychee.ui.uploads import forget_upload, keep_upload, upload_bytes


def test_an_upload_is_kept_on_disk_and_session_state_holds_only_its_name(tmp_path):
    kept = keep_upload("set.zip", b"x" * 1000, folder=tmp_path)
    assert set(kept) == {"name", "path", "size"} and kept["size"] == 1000
    assert not any(isinstance(v, bytes) for v in kept.values())  # what session state keeps: no upload bytes
    assert upload_bytes(kept) == b"x" * 1000
    assert stat.S_IMODE(Path(kept["path"]).stat().st_mode) == 0o600
    forget_upload(kept)
    assert not Path(kept["path"]).exists()


def test_the_spool_is_bounded_oldest_first(tmp_path, monkeypatch):
    monkeypatch.setenv("LYCHEE_UPLOADS_MAX_MB", "0.0025")  # 2500 bytes
    first = keep_upload("a.csv", b"a" * 1000, folder=tmp_path)
    keep_upload("b.csv", b"b" * 1000, folder=tmp_path)
    keep_upload("c.csv", b"c" * 1000, folder=tmp_path)  # a makes room
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) <= 2500
    with pytest.raises(ValueError, match=re.escape("The upload 'a.csv' is no longer kept on the server")):
        upload_bytes(first)
    with pytest.raises(ValueError, match=re.escape("'big.zip' is 0.003 MB; this server keeps uploads of at most 0.0025 MB")):
        keep_upload("big.zip", b"z" * 3000, folder=tmp_path)


class _Widget:
    """What an uploader widget holds: a name and the bytes."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


def test_an_uploader_change_replaces_the_kept_file_and_removing_it_forgets_it(monkeypatch):
    from lychee.ui.uploads import keep_widget_upload

    state = {"uploader": _Widget("a.csv", b"a" * 10)}
    keep_widget_upload(state, "uploader", "kept", "error")
    first = state["kept"]
    assert upload_bytes(first) == b"a" * 10 and "uploader" in state
    state["uploader"] = _Widget("b.csv", b"b" * 20)
    keep_widget_upload(state, "uploader", "kept", "error")
    assert upload_bytes(state["kept"]) == b"b" * 20
    assert not Path(first["path"]).exists()  # the replaced file is gone from the spool
    second = state["kept"]
    state["uploader"] = None
    keep_widget_upload(state, "uploader", "kept", "error")
    assert "kept" not in state and not Path(second["path"]).exists()
    monkeypatch.setenv("LYCHEE_UPLOADS_MAX_MB", "0.00001")  # 10 bytes
    state["uploader"] = _Widget("big.csv", b"c" * 100)
    keep_widget_upload(state, "uploader", "kept", "error")
    assert "kept" not in state
    assert state["error"].startswith("'big.csv' is ")
