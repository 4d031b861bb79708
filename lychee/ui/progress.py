"""``st.progress`` wrapped as a ``progress(done, total)`` callback for the library's ``progress=`` arguments."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


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
