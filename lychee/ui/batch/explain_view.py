"""Explaining a reranked batch on the page: "why A above B" (pick two rows, explain the gap, draw it side by side)
and the modality-shares column.

The data and words are :mod:`lychee.ui.batch.explain`. Results live in ``st.session_state`` under non-widget keys, tied
to the batch they explain, so they survive page switches and disappear when the batch is reranked.
"""

from __future__ import annotations

import time

import streamlit as st

from lychee.ui import render
from lychee.ui.batch.explain import (
    CONTRAST_KEY,
    SHARES_KEY,
    ContrastResult,
    SharesResult,
    batch_signature,
    contrast_table,
    gap_headline,
    row_label,
    rows_by_rank,
    shares_table,
)
from lychee.ui.batch.table import BatchResult
from lychee.ui.i18n import _
from lychee.ui.shell.models import capabilities, get_scorer
from lychee.ui.shell.progress import run_with_progress
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind
from lychee.ui.single.evidence_view import faithfulness_section
from lychee.ui.single.logic import method_label


def render_explain(result: BatchResult, settings: Settings) -> None:
    """Both sections under a reranked batch: "Why A above B" and "Where the scores come from"."""
    if result.query is None or len(result.titles) < 1:
        return
    st.divider()
    if len(result.titles) >= 2:
        _contrast_section(result, settings)
    _shares_section(result, settings)


def _contrast_section(result: BatchResult, settings: Settings) -> None:
    """Two row pickers, the method, the button, and the last contrast of this batch."""
    st.subheader(_("Why A above B"))
    table = result.table(settings)
    order = rows_by_rank(table)
    c1, c2, c3 = st.columns([2, 2, 1.2])
    a = c1.selectbox(
        _("Title A"),
        order,
        format_func=lambda i: row_label(table, i),
        **bind("batch_contrast_a", order[0], options=order),
    )
    b = c2.selectbox(
        _("Title B"),
        order,
        format_func=lambda i: row_label(table, i),
        **bind("batch_contrast_b", order[1], options=order),
    )
    caps = capabilities(settings)
    methods = list(caps.explain_methods) if caps is not None else ["occlusion", "shapley"]
    method = c3.selectbox(
        _("Method"),
        methods,
        format_func=method_label,
        help=_(
            "Occlusion removes each word in turn; Shapley samples orders of the words so the effects add up "
            "to the gap exactly; the gradient methods (VLMs) attribute each pair and take the difference."
        ),
        **bind("batch_contrast_method", methods[0], options=methods),
    )
    if st.button(_("Explain A vs B"), key="batch_contrast_go", icon=":material/compare:"):
        if a == b:
            st.error(_("Title A and title B are the same row: pick two different titles to compare."))
        else:
            _explain_pair(result, settings, a, b, method)
    contrast = st.session_state.get(CONTRAST_KEY)
    if isinstance(contrast, ContrastResult) and contrast.batch_id == batch_signature(result):
        _draw_contrast(contrast, result, settings)


def _explain_pair(result: BatchResult, settings: Settings, a: int, b: int, method: str) -> None:
    scorer = get_scorer(settings)
    if scorer is None:
        return
    start = time.perf_counter()
    ok, explanation = run_with_progress(
        _("Explaining the gap between A and B"),
        lambda callback: scorer.explain_pair(
            result.query, result.titles[a], result.titles[b], settings.instruction, method=method, progress=callback
        ),
    )
    if ok:
        st.session_state[CONTRAST_KEY] = ContrastResult(
            explanation=explanation,
            a_index=a,
            b_index=b,
            batch_id=batch_signature(result),
            model=settings.model,
            instruction=settings.instruction,
            seconds=time.perf_counter() - start,
        )


def _draw_contrast(contrast: ContrastResult, result: BatchResult, settings: Settings) -> None:
    """The gap and its sign, the query's words, A and B side by side, the deletion curve on the gap, the table."""
    e = contrast.explanation
    if contrast.model != settings.model or contrast.instruction != settings.instruction:
        st.info(_("The model or instruction changed since this comparison. Click **Explain A vs B** to update it."))
    st.metric(
        _("Gap lo(A) − lo(B)"),
        f"{e.gap:+.2f}",
        help=_("Log-odds of A minus log-odds of B: positive when A ranks above."),
    )
    st.caption(gap_headline(e))
    scale = e.max_abs_weight() or None
    st.markdown(_("**Query — each word's effect on the gap**"))
    if e.query_text and e.query_tokens:
        st.markdown(render.highlight_html(e.query_text, e.query_tokens, scale=scale), unsafe_allow_html=True)
    else:
        st.caption(_("The query has no words (an image or clip only)."))
    left, right = st.columns(2)
    for column, label, text, tokens in (
        (
            left,
            _("**A** · P(yes) {score_a:.3f} — each word's effect on A's score").format(score_a=e.score_a),
            e.a_text,
            e.a_tokens,
        ),
        (
            right,
            _("**B** · P(yes) {score_b:.3f} — each word's effect on B's score").format(score_b=e.score_b),
            e.b_text,
            e.b_tokens,
        ),
    ):
        with column:
            st.markdown(label)
            if text and tokens:
                st.markdown(render.highlight_html(text, tokens, scale=scale), unsafe_allow_html=True)
            else:
                st.caption(_("No text."))
    st.caption(
        _(
            "{method} · {n_evaluations} scored pairs · {seconds:.1f} s. A word of B that raises B's score "
            "narrows the gap by as much."
        ).format(method=method_label(e.method), n_evaluations=e.n_evaluations, seconds=contrast.seconds)
    )
    faithfulness_section(e.faithfulness, gap=True, key="batch_contrast")
    with st.expander(_("Every unit's effect on the gap")):
        st.dataframe(
            contrast_table(e),
            hide_index=True,
            width="stretch",
            column_config={
                "text": st.column_config.TextColumn(_("Text")),
                "word": st.column_config.TextColumn(_("Word / span")),
                "effect_on_gap": st.column_config.NumberColumn(_("Effect on the gap (log-odds)"), format="%+.3f"),
            },
        )


def _shares_section(result: BatchResult, settings: Settings) -> None:
    """The modality-shares toggle and, when on, the table of every title's shares."""
    st.subheader(_("Where the scores come from"))
    on = st.toggle(
        _("Modality shares column"),
        help=_(
            "For every title, the share of its log-odds each part carries (query text / image / clip, the "
            "title): exact Shapley values, every subset of every title scored in one batch."
        ),
        **bind("batch_shares", False),
    )
    if not on:
        return
    stored = st.session_state.get(SHARES_KEY)
    fresh = isinstance(stored, SharesResult) and stored.batch_id == batch_signature(result)
    if not fresh or stored.model != settings.model or stored.instruction != settings.instruction:
        stored = _compute_shares(result, settings)
    if stored is None:
        return
    shown = shares_table(result.table(settings), stored.shares)
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn(_("Rank"), format="%d", width="small"),
            "title": st.column_config.TextColumn(_("Title")),
            "score": st.column_config.NumberColumn(_("P(yes)"), format="%.3f", width="small"),
        }
        | {
            label: st.column_config.NumberColumn(_(label).capitalize(), format="percent", width="small")
            for label in shown.columns[3:]
        },
    )
    st.caption(
        _(
            "Each part's exact Shapley value over the sum of their sizes (signed). {n_shares} titles in "
            "{seconds:.1f} s."
        ).format(n_shares=len(stored.shares), seconds=stored.seconds)
    )


def _compute_shares(result: BatchResult, settings: Settings) -> SharesResult | None:
    scorer = get_scorer(settings)
    if scorer is None:
        return None
    from lychee.salience.shares import modality_shares_many

    start = time.perf_counter()
    ok, shares = run_with_progress(
        _("Scoring the parts of {n_titles} titles").format(n_titles=len(result.titles)),
        lambda callback: modality_shares_many(
            scorer,
            result.query,
            result.titles,
            settings.instruction,
            base_log_odds=result.log_odds if not result.outdated(settings) else None,
            progress=callback,
        ),
    )
    if not ok:
        return None
    stored = SharesResult(
        shares=shares,
        batch_id=batch_signature(result),
        model=settings.model,
        instruction=settings.instruction,
        seconds=time.perf_counter() - start,
    )
    st.session_state[SHARES_KEY] = stored
    return stored


__all__ = ["render_explain"]
