"""Runs: every recorded evaluation (filter by set), and two runs of one set compared query by query."""

from __future__ import annotations

import streamlit as st

from eval.history.store import RunStore
from lychee import ui
from lychee.ui import runs_view

ui.sidebar()

st.title(":material/history: Runs")
store = RunStore()
st.caption(
    f"Every evaluation, from the Evaluation page and from `python -m eval`, is recorded in `{store.path}` "
    "(`LYCHEE_RUNS_DB`). Pick two runs of one set to see, query by query, whether B is better than A."
)

runs_view.show_deleted_notice()
runs = runs_view.load_runs(store)
if runs is None:
    st.stop()
if not runs:
    st.info(
        "No evaluation recorded yet. Run one on the **Evaluation** page (or `python -m eval --data ... --out ...`); "
        "it appears here."
    )
    st.stop()

chosen_set = runs_view.pick_set(runs)
shown = runs if chosen_set == runs_view.ALL_SETS else [r for r in runs if r.set == chosen_set]
st.dataframe(runs_view.runs_table(shown), hide_index=True, width="stretch")
st.divider()
runs_view.render_compare(store, runs, chosen_set)
st.divider()
runs_view.render_delete(store, shown)
