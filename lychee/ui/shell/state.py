"""Session-state helpers that keep widget values across reruns *and* page switches.

Streamlit deletes a widget's state at the end of any run in which that widget was not drawn, and (since 1.36) a widget
on another page has another id even with the same ``key``. So every value the user should find again lives in a plain
(non-widget) session key, and the widget gets a private copy under ``_w_<key>``: :func:`bind` loads the copy before
the widget is drawn and stores it back from ``on_change``. This is the pattern of the Streamlit docs ("Widget
behavior: save your widget values in a dummy key").
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

import streamlit as st

WIDGET_PREFIX = "_w_"


def widget_key(key: str) -> str:
    """The private widget key that mirrors the persistent session key ``key``."""
    return WIDGET_PREFIX + key


def store(key: str) -> None:
    """Copy the widget value of ``key`` into the persistent key (an ``on_change`` callback)."""
    wkey = widget_key(key)
    if wkey in st.session_state:
        st.session_state[key] = st.session_state[wkey]


def store_many(keys: Iterable[str]) -> None:
    """:func:`store` for several keys: the ``on_click`` of a form's submit button (form widgets take no callbacks)."""
    for key in keys:
        store(key)


def bind(
    key: str,
    default: Any,
    *,
    on_change: Callable[[], None] | None = None,
    in_form: bool = False,
    options: Collection[Any] | None = None,
) -> dict[str, Any]:
    """Widget kwargs that persist the widget's value in ``st.session_state[key]``.

    Args:
        key: the persistent session key (page-local keys carry the page prefix, e.g. ``"single_query_text"``).
        default: the value on first use.
        on_change: an extra callback run after the value is stored.
        in_form: the widget sits in an ``st.form``; Streamlit forbids callbacks there, so the caller stores the value
            with ``store_many`` in the submit button's ``on_click``.
        options: the choices of a selectbox / radio: a stored value no longer among them (a deleted set, a model
            that offers other methods) starts over at ``default``.

    Returns:
        ``{"key": ..., "on_change": ...}`` to splat into the widget call. Do not also pass ``value=``/``index=``: the
        value comes from session state.

    Example:
        >>> st.text_area("Query", **bind("single_query_text", "red running shoes"))
    """
    if options is not None and st.session_state.get(key) not in options:
        st.session_state[key] = default
    else:
        st.session_state.setdefault(key, default)
    wkey = widget_key(key)
    # Load before the widget is drawn; a callback has already stored any new value the user made in this rerun.
    st.session_state[wkey] = st.session_state[key]
    if in_form:
        return {"key": wkey}

    def _changed() -> None:
        store(key)
        if on_change is not None:
            on_change()

    return {"key": wkey, "on_change": _changed}


__all__ = ["WIDGET_PREFIX", "bind", "store", "store_many", "widget_key"]
