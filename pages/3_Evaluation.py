"""Evaluation: score a labelled query set, with baselines, intervals, an optional instruction A/B and calibration.

Thin: widgets here; reading, scoring, the result in session state and the report come from
:mod:`lychee.ui.evaluation.view` (every number from ``eval``, the same code as ``python -m eval``).
"""

from __future__ import annotations

import streamlit as st

from lychee import ui
from lychee.ui.evaluation import view
from lychee.ui.i18n import _

settings = ui.sidebar()

st.title(":material/analytics: " + _("Evaluation"))
st.caption(
    _(
        "Score a labelled query set with the sidebar's model, next to two baselines (the candidates' "
        "input order and BM25). Metrics follow trec_eval's conventions; the numbers equal those of "
        "`python -m eval` on the same set."
    )
)

choice = view.set_picker()

c1, c2 = st.columns([1, 3])
k = c1.number_input(
    _("k (cutoff of ndcg@k and recall@k)"), min_value=1, max_value=1000, step=1, **ui.bind("eval_k", 10)
)
compare = c2.toggle(
    _("Compare two instructions (A/B)"),
    help=_("A uses the sidebar's instruction; B uses the one below. Significance: paired randomization test."),
    **ui.bind("eval_compare", False),
)
instruction_b = None
if compare:
    instruction_b = st.text_area(
        _("Instruction B"),
        height=80,
        help=_("Compared against the sidebar's instruction (A) on the same model."),
        **ui.bind("eval_instruction_b", "Given a product search query, retrieve products that match it."),
    )

clicked = st.button(_("Run evaluation"), type="primary", icon=":material/play_arrow:", key="eval_run")
if clicked:
    view.run_evaluation(settings, choice, k=int(k), compare=compare, instruction_b=instruction_b)

view.show_stored(
    view.current_inputs(settings, choice, k=int(k), compare=compare, instruction_b=instruction_b),
    settings,
    clicked=clicked,
)
