"""The server: the dashboard (``streamlit_app.py``) and the rerank HTTP API on one port, in one process.

``./start.sh`` runs ``streamlit run server.py``; Streamlit finds the ``st.App`` below and serves it with uvicorn. The
API's routes sit beside the dashboard's, its guard middleware (key, queue bound, body cap) in front of the API paths
only, and its lifespan starts loading the server's model (``LYCHEE_MODEL``) in the background as the server starts,
into the loader the pages use, so pages and API share one model. See ``lychee/api`` and the README's API section.
"""

from __future__ import annotations

import streamlit as st

from lychee.api import build_api

api = build_api()
app = st.App("streamlit_app.py", routes=api.routes, middleware=api.middleware, lifespan=api.lifespan)
