"""Where the dashboard keeps what analysts make: labelled sets and the run store (a leaf module).

* ``LYCHEE_SETS_DIR`` — the folder of labelled sets saved from the Batch rerank page; default ``data/sets`` in the
  repository (git-ignored).
* ``LYCHEE_SETS_MAX_MB`` — the disk quota of that folder (sets and their images together), default 500 MB: a save
  that would go over it is refused, so a shared server's disk cannot be filled from the pages.
* ``LYCHEE_RUNS_DB`` — the SQLite run store of every evaluation; default ``data/runs.sqlite`` in the repository.

Relative values of the variables are read from the current directory, as any path on a command line is.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETS_DIR_ENV = "LYCHEE_SETS_DIR"
RUNS_DB_ENV = "LYCHEE_RUNS_DB"
SETS_MAX_MB_ENV = "LYCHEE_SETS_MAX_MB"
DEFAULT_SETS_MAX_MB = 500
DEFAULT_SETS_DIR = ROOT / "data" / "sets"
DEFAULT_RUNS_DB = ROOT / "data" / "runs.sqlite"


def sets_dir() -> Path:
    """The labelled-sets folder: ``$LYCHEE_SETS_DIR``, else ``<repo>/data/sets`` (it may not exist yet)."""
    value = os.environ.get(SETS_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_SETS_DIR


def sets_max_bytes() -> int:
    """The sets folder's disk quota in bytes: ``$LYCHEE_SETS_MAX_MB`` megabytes, else 500 MB.

    Raises:
        ValueError: the variable is not a positive number; the message names it.
    """
    raw = os.environ.get(SETS_MAX_MB_ENV, "").strip()
    if not raw:
        return DEFAULT_SETS_MAX_MB * 1_000_000
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ValueError(
            f"{SETS_MAX_MB_ENV}={raw!r}: expected a positive number of megabytes (default {DEFAULT_SETS_MAX_MB}). "
            f"Fix or unset {SETS_MAX_MB_ENV}."
        )
    return int(value * 1_000_000)


def folder_bytes(folder: Path) -> int:
    """The bytes of every file under ``folder`` (0 when it does not exist)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:  # removed while walking
                continue
    return total


def runs_db_path() -> Path:
    """The run store's file: ``$LYCHEE_RUNS_DB``, else ``<repo>/data/runs.sqlite`` (it may not exist yet)."""
    value = os.environ.get(RUNS_DB_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_RUNS_DB


__all__ = [
    "DEFAULT_RUNS_DB",
    "DEFAULT_SETS_DIR",
    "DEFAULT_SETS_MAX_MB",
    "RUNS_DB_ENV",
    "SETS_DIR_ENV",
    "SETS_MAX_MB_ENV",
    "folder_bytes",
    "runs_db_path",
    "sets_dir",
    "sets_max_bytes",
]
