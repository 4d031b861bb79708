"""The session's language (:mod:`lychee.ui.i18n` translates): the sidebar switch, else the browser's, else the
server's default.

Resolution, first that applies: the sidebar's switch (session key ``lang``, kept across pages like every other
sidebar choice, see :mod:`lychee.ui.shell.state`); the browser's locale (``st.context.locale``: ``zh-CN`` → Chinese,
``en-US`` → English); ``LYCHEE_LANG`` (``zh`` | ``en``, the server's default, for browsers in any other language);
English. :func:`bind` runs first in every script run (the entry script, the sign-in gate, the sidebar), so all text
of the run, the navigation's page titles included, is in one language.
"""

from __future__ import annotations

import streamlit as st

from lychee.ui import i18n
from lychee.ui.i18n import LANGUAGES, _
from lychee.ui.shell.state import bind as bind_widget

#: The session key of the sidebar switch's language (``"zh"`` / ``"en"``): set to the language shown when the sidebar
#: is first drawn, then to the user's choice.
LANG_KEY = "lang"


def _in_a_run() -> bool:
    """Whether a script run (a session) is current: outside one (a pure test) there is no session or browser."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return get_script_run_ctx(suppress_warning=True) is not None


def browser_language() -> str | None:
    """The dashboard language of the browser's locale (``st.context.locale``), or ``None`` (another language, or
    no browser: a test)."""
    if not _in_a_run():
        return None
    return i18n.normalize(st.context.locale)


def session_language() -> str:
    """The language this session shows: the switch's choice, else the browser's, else ``LYCHEE_LANG``, else English."""
    chosen = st.session_state.get(LANG_KEY) if _in_a_run() else None
    if chosen in LANGUAGES:
        return chosen
    return browser_language() or i18n.server_language()


def bind() -> str:
    """Make the session's language the language of this script run (call it before any text is drawn)."""
    lang = session_language()
    i18n.use_language(lang)
    return lang


def draw_switch() -> None:
    """The sidebar's language switch; the choice holds for this session, on every page, over the browser's locale."""
    st.segmented_control(
        _("Language"),
        list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        selection_mode="single",
        required=True,
        help=_(
            "The dashboard follows your browser's language; this choice overrides it for this session. "
            "The server's default for other browsers is LYCHEE_LANG."
        ),
        **bind_widget(LANG_KEY, session_language(), options=LANGUAGES),
    )


# Widget callbacks run before the script body calls bind(): they look the language up in the session.
i18n.set_fallback(session_language)

__all__ = ["LANG_KEY", "bind", "browser_language", "draw_switch", "session_language"]
