"""Fixtures for the VLM scorer tests: tiny random Qwen2.5-VL / Qwen3-VL checkpoints, built locally once per session.

Nothing is downloaded: :func:`lychee.synthetic.build_synthetic_checkpoint` writes the weights, a small tokenizer, the
processors and the chat template. Tests that change a checkpoint get a cheap copy (``checkpoint_copy``); tests that
change a scorer load their own (loading a tiny checkpoint takes a fraction of a second).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FAMILIES = ("lychee", "qwen3-vl-reranker")


@pytest.fixture(scope="session")
def synthetic_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("synthetic")


@pytest.fixture(scope="session")
def lychee_checkpoint(tiny_vlm: str) -> Path:
    """The root conftest's tiny Lychee checkpoint, as a path."""
    return Path(tiny_vlm)


@pytest.fixture(scope="session")
def qwen3_checkpoint(synthetic_root: Path) -> Path:
    from lychee.synthetic import build_synthetic_checkpoint

    return build_synthetic_checkpoint(synthetic_root / "qwen3", family="qwen3-vl-reranker", size="tiny", seed=0)


@pytest.fixture(scope="session", params=FAMILIES)
def family(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def checkpoint(family: str, request: pytest.FixtureRequest) -> Path:
    """The tiny checkpoint of the parametrised ``family`` (read-only: use ``checkpoint_copy`` to modify)."""
    name = "lychee_checkpoint" if family == "lychee" else "qwen3_checkpoint"
    return request.getfixturevalue(name)


@pytest.fixture(scope="session")
def vlm_scorer(checkpoint: Path):
    """A shared scorer on the tiny checkpoint (float32, CPU). Tests must not mutate it."""
    import lychee

    return lychee.load_scorer(str(checkpoint), device="cpu")


@pytest.fixture
def checkpoint_copy(checkpoint: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny checkpoint (about 1 MB) that a test may edit."""
    return Path(shutil.copytree(checkpoint, tmp_path / "checkpoint"))
