from __future__ import annotations

import pytest
import streamlit as st

from lychee.serving import LOADER


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Loaded models and cached resources outlive AppTest instances; start every test without a loaded model."""
    LOADER.clear()
    st.cache_resource.clear()
    yield
    LOADER.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A randomly initialised tiny Lychee (Qwen2.5-VL) checkpoint folder: exercises the VLM paths of the pages."""
    from lychee.synthetic import build_synthetic_checkpoint

    return str(build_synthetic_checkpoint(tmp_path_factory.mktemp("tiny-lychee"), family="lychee", size="tiny"))
