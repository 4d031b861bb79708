from __future__ import annotations

import os

import pytest

# Never touch a model hub from tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


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
