"""The server: the dashboard (``streamlit_app.py``) and the rerank HTTP API on one port, in one process.

``./start.sh`` runs ``streamlit run lychee/ui/server.py --server.address $LYCHEE_HOST``; Streamlit finds the
``st.App`` below and serves it with uvicorn. At start it decides who may reach it (:mod:`lychee.access.settings`):
bound to 127.0.0.1 (the default) it is open as before; exposed, the dashboard needs a sign-in (OIDC, or a token, made
and printed here when none is set) and the API a Bearer key (the same token, or ``LYCHEE_API_KEY``). In front of the
dashboard's paths and Streamlit's websocket sits the token guard (:mod:`lychee.access.guard`), in front of the API's
paths the API's guard (key, queue bound, body cap); the API's lifespan starts loading the server's model
(``LYCHEE_MODEL``) in the background, into the loader the pages use, so pages and API share one model. See
``lychee/api`` and the README's sections "HTTP API" and "Running it for a team".
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

# Before anything loads torch: its OpenMP threads wait for work by sleeping, not by spinning. In a server, the event
# loop, the HTTP connections and the dashboard's sessions need the same cores between two model calls; spinning
# threads took their time slices (profiled with py-spy and the server's CPU time: see the README, "Performance").
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402 - after the OpenMP setting
from starlette.middleware import Middleware  # noqa: E402
from streamlit import config as streamlit_config  # noqa: E402

from lychee.access import catalog_from_env, install, resolve_access  # noqa: E402
from lychee.access.guard import DashboardGuard  # noqa: E402
from lychee.access.settings import startup_lines  # noqa: E402
from lychee.api import ApiConfig, build_api  # noqa: E402
from lychee.scorers.remote.keys import ALLOW_ENV, parse_allow  # noqa: E402
from lychee.ui.shell.identity import oidc_configured  # noqa: E402

logger = logging.getLogger("lychee.server")

# The dashboard's entry script at the repository root (pages/ beside it); an absolute path, so the server does not
# depend on the directory it is started from.
ENTRY_SCRIPT = Path(__file__).resolve().parents[2] / "streamlit_app.py"

# The address and port Streamlit listens on (what --server.address / --server.port set): the truth about exposure.
access = resolve_access(
    os.environ,
    address=streamlit_config.get_option("server.address"),
    port=streamlit_config.get_option("server.port"),
    oidc=oidc_configured(),
)
install(access)
# Malformed allowlists stop the server here, with a message naming the variable, rather than on a page later.
catalog_from_env()
parse_allow(os.environ.get(ALLOW_ENV, ""))
if not logger.handlers:  # Streamlit configures only its own loggers; these lines must reach the log
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s lychee: %(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
for _level, _line in startup_lines(access):
    getattr(logger, _level)(_line)

api = build_api(config=dataclasses.replace(ApiConfig.from_env(), extra_keys=tuple(k for k in [access.token] if k)))
app = st.App(
    str(ENTRY_SCRIPT),
    routes=api.routes,
    middleware=[*api.middleware, Middleware(DashboardGuard, access=access)],
    lifespan=api.lifespan,
)

__all__ = ["ENTRY_SCRIPT", "access", "api", "app"]
