"""The dashboard's shared Streamlit layer: the only library package that imports streamlit.

Every page starts with::

    from lychee import ui
    settings = ui.sidebar()          # sidebar + session state; returns ui.Settings
    scorer = ui.get_scorer(settings) # shared scorer (lychee.serving.LOADER), or None after st.error(...)
    callback, finish = ui.progress_bar("Scoring")

Session keys: shared ``model``, ``instruction``, ``band_strong``, ``band_medium`` (plus ``device``, ``dtype``);
page-local keys are prefixed ``single_*``, ``batch_*``, ``eval_*``.
"""

from __future__ import annotations

from lychee.ui.models import (
    LoadedModel,
    free_memory,
    get_scorer,
    load_model,
    load_status,
    loaded_model,
    model_status,
)
from lychee.ui.progress import progress_bar
from lychee.ui.settings import IMAGE_TYPES, VIDEO_TYPES, Settings
from lychee.ui.sidebar import PRESETS, sidebar
from lychee.ui.state import bind, store, store_many

__all__ = [
    "IMAGE_TYPES",
    "PRESETS",
    "LoadedModel",
    "Settings",
    "VIDEO_TYPES",
    "bind",
    "free_memory",
    "get_scorer",
    "load_model",
    "load_status",
    "loaded_model",
    "model_status",
    "progress_bar",
    "sidebar",
    "store",
    "store_many",
]
