"""The server: the dashboard (``streamlit_app.py``) and the rerank HTTP API on one port, in one process.

``./start.sh`` runs ``streamlit run lychee/ui/server.py``; Streamlit finds the ``st.App`` below and serves it with
uvicorn. The API's routes sit beside the dashboard's, its guard middleware (key, queue bound, body cap) in front of
the API paths only, and its lifespan starts loading the server's model (``LYCHEE_MODEL``) in the background as the
server starts, into the loader the pages use, so pages and API share one model. See ``lychee/api`` and the README's
API section.
"""

from __future__ import annotations

import os
from pathlib import Path

# Before anything loads torch: its OpenMP threads wait for work by sleeping, not by spinning. In a server, the event
# loop, the HTTP connections and the dashboard's sessions need the same cores between two model calls; spinning
# threads took their time slices (profiled with py-spy and the server's CPU time: see the README, "Performance").
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402 - after the OpenMP setting

from lychee.api import build_api  # noqa: E402

# The dashboard's entry script at the repository root (pages/ beside it); an absolute path, so the server does not
# depend on the directory it is started from.
ENTRY_SCRIPT = Path(__file__).resolve().parents[2] / "streamlit_app.py"

api = build_api()
app = st.App(str(ENTRY_SCRIPT), routes=api.routes, middleware=api.middleware, lifespan=api.lifespan)

__all__ = ["ENTRY_SCRIPT", "api", "app"]
