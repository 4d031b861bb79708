"""Judge mode on Batch rerank: grade the titles blind, in a seeded random order, before seeing the model's ranking.

While Judge mode is on, the page draws only this section under **Rerank**: the titles in the rater's shuffled order,
one grade select each, the target set's guidelines beside them, and **Save to set** (partial saves allowed; the
ungraded titles stay unjudged). The model's scores, bands, ranks, the chart and the A/B are not drawn — not even hidden
— until the rater has saved a grade for every title or switches on **Show the model's scores**; that switch is
recorded with the grades (``scores_shown``), as is the seed of the order.

State: ``st.session_state["batch_judge_state"]`` = ``{"result", "seed", "grades": {docid: grade}, "shown"}``, tied to
the result it grades (a new **Rerank** starts a new order and fresh grades).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from eval.history.labelling import set_path
from eval.sets.loader import load_labelled_set
from lychee.bands import band
from lychee.ui.batch import label_view
from lychee.ui.batch.table import BatchResult
from lychee.ui.i18n import _
from lychee.ui.judge import grader_view
from lychee.ui.judge.logic import new_seed, revealed_table, shuffled, titles_of_list
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind

MODE_KEY = "batch_judge"
STATE_KEY = "batch_judge_state"
SHOW_KEY = "batch_judge_show"


def toggle() -> bool:
    """The Judge mode switch (drawn above the form, so it is set before any result is drawn)."""
    return st.toggle(
        _("Judge mode: grade blind"),
        help=_(
            "Grade the titles in a random order before the model's scores, bands and ranks are shown (they "
            "stay off the page until you have graded every title or ask to see them). Your grades are saved "
            "with your name."
        ),
        **bind(MODE_KEY, False),
    )


def _state(result: BatchResult) -> dict[str, Any]:
    """This result's judging state; a new result gets a new seed, no grades and hidden scores."""
    state = st.session_state.get(STATE_KEY)
    if not isinstance(state, dict) or state.get("result") is not result:
        state = {"result": result, "seed": new_seed(), "grades": {}, "shown": False}
        st.session_state[STATE_KEY] = state
        st.session_state[SHOW_KEY] = False
        label_view.grades_for(result)  # resets the query id and the save messages for this result
    return state


def _on_show() -> None:
    state = st.session_state.get(STATE_KEY)
    if isinstance(state, dict) and st.session_state.get(SHOW_KEY):
        state["shown"] = True


def _target_guidelines() -> str | None:
    """The guidelines of the existing set chosen as the target, if any (read quietly: a broken set is reported when
    saving)."""
    if st.session_state.get("batch_label_target") != label_view.EXISTING_SET:
        return None
    name = st.session_state.get("batch_label_set")
    if not name:
        return None
    try:
        return load_labelled_set(set_path(name)).guidelines
    except ValueError:
        return None


def render(result: BatchResult, settings: Settings) -> bool:
    """The blind grading section; returns whether the model's results may now be drawn (every title saved with a
    grade, or the rater asked to see them)."""
    state = _state(result)
    titles = titles_of_list(result.titles)
    order = shuffled(len(titles), state["seed"])
    st.subheader(_("Judge these titles (blind)"))
    st.caption(
        _(
            "{n_titles} titles in a random order (seed {seed}, saved with your grades). Tab to the next "
            "title, type 0-3 and Enter. Ungraded titles are saved as unjudged."
        ).format(n_titles=len(titles), seed=state["seed"])
    )
    rater = grader_view.ask_rater("batch_judge")
    left, right = st.columns([3, 2])
    with right:
        grader_view.guidelines(_target_guidelines())
    with left:
        grader_view.grade_rows(titles, order, state["grades"], key=f"batch_judge_{state['seed']}")
    grades = [state["grades"].get(t.docid) for t in titles]
    n_graded = sum(g is not None for g in grades)
    st.caption(_("{n_graded} of {n_titles} titles graded.").format(n_graded=n_graded, n_titles=len(titles)))
    saved = label_view.save_controls(result, grades, rater=rater, scores_shown=state["shown"], seed=state["seed"])
    finished = saved is not None and saved["complete"]
    st.toggle(
        _("Show the model's scores"),
        key=SHOW_KEY,
        on_change=_on_show,
        help=_(
            "Shows the model's ranking, scores and bands. Switched on before you finish, it is recorded with "
            "the grades you save from then on (scores_shown)."
        ),
    )
    if not (finished or st.session_state.get(SHOW_KEY)):
        st.info(_("The model's scores, bands and ranks appear once you have saved a grade for every title."))
        return False
    _revealed(result, settings, titles, order, grades)
    return True


def _revealed(result: BatchResult, settings: Settings, titles: Any, order: list[int], grades: list[int | None]) -> None:
    """Your grades beside the model's rank, score and band, in the order you graded."""
    bands = [band(s, strong=settings.strong, medium=settings.medium) for s in result.scores]
    st.markdown(_("**Your grades beside the model** (in the order you graded)"))
    st.dataframe(
        revealed_table(titles, order, grades, result.scores, bands),
        hide_index=True,
        width="stretch",
        column_config={
            "title": st.column_config.TextColumn(_("Title")),
            "your_grade": st.column_config.NumberColumn(_("Your grade"), format="%d", width="small"),
            "model_rank": st.column_config.NumberColumn(_("Model rank"), format="%d", width="small"),
            "score": st.column_config.ProgressColumn(_("P(yes)"), min_value=0.0, max_value=1.0, format="%.3f"),
            "band": st.column_config.TextColumn(_("Band"), width="small"),
        },
    )


__all__ = ["MODE_KEY", "SHOW_KEY", "STATE_KEY", "render", "toggle"]
