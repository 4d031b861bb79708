"""Judge: grade a saved set's queries blind (several raters), see their agreement, settle disagreements."""

from __future__ import annotations

import streamlit as st

from lychee import ui
from lychee.ui.i18n import _
from lychee.ui.judge import grader_view, review_view, view

settings = ui.sidebar()

st.title(":material/gavel: " + _("Judge"))
st.caption(
    _(
        "Grade the titles of a saved set 0-3 in a random order, without the model's scores, with the "
        "set's guidelines beside them. Several raters can grade the same set; their agreement and "
        "disagreements show here."
    )
)

chosen = view.pick_set()
if chosen is None:
    st.stop()
path, labelled = chosen
rater = grader_view.ask_rater("judge")
grade_tab, agreement_tab, disagreement_tab, settings_tab = st.tabs(
    [_("Grade"), _("Agreement"), _("Disagreements"), _("Guidelines and rule")]
)
with grade_tab:
    if rater is not None:
        query = view.pick_query(labelled, rater)
        view.grade_query(path, labelled, query, rater, settings)
with agreement_tab:
    review_view.agreement(labelled)
with disagreement_tab:
    review_view.disagreement_queue(path, labelled, rater)
with settings_tab:
    review_view.settings(path, labelled, rater)
