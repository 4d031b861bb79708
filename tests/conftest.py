from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Never touch a model hub from tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Never write labelled sets or runs into the repository's data/ (nor a developer's own store), not even from
# module- or session-scoped fixtures that run before the per-test `workspace` below.
_SESSION_WORKSPACE = Path(tempfile.mkdtemp(prefix="lychee-test-workspace-"))
atexit.register(shutil.rmtree, _SESSION_WORKSPACE, ignore_errors=True)
os.environ["LYCHEE_SETS_DIR"] = str(_SESSION_WORKSPACE / "sets")
os.environ["LYCHEE_RUNS_DB"] = str(_SESSION_WORKSPACE / "runs.sqlite")


@pytest.fixture(scope="session")
def default_scorer():
    """The embedded all-MiniLM-L6-v2 scorer, loaded once per session (about 5 s)."""
    from lychee import load_scorer

    return load_scorer("default", device="cpu")


@pytest.fixture(autouse=True)
def workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Labelled sets and the run store of every test live in a fresh temporary folder, never in the repo's data/."""
    base = tmp_path_factory.mktemp("workspace")
    monkeypatch.setenv("LYCHEE_SETS_DIR", str(base / "sets"))
    monkeypatch.setenv("LYCHEE_RUNS_DB", str(base / "runs.sqlite"))
    return base
