"""Runs: every recorded evaluation (filter by set), a set's trend over its runs, and two runs of one set compared
query by query."""

from __future__ import annotations

import streamlit as st

from eval.history.store import RunStore
from lychee import ui
from lychee.ui.i18n import _
from lychee.ui.runs import logic, view

ui.sidebar()

st.title(":material/history: " + _("Runs"))
store = RunStore()
st.caption(
    _(
        "Every evaluation, from the Evaluation page and from `python -m eval`, is recorded in `{path}` "
        "(`LYCHEE_RUNS_DB`). See a set's metric over time, and pick two runs of one set to see, query by "
        "query, whether B is better than A."
    ).format(path=store.path)
)

view.show_deleted_notice()
runs = view.load_runs(store)
if runs is None:
    st.stop()
if not runs:
    st.info(
        _(
            "No evaluation recorded yet. Run one on the **Evaluation** page (or `python -m eval --data ... "
            "--out ...`); it appears here."
        )
    )
    st.stop()

chosen_set = view.pick_set(runs)
shown = logic.runs_of_set(runs, chosen_set)
view.render_table(shown)
st.divider()
view.render_trend(store, runs, chosen_set)
st.divider()
view.render_compare(store, runs, chosen_set)
st.divider()
view.render_delete(store, shown, ui.current_actor())
