"""The sidebar's list of the models this server offers (``LYCHEE_MODELS``, the server's own model): a viewer's only
model picker, and an editor's first source when the list is set. The choice ends up, like every other source's, as
the model string in the shared ``model`` key; the offer itself is :class:`lychee.access.Catalog`.
"""

from __future__ import annotations

import streamlit as st

from lychee.access import Catalog
from lychee.ui.i18n import _
from lychee.ui.shell.state import widget_key

#: The picker's persistent session key: the offered name last chosen.
OFFERED_KEY = "model_offered"


def chosen_model(catalog: Catalog) -> str:
    """The model of the offered name in session state (the first offered model when none is chosen yet)."""
    offered = catalog.offered
    name = st.session_state.get(OFFERED_KEY)
    return offered[name] if name in offered else next(iter(offered.values()))


def _on_pick(offered: dict[str, str]) -> None:
    ss = st.session_state
    ss[OFFERED_KEY] = ss[widget_key(OFFERED_KEY)]
    ss["model"] = offered[ss[OFFERED_KEY]]


def draw(catalog: Catalog, *, viewer: bool) -> None:
    """The select box of offered models, showing the session's model when it is one of them."""
    ss = st.session_state
    offered = catalog.offered
    names = list(offered)
    ss[OFFERED_KEY] = catalog.name_of(ss["model"]) or ss.get(OFFERED_KEY) or names[0]
    if ss[OFFERED_KEY] not in offered:
        ss[OFFERED_KEY] = names[0]
    ss[widget_key(OFFERED_KEY)] = ss[OFFERED_KEY]
    st.selectbox(
        _("Model offered by this server"),
        names,
        key=widget_key(OFFERED_KEY),
        on_change=_on_pick,
        args=(offered,),
        help=_("The models this server's administrator listed (LYCHEE_MODELS) and the server's own model.")
        + (_(" Loading any other checkpoint or endpoint is for editors.") if viewer else ""),
    )


__all__ = ["OFFERED_KEY", "chosen_model", "draw"]
