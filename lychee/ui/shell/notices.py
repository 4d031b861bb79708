"""How a page shows a message of the library (its input checks, a model load, a file it cannot read): the message
stays English, as the library, the CLI and the HTTP API word it, under a heading in the session's language that says
what to do about it."""

from __future__ import annotations

import streamlit as st

from lychee.formatting import escape_markdown
from lychee.ui.i18n import N_, _

#: The heading of a warning a model declared at load time (a remote model's probe: it answers, but not like a reranker).
MODEL_WARNING_HEADING = N_("Check this model before trusting its scores; its load-time check says:")


def library_error(message: str, heading: str | None = None, *, escape: bool = True) -> None:
    """``st.error`` with ``heading`` (translated by the caller; a generic "fix and retry" line when ``None``) in bold
    above the library's ``message`` (escaped for Markdown unless ``escape=False``: it quotes the user's input)."""
    heading = heading or _("This could not be done. Correct what the message below names, then try again.")
    body = escape_markdown(message) if escape else message
    st.error(f"**{heading}**\n\n{body}")


def library_note(message: str, heading: str, *, warning: bool = False) -> None:
    """``st.info`` (``st.warning`` when ``warning``) with the translated ``heading`` in bold above a note the library
    declares about a model (``ScorerInfo.notes`` / ``warnings``), which stays English (escaped for Markdown)."""
    show = st.warning if warning else st.info
    show(f"**{heading}**\n\n{escape_markdown(message)}", icon=":material/warning:" if warning else ":material/info:")


__all__ = ["MODEL_WARNING_HEADING", "library_error", "library_note"]
