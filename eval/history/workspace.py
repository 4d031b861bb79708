"""Where the dashboard keeps what analysts make: labelled sets and the run store (a leaf module).

* ``LYCHEE_SETS_DIR`` — the folder of labelled sets saved from the Batch rerank page; default ``data/sets`` in the
  repository (git-ignored).
* ``LYCHEE_RUNS_DB`` — the SQLite run store of every evaluation; default ``data/runs.sqlite`` in the repository.

Relative values of the variables are read from the current directory, as any path on a command line is.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETS_DIR_ENV = "LYCHEE_SETS_DIR"
RUNS_DB_ENV = "LYCHEE_RUNS_DB"
DEFAULT_SETS_DIR = ROOT / "data" / "sets"
DEFAULT_RUNS_DB = ROOT / "data" / "runs.sqlite"


def sets_dir() -> Path:
    """The labelled-sets folder: ``$LYCHEE_SETS_DIR``, else ``<repo>/data/sets`` (it may not exist yet)."""
    value = os.environ.get(SETS_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_SETS_DIR


def runs_db_path() -> Path:
    """The run store's file: ``$LYCHEE_RUNS_DB``, else ``<repo>/data/runs.sqlite`` (it may not exist yet)."""
    value = os.environ.get(RUNS_DB_ENV, "").strip()
    return Path(value).expanduser() if value else DEFAULT_RUNS_DB


__all__ = ["DEFAULT_RUNS_DB", "DEFAULT_SETS_DIR", "RUNS_DB_ENV", "SETS_DIR_ENV", "runs_db_path", "sets_dir"]
