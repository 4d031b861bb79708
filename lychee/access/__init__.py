"""Who may use a shared server, and what they may do there (no Streamlit).

- :mod:`~lychee.access.settings`: local or exposed, the dashboard's sign-in (open, token, OIDC), the API's keys,
  roles — resolved once at server start from the listening address and ``LYCHEE_*`` variables;
- :mod:`~lychee.access.cookies`, :mod:`~lychee.access.signin`, :mod:`~lychee.access.guard`: token mode's signed
  cookie, its sign-in page, and the ASGI middleware that refuses every dashboard path and the websocket without it;
- :mod:`~lychee.access.catalog`: the models a session may load (``LYCHEE_MODELS``; free choices are editors').

The roles themselves are the leaf :mod:`lychee.roles`; the dashboard's side (st.login, the actor of a session) is
``lychee.ui.shell.identity``; the server wires it in ``lychee/ui/server.py``.
"""

from __future__ import annotations

from lychee.access.catalog import Catalog, catalog_from_env, check_may_load
from lychee.access.settings import AccessConfig, current_access, install, is_local_address, resolve_access

__all__ = [
    "AccessConfig",
    "Catalog",
    "catalog_from_env",
    "check_may_load",
    "current_access",
    "install",
    "is_local_address",
    "resolve_access",
]
