"""Uploads a page remembers across page switches, kept on disk rather than in session state (pure: no streamlit).

A file a page must remember (an uploaded set, a BEIR archive, a run, a segments file, a CSV of titles) is written once
into a spool folder; the session keeps only ``{"name", "path", "size"}``, and the bytes are read back when the page
uses them — so a session holds no upload in memory between runs, however many sessions upload at once. The spool is
bounded: ``LYCHEE_UPLOADS_MAX_MB`` (default 2000) over all sessions, the oldest files removed first; a page whose
file was removed says so and asks for it again. Files are readable by the server's user only.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TypeAlias

#: What session state keeps of an upload: ``{"name": file name, "path": spool file, "size": bytes}``.
Upload: TypeAlias = dict[str, Any]
SPOOL_ENV = "LYCHEE_UPLOADS_MAX_MB"
DEFAULT_SPOOL_MB = 2000


def spool_folder() -> Path:
    """The spool folder (created, private to the server's user)."""
    folder = Path(tempfile.gettempdir()) / f"lychee-uploads-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def spool_max_bytes() -> int:
    """``LYCHEE_UPLOADS_MAX_MB`` in bytes (default 2000 MB).

    Raises:
        ValueError: the variable is not a positive number; the message names it.
    """
    raw = os.environ.get(SPOOL_ENV, "").strip()
    try:
        value = float(raw) if raw else float(DEFAULT_SPOOL_MB)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{SPOOL_ENV}={raw!r}: expected a positive number of megabytes. Fix or unset {SPOOL_ENV}.")
    return int(value * 1_000_000)


def _make_room(folder: Path, size: int, limit: int) -> None:
    """Remove the oldest spool files until ``size`` more bytes fit under ``limit``."""
    files = []
    for path in folder.iterdir():
        try:
            stat = path.stat()
        except OSError:
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, file_size, path in sorted(files):
        if total + size <= limit:
            return
        path.unlink(missing_ok=True)
        total -= file_size


def keep_upload(name: str, data: bytes, *, folder: Path | None = None) -> Upload:
    """Write ``data`` to the spool and return what session state keeps of it.

    Raises:
        ValueError: the file alone is larger than the whole spool.
    """
    folder = spool_folder() if folder is None else folder
    limit = spool_max_bytes()
    if len(data) > limit:
        raise ValueError(
            f"'{name}' is {len(data) / 1e6:.3g} MB; this server keeps uploads of at most {limit / 1e6:g} MB "
            f"({SPOOL_ENV}). Upload a smaller file, or run the CLI on it."
        )
    _make_room(folder, len(data), limit)
    path = folder / uuid.uuid4().hex
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return {"name": name, "path": str(path), "size": len(data)}


def upload_bytes(upload: Upload) -> bytes:
    """The bytes of a kept upload.

    Raises:
        ValueError: the file is no longer kept (the spool made room for newer uploads); the message asks for it again.
    """
    try:
        return Path(upload["path"]).read_bytes()
    except OSError:
        raise ValueError(
            f"The upload '{upload['name']}' is no longer kept on the server (it keeps {spool_max_bytes() / 1e6:g} MB "
            "of uploads, the oldest go first). Upload it again."
        ) from None


def forget_upload(upload: Upload | None) -> None:
    """Remove a kept upload's file (when the user replaces or removes it)."""
    if upload is not None and "path" in upload:
        Path(upload["path"]).unlink(missing_ok=True)


def keep_widget_upload(state: MutableMapping[str, Any], uploader_key: str, stored_key: str, error_key: str) -> None:
    """``on_change`` of an uploader, over the session's ``state``: keep the file the widget ``uploader_key`` holds in
    the spool under ``stored_key`` (a non-widget key, so it survives page switches and no upload stays in session
    state), forgetting the one it replaces; a spool problem is kept under ``error_key`` for the page to show."""
    file = state.get(uploader_key)
    forget_upload(state.pop(stored_key, None))  # replaced or removed: its file goes
    if file is not None:
        try:
            state[stored_key] = keep_upload(file.name, file.getvalue())
        except ValueError as exc:
            state[error_key] = str(exc)


__all__ = [
    "DEFAULT_SPOOL_MB",
    "SPOOL_ENV",
    "Upload",
    "forget_upload",
    "keep_upload",
    "keep_widget_upload",
    "spool_folder",
    "upload_bytes",
]
