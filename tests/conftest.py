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
