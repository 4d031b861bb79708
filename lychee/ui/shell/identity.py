"""Who is using this dashboard session: sign-in with ``st.login`` (OIDC), the session's actor and role, the account
line in the sidebar.

The server's access rule is :mod:`lychee.access.settings` (installed by ``lychee/ui/server.py``). In OIDC mode the
script itself is the gate: :func:`require_sign_in` — called by the entry script before its navigation and by
``sidebar()`` on every page — shows only a sign-in button and stops the run until ``st.user.is_logged_in``, so no
page content, model name or run list is drawn first. In token mode the guard middleware already refused anyone
without the cookie; in open mode everyone is the local user.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from lychee.access import AccessConfig, current_access
from lychee.access.signin import SIGN_OUT_PATH
from lychee.formatting import escape_markdown
from lychee.roles import Actor
from lychee.ui.i18n import _

logger = logging.getLogger(__name__)

#: The provider sections of ``[auth]`` name these keys (Streamlit's own test for a provider section).
_PROVIDER_KEYS = ("client_id", "server_metadata_url")


def _auth_section() -> Any:
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        return st.secrets.get("auth")
    except Exception:  # a secrets file Streamlit cannot read: no OIDC (Streamlit itself reports the file)
        logger.exception("reading .streamlit/secrets.toml failed")
        return None


def oidc_configured() -> bool:
    """Whether ``[auth]`` is configured in Streamlit's secrets (``.streamlit/secrets.toml``), so sign-in is OIDC."""
    return bool(_auth_section())


def providers() -> list[str | None]:
    """The OIDC providers to offer: ``[None]`` for ``[auth]``'s own ``client_id``, else the names of its
    ``[auth.<name>]`` sections."""
    section = _auth_section() or {}
    if all(key in section for key in _PROVIDER_KEYS):
        return [None]
    named = [name for name, value in section.items() if hasattr(value, "get") and value.get("client_id")]
    return named or [None]


def _email() -> str | None:
    user = st.user
    if not user.get("is_logged_in", False):
        return None
    email = user.get("email") or user.get("preferred_username") or user.get("sub")
    return str(email) if email else None


def current_actor(access: AccessConfig | None = None) -> Actor | None:
    """The actor of this session (``None``: OIDC and nobody signed in yet)."""
    access = current_access() if access is None else access
    return access.actor(_email() if access.dashboard == "oidc" else None)


def _sign_in() -> None:
    """The only thing a visitor sees before signing in: a title and the provider buttons."""
    st.title(_("Lychee rerank — analyst dashboard"))
    st.info(_("Sign in to use this dashboard."), icon=":material/lock:")
    for provider in providers():
        label = _("Sign in") if provider is None else _("Sign in with {provider}").format(provider=provider)
        st.button(label, key=f"sign_in_{provider or 'default'}", type="primary", on_click=st.login, args=(provider,))


def require_sign_in(*, entry: bool = False) -> Actor:
    """Return this session's actor; in OIDC mode without a signed-in user, draw the sign-in and stop the run.

    Args:
        entry: called by the entry script before its navigation: the sign-in then becomes the app's only (hidden)
            page, so not even the page names are listed; a page (``sidebar()``) draws it in place.
    """
    actor = current_actor()
    if actor is not None:
        return actor
    if entry:
        st.navigation([st.Page(_sign_in, title=_("Sign in"), default=True)], position="hidden").run()
    else:
        _sign_in()
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the run")  # pragma: no cover


def account_line(actor: Actor) -> None:
    """The sidebar's account line: who, their role, and how to sign out (OIDC and token modes)."""
    access = current_access()
    if access.dashboard == "open" and not access.read_only:
        return
    role = _("editor") if actor.is_editor else _("viewer (scores, explains, evaluates and reads runs)")
    st.caption(
        ":material/person: " + _("Signed in as **{name}** · {role}").format(name=escape_markdown(actor.name), role=role)
    )
    if access.dashboard == "oidc":
        st.button(_("Sign out"), key="sidebar_sign_out", on_click=st.logout, icon=":material/logout:")
    elif access.dashboard == "token":
        st.link_button(_("Sign out"), SIGN_OUT_PATH, icon=":material/logout:")


__all__ = ["account_line", "current_actor", "oidc_configured", "providers", "require_sign_in"]
