"""The Evaluation page's judging sections: the extra judgments and aggregation choice of the set picker, "Judge the
holes" (queue the unjudged documents of the systems' top k for the Judge page) and "Could this model pre-grade?".
Tables and numbers come from :mod:`lychee.ui.evaluation.judging`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from eval.engine.evaluate import EvalResult
from eval.history.labelling import list_sets
from eval.judgments.holes import holes_queue, write_queue
from eval.sets.grades import AGGREGATES
from lychee.ui.evaluation.charts import system_name
from lychee.ui.evaluation.judging import (
    confusion_frame,
    holes_frame,
    pregrade,
    queue_path,
    segment_frame,
    thresholds_caption,
    verdict,
)
from lychee.ui.evaluation.logic import saved_set_name
from lychee.ui.i18n import _, ngettext
from lychee.ui.judge.logic import rule_name
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind

EXTRA_KEY = "eval_extra"
AGGREGATE_KEY = "eval_aggregate"
HOLES_MESSAGE_KEY = "eval_holes_message"
JUDGE_SET_KEY = "judge_set"  # the Judge page's set choice: a queue written here opens there
NO_EXTRA = ""
SET_RULE = ""


def judgment_options() -> tuple[str | None, str | None]:
    """The set picker's extra judgments (a saved set whose grades are added) and aggregation override."""
    paths = [NO_EXTRA, *(str(p) for p in list_sets() if p.suffix.lower() == ".jsonl")]
    c1, c2 = st.columns(2)
    extra = c1.selectbox(
        _("Extra judgments, optional"),
        paths,
        format_func=lambda p: _("(none)") if p == NO_EXTRA else saved_set_name(Path(p)),
        help=_(
            "A saved set whose judgments are added to this set's, by query and document id: the graded queue "
            "of *Judge the holes*. Unjudged candidates it grades become judged, so judged@k rises."
        ),
        **bind(EXTRA_KEY, NO_EXTRA, options=paths),
    )
    rules = [SET_RULE, *AGGREGATES]
    rule = c2.selectbox(
        _("Several raters' grades become a label by"),
        rules,
        format_func=lambda r: _("the set's own rule") if r == SET_RULE else rule_name(r),
        help=_(
            "For sets whose titles several raters graded: mean (rounded half up), median, majority, max or "
            "min. Plain single-rater labels are unaffected."
        ),
        **bind(AGGREGATE_KEY, SET_RULE, options=rules),
    )
    return (extra or None), (rule or None)


def _queries(n: int) -> str:
    """``"3 queries"`` in the session's language."""
    return ngettext("{n} query", "{n} queries", n).format(n=n)


def holes_section(result: EvalResult) -> None:
    """The unjudged documents in the systems' top k per query, and **Judge the holes**: queue them for grading."""
    frame = holes_frame(result)
    if frame is None:
        return
    k = result.report.k
    st.markdown(_("**Judge the holes** — unjudged documents in any system's top {k}").format(k=k))
    n_unjudged = int(frame["unjudged"].sum())
    st.caption(
        ngettext(
            "{n} unjudged document over {queries} counts as not relevant in every metric. Grade it on the **Judge** "
            "page, then run the evaluation again with it as *Extra judgments*: judged@{k} rises and the metrics "
            "stop relying on the convention.",
            "{n} unjudged documents over {queries} count as not relevant in every metric. Grade them on the "
            "**Judge** page, then run the evaluation again with them as *Extra judgments*: judged@{k} rises and "
            "the metrics stop relying on the convention.",
            n_unjudged,
        ).format(n=n_unjudged, queries=_queries(len(frame)), k=k)
    )
    st.dataframe(frame, hide_index=True, width="stretch")
    path = queue_path(result.labelled.name)
    if st.button(_("Judge the holes"), key="eval_judge_holes", icon=":material/gavel:"):
        try:
            queued = write_queue(path, holes_queue(result.labelled, result.report.holes))
        except (ValueError, OSError) as exc:
            st.session_state[HOLES_MESSAGE_KEY] = ("error", _("Nothing was queued: {exc}").format(exc=exc))
        else:
            st.session_state[JUDGE_SET_KEY] = str(path)
            st.session_state[EXTRA_KEY] = str(path)
            st.session_state[HOLES_MESSAGE_KEY] = (
                "success",
                ngettext(
                    "Queued {n} document in `{path}` ({queries}). Open the **Judge** page to grade it (the queue is "
                    "selected there), then run the evaluation again: the queue is selected as *Extra judgments* above.",
                    "Queued {n} documents in `{path}` ({queries}). Open the **Judge** page to grade them (the queue "
                    "is selected there), then run the evaluation again: the queue is selected as *Extra judgments* "
                    "above.",
                    queued.added,
                ).format(n=queued.added, path=path, queries=_queries(queued.n_queries)),
            )
    kind, text = st.session_state.get(HOLES_MESSAGE_KEY, (None, None))
    if kind is not None:
        (st.success if kind == "success" else st.error)(text)


def pregrade_section(result: EvalResult, settings: Settings) -> None:
    """Could this model pre-grade? Its bands and fitted grades against the people's, κ, confusion, α, per segment."""
    if not any(c.judged for q in result.labelled.queries for c in q.candidates):
        return
    st.markdown(_("**Could this model pre-grade?** — the model as a judge, against the people's grades"))
    systems = [key for key in ("model", "model_b") if key in result.report.systems]
    system = systems[0]
    if len(systems) > 1:
        system = st.radio(_("Model"), systems, format_func=system_name, horizontal=True, key="eval_pregrade_system")
    try:
        overall, segments = pregrade(result, system, medium=settings.medium, strong=settings.strong)
    except ValueError as exc:
        st.warning(str(exc))
        return
    st.caption(verdict(overall))
    cols = st.columns(4)
    for col, (label, value, help_text) in zip(
        cols,
        [
            (_("κ bands"), overall.kappa_bands, _("Quadratic κ: weak/medium/strong against grades 0 / 1-2 / 3.")),
            (
                _("κ fitted"),
                overall.kappa_fitted,
                _("Quadratic κ: grades 0-3 from fitted cut points against the labels."),
            ),
            (_("α people"), overall.alpha_people, _("Krippendorff's α (ordinal) of the people's grades.")),
            (_("α + model"), overall.alpha_with_model, _("α with the model's fitted grade as one more rater.")),
        ],
    ):
        col.metric(label, "n/a" if value is None else f"{value:.3f}", help=help_text)
    left, right = st.columns(2)
    left.caption(
        _("Bands at the sidebar's thresholds ({medium:.2f} / {strong:.2f}) vs grades").format(
            medium=settings.medium, strong=settings.strong
        )
    )
    left.dataframe(confusion_frame(overall, fitted=False), width="stretch")
    right.caption(_("Fitted grades vs the people's labels"))
    right.dataframe(confusion_frame(overall, fitted=True), width="stretch")
    st.caption(thresholds_caption(overall))
    if segments:
        st.dataframe(segment_frame(overall, segments), hide_index=True, width="stretch")


__all__ = ["AGGREGATE_KEY", "EXTRA_KEY", "holes_section", "judgment_options", "pregrade_section"]
