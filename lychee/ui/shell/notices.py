"""How a page shows a message of the library (its input checks, a model load, a file it cannot read): the message
stays English, as the library, the CLI and the HTTP API word it, under a heading in the session's language that says
what to do about it."""

from __future__ import annotations

import streamlit as st

from lychee.formatting import escape_markdown
from lychee.ui.i18n import _


def library_error(message: str, heading: str | None = None, *, escape: bool = True) -> None:
    """``st.error`` with ``heading`` (translated by the caller; a generic "fix and retry" line when ``None``) in bold
    above the library's ``message`` (escaped for Markdown unless ``escape=False``: it quotes the user's input)."""
    heading = heading or _("This could not be done. Correct what the message below names, then try again.")
    body = escape_markdown(message) if escape else message
    st.error(f"**{heading}**\n\n{body}")


__all__ = ["library_error"]
