"""Fixtures for the API tests: the real server started with ``./start.sh`` on free ports, and what to compare with.

- ``server``: the embedded default model, no key, image URLs refused (the out-of-the-box ``./start.sh``).
- ``vlm_server``: a tiny synthetic Lychee (Qwen2.5-VL) checkpoint, ``LYCHEE_API_KEY`` set, image URLs allowed (and
  127.0.0.1 listed in ``LYCHEE_API_URL_NETWORKS`` for the tests' own image host).

Both are session-scoped and killed (whole process group) at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apihelpers import API_KEY, AUTH

from tests.servers import ROOT, serve


def _log(name: str) -> Path:
    folder = ROOT / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder / f"api_test_{name}_server.log"


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """Base URL of ``./start.sh`` on the embedded default model, once the model is loaded."""
    with serve(ready_path="/api/health", log_path=_log("default"), timeout=600) as url:
        yield url


@pytest.fixture(scope="session")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=120) as c:
        yield c


@pytest.fixture(scope="session")
def vlm_server(tiny_vlm: str) -> Iterator[str]:
    """``./start.sh`` on the tiny VLM with an API key and image URLs allowed."""
    env = {
        "LYCHEE_MODEL": tiny_vlm,
        "LYCHEE_DEVICE": "cpu",
        "LYCHEE_DTYPE": "float32",
        "LYCHEE_API_KEY": API_KEY,
        "LYCHEE_API_ALLOW_URLS": "1",
        "LYCHEE_API_URL_NETWORKS": "127.0.0.1/32",  # the tests' local image host; every other inner address refused
    }
    with serve(env=env, ready_path="/api/health", ready_headers=AUTH, log_path=_log("vlm"), timeout=600) as url:
        yield url


@pytest.fixture(scope="session")
def vlm_scorer(tiny_vlm: str):
    """The library's scorer on the same checkpoint, device and dtype as ``vlm_server``."""
    import lychee

    return lychee.load_scorer(tiny_vlm, device="cpu", dtype="float32")
