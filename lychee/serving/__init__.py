"""Serving a model to several callers in one process: the shared loader and the server's environment switches.

Used by the dashboard (``lychee.ui``) and the HTTP API (``lychee.api``); imports neither Streamlit nor HTTP code.
"""

from __future__ import annotations

from lychee.serving.environment import DEVICES, DTYPES, model_locked, server_model, server_model_key
from lychee.serving.loader import LOADER, LoadedModel, LoadState, LoadStatus, ModelKey, ModelLoader

__all__ = [
    "DEVICES",
    "DTYPES",
    "LOADER",
    "LoadState",
    "LoadStatus",
    "LoadedModel",
    "ModelKey",
    "ModelLoader",
    "model_locked",
    "server_model",
    "server_model_key",
]
