"""The dashboard's Streamlit layer: the only library package that imports streamlit.

Every page starts with::

    from lychee import ui
    settings = ui.sidebar()          # sidebar + session state; returns ui.Settings
    scorer = ui.get_scorer(settings) # shared scorer (lychee.serving.LOADER), or None after st.error(...)
    callback, finish = ui.progress_bar("Scoring")

Layout: ``shell/`` is what every page shares (sidebar, settings, session state, model loading, progress); each page
has a package (``single/``, ``batch/``, ``evaluation/``, ``runs/``, ``judge/``) whose pure modules (no streamlit) sit beside
its views (``view.py``, ``*_view.py``); ``inputs`` turns uploads into items, ``previews`` shows uploads,
``render`` draws HTML and images, ``server`` is the process ``./start.sh`` serves.

Session keys: shared ``model``, ``instruction``, ``band_strong``, ``band_medium`` (plus ``device``, ``dtype``);
page-local keys are prefixed ``single_*``, ``batch_*``, ``eval_*``, ``runs_*``, ``judge_*`` (``judge_rater``, the
rater's name, is asked once and kept for every page).
"""

from __future__ import annotations

from lychee.ui.shell.identity import current_actor
from lychee.ui.shell.models import (
    LoadedModel,
    free_memory,
    get_scorer,
    load_model,
    load_status,
    loaded_model,
    model_status,
)
from lychee.ui.shell.notices import library_error
from lychee.ui.shell.progress import progress_bar
from lychee.ui.shell.settings import IMAGE_TYPES, PRESETS, VIDEO_TYPES, Settings
from lychee.ui.shell.sidebar import sidebar
from lychee.ui.shell.state import bind, store, store_many

__all__ = [
    "IMAGE_TYPES",
    "PRESETS",
    "LoadedModel",
    "Settings",
    "VIDEO_TYPES",
    "bind",
    "current_actor",
    "free_memory",
    "get_scorer",
    "library_error",
    "load_model",
    "load_status",
    "loaded_model",
    "model_status",
    "progress_bar",
    "sidebar",
    "store",
    "store_many",
]
