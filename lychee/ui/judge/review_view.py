"""The Judge page's review of a set: the raters' agreement (set and per query), the disagreement queue with
adjudication, and the set's guidelines and aggregation rule. Adjudicating and editing the settings are editor actions:
each asks :func:`lychee.ui.judge.access.can_edit` first.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from eval.history.judging import MAX_GUIDELINES_CHARS, adjudicate, set_aggregate, set_guidelines
from eval.history.labelling import GRADES
from eval.judgments.ratings import disagreements, query_agreements, set_agreement
from eval.sets.grades import AGGREGATES
from eval.sets.labelled import LabelledSet
from lychee.roles import PermissionDeniedError
from lychee.ui.i18n import _, ngettext
from lychee.ui.judge.access import can_edit
from lychee.ui.judge.logic import (
    agreement_rows,
    disagreement_table,
    grade_label,
    query_agreement_table,
    rule_name,
    widget_suffix,
)
from lychee.ui.shell.identity import current_actor

MESSAGE_KEY = "judge_review_message"  # ("success" | "error", text) of the last editor action


def _message() -> None:
    kind, text = st.session_state.pop(MESSAGE_KEY, (None, None))
    if kind is not None:
        (st.success if kind == "success" else st.error)(text)


def agreement(labelled: LabelledSet) -> None:
    """Krippendorff's α, Fleiss' κ, quadratic Cohen's κ per pair and exact agreement, for the set and per query."""
    result = set_agreement(labelled)
    if len(result.raters) < 2:
        st.info(_("Agreement needs at least two raters' grades; this set has one so far."))
    st.dataframe(agreement_rows(result), hide_index=True, width="stretch")
    st.caption(
        _(
            "α uses every title graded at least twice (missing grades allowed), Fleiss' κ only titles every "
            "rater graded, Cohen's κ the titles both raters of a pair graded (quadratic weights on the 0-3 "
            "scale). Same numbers as `python -m eval.judgments agreement --data <set> --json`."
        )
    )
    with st.expander(_("Per query")):
        st.dataframe(
            query_agreement_table(query_agreements(labelled)),
            hide_index=True,
            width="stretch",
            column_config={
                "alpha": st.column_config.NumberColumn(_("α (ordinal)"), format="%.3f"),
                "exact": st.column_config.NumberColumn(_("Exact agreement"), format="percent"),
            },
        )


def disagreement_queue(path: Path, labelled: LabelledSet, rater: str | None) -> None:
    """Titles whose grades span 2 or more, widest first; an editor sets the final grade (recorded as such)."""
    _message()
    found = disagreements(labelled)
    if not found:
        st.success(_("No disagreement: no title's grades span 2 or more."))
        return
    st.caption(
        ngettext(
            "{n} title whose grades span 2 or more (highest minus lowest).",
            "{n} titles whose grades span 2 or more (highest minus lowest), widest first.",
            len(found),
        ).format(n=len(found))
    )
    st.dataframe(disagreement_table(found), hide_index=True, width="stretch")
    if not can_edit(current_actor()):
        st.caption(_("Only editors set final grades."))
        return
    if rater is None:
        st.caption(_("Give your name as a rater above to adjudicate."))
        return
    labels = {i: f"{d.qid} · {d.text or d.docid}" for i, d in enumerate(found)}
    c1, c2 = st.columns([3, 1])
    index = c1.selectbox(_("Title to adjudicate"), list(labels), format_func=labels.__getitem__, key="judge_adj_item")
    grade = c2.selectbox(_("Final grade"), list(GRADES), format_func=grade_label, key="judge_adj_grade")
    chosen = found[index]
    b1, b2, _rest = st.columns([1, 1, 3])
    if b1.button(_("Set final grade"), key="judge_adj_set", type="primary"):
        _adjudicate(path, chosen.qid, chosen.docid, grade, rater)
    if chosen.adjudicated is not None and b2.button(_("Withdraw final grade"), key="judge_adj_withdraw"):
        _adjudicate(path, chosen.qid, chosen.docid, None, rater)


def _adjudicate(path: Path, qid: str, docid: str, grade: int | None, editor: str) -> None:
    try:
        adjudicate(path, qid=qid, docid=docid, grade=grade, editor=editor, actor=current_actor())
    except (ValueError, OSError, PermissionDeniedError) as exc:
        st.session_state[MESSAGE_KEY] = ("error", _("Nothing was changed: {exc}").format(exc=exc))
    else:
        what = _("withdrawn") if grade is None else _("set to {grade}").format(grade=grade)
        st.session_state[MESSAGE_KEY] = (
            "success",
            _("Final grade of {docid} in query {qid} {what} by {editor}.").format(
                docid=docid, qid=qid, what=what, editor=editor
            ),
        )
    st.rerun()


def settings(path: Path, labelled: LabelledSet, rater: str | None) -> None:
    """The set's guidelines (markdown) and its aggregation rule; editors change them."""
    _message()
    editable = can_edit(current_actor())
    st.markdown(
        _("**Aggregation rule**: {rule} — how several raters' grades become a label.").format(
            rule=rule_name(labelled.aggregate)
        )
    )
    if not editable:
        st.caption(_("Only editors change the guidelines and the rule."))
        return
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    rule = c1.selectbox(
        _("Rule"),
        list(AGGREGATES),
        index=AGGREGATES.index(labelled.aggregate),
        format_func=rule_name,
        key=f"judge_rule_{widget_suffix(path)}",
    )
    if c2.button(_("Use this rule"), key="judge_rule_save", disabled=rule == labelled.aggregate):
        try:
            changed = set_aggregate(path, rule, actor=current_actor())
        except (ValueError, OSError, PermissionDeniedError) as exc:
            st.session_state[MESSAGE_KEY] = ("error", _("Nothing was changed: {exc}").format(exc=exc))
        else:
            st.session_state[MESSAGE_KEY] = (
                "success",
                ngettext(
                    "The set now uses {rule}; {n} label changed.",
                    "The set now uses {rule}; {n} labels changed.",
                    changed,
                ).format(rule=rule_name(rule), n=changed),
            )
        st.rerun()
    text = st.text_area(
        _("Guidelines (markdown)"),
        value=labelled.guidelines or "",
        height=220,
        max_chars=MAX_GUIDELINES_CHARS,
        key=f"judge_guidelines_{widget_suffix(path)}",
        help=_(
            "Shown beside the titles to every rater of this set (Judge page, and Batch rerank's Judge mode "
            "when saving into this set). Markdown; HTML is not rendered."
        ),
    )
    if st.button(_("Save guidelines"), key="judge_guidelines_save"):
        try:
            set_guidelines(path, text, actor=current_actor())
        except (ValueError, OSError, PermissionDeniedError) as exc:
            st.session_state[MESSAGE_KEY] = ("error", _("Nothing was changed: {exc}").format(exc=exc))
        else:
            st.session_state[MESSAGE_KEY] = ("success", _("Guidelines saved with the set."))
        st.rerun()


__all__ = ["agreement", "disagreement_queue", "settings"]
