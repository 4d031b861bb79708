from __future__ import annotations

import importlib
from pathlib import Path

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


@pytest.fixture
def via_home(monkeypatch: pytest.MonkeyPatch):
    """Open a page the way a user does, from the entry script, so that ``at.switch_page`` really switches pages.

    Returns ``open_page(script, **state) -> AppTest``. Two things stand in the way otherwise (measured on Streamlit
    1.67): an AppTest started on a page file cannot switch (without ``st.navigation`` the run goes back to that page),
    and AppTest resets ``PagesManager.uses_pages_directory`` before every run, so the sidebar's one-time hand-over
    from the old pages-directory mode (``_leave_pages_directory_mode``, a real-browser deep-link fix) reruns every
    switched-to page once, and a button click is lost in the first pass. That fix is switched off here.
    """
    from apphelpers import HOME, make_app

    monkeypatch.setattr(importlib.import_module("lychee.ui.shell.sidebar"), "_leave_pages_directory_mode", lambda: None)

    def open_page(script: Path, **state):
        at = make_app(HOME, **state)
        at.run()
        at.switch_page(str(script)).run()
        return at

    return open_page
