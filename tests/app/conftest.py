from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Cached resources outlive AppTest instances; start every test without a loaded model."""
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()
