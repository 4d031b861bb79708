"""``st.progress`` wrapped as a ``progress(done, total)`` callback for the library's ``progress=`` arguments."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from lychee.formatting import escape_markdown
from lychee.ui.i18n import _
from lychee.ui.shell import notices

logger = logging.getLogger(__name__)
T = TypeVar("T")


def progress_bar(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A progress bar and its callback.

    Args:
        label: what is being done, e.g. ``"Scoring 50 titles"``.

    Returns:
        ``(callback, finish)``: pass ``callback`` as ``progress=`` to ``scorer.predict``/``explain``; call ``finish()``
        afterwards to remove the bar.

    Example:
        >>> callback, finish = progress_bar("Scoring")
        >>> scores = scorer.score(query, documents, progress=callback)
        >>> finish()
    """
    bar = st.progress(0.0, text=label)

    def callback(done: int, total: int) -> None:
        fraction = 1.0 if total <= 0 else min(1.0, max(0.0, done / total))
        bar.progress(fraction, text=f"{label} — {done}/{total}")

    def finish() -> None:
        bar.empty()

    return callback, finish


def run_with_progress(label: str, call: Callable[[Callable[[int, int], None]], T]) -> tuple[bool, T | None]:
    """Run ``call(progress_callback)`` under a progress bar; show errors on the page instead of raising.

    The library's input errors (``ValueError``/``TypeError``) are shown as they are; anything else is logged with its
    traceback and shown as one line, so the page never shows a traceback.

    Returns:
        ``(True, result)`` on success, ``(False, None)`` after an error was shown.
    """
    callback, finish = progress_bar(label)
    try:
        return True, call(callback)
    except (ValueError, TypeError) as exc:  # the library's input messages (empty query, image on a text model...)
        notices.library_error(str(exc), _("Nothing was scored. Correct what the message names, then try again."))
    except Exception as exc:  # never a traceback on the page
        logger.exception("%s failed", label)
        st.error(
            escape_markdown(_("Scoring failed: {error_type}: {exc}").format(error_type=type(exc).__name__, exc=exc))
        )
    finally:
        finish()
    return False, None


__all__ = ["progress_bar", "run_with_progress"]
