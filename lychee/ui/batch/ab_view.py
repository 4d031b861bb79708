"""Batch A/B on the Batch rerank page: the toggle and B's set-up, scoring B with a progress bar, and the comparison
(agreement, side-by-side table, downloads, slope chart).

What B is, its result and the chart are :mod:`lychee.ui.batch.ab`. The result lives in
``st.session_state["batch_ab_result"]`` (a non-widget key), tied to the A result it extends, so it survives page
switches and disappears when A is recomputed without the A/B.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from lychee.access import Catalog, catalog_from_env
from lychee.compare import OVERLAP_K
from lychee.formatting import escape_markdown, markdown_code
from lychee.scorers.lexical import BM25_MODEL
from lychee.scorers.remote import is_remote
from lychee.serving import ModelKey, model_locked
from lychee.ui.batch.ab import (
    AB_RESULT_KEY,
    DEFAULT_INSTRUCTION_B,
    LOCKED_MODEL_B,
    MODES,
    ABChoice,
    ABResult,
    caption,
    display_table,
    model_label,
    slope_chart,
)
from lychee.ui.batch.table import BatchResult
from lychee.ui.batch.view import BAND_WIDTH, NARROW_WIDTH, WRAPPED_ROW_HEIGHT, download_table
from lychee.ui.caveats import band_caveat
from lychee.ui.i18n import _, ngettext
from lychee.ui.shell import models
from lychee.ui.shell.identity import current_actor
from lychee.ui.shell.progress import run_with_progress
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind

#: Column widths (px) of the A/B table: ranks, shift, title, both scores and bands fit 1280 px (log-odds may scroll).
AB_NARROW_WIDTH, AB_TITLE_WIDTH, AB_SCORE_WIDTH = 62, 226, 80
#: The loader key of the lexical baseline, always on offer as model B.
BM25_KEY: ModelKey = (BM25_MODEL, None, None)


# --- controls -------------------------------------------------------------------------------------------------------
def controls(settings: Settings) -> ABChoice | None:
    """The A/B toggle and B's set-up (drawn above the batch form); ``None`` while the A/B is off."""
    on = st.toggle(
        _("A/B: score the same titles a second way (B) and compare"),
        help=_(
            "A is the sidebar's model and instruction. B changes one of them; both rankings are shown side by side."
        ),
        **bind("batch_ab", False),
    )
    if not on:
        return None
    with st.container(border=True):
        mode = st.radio(
            _("B uses"),
            list(MODES),
            format_func=lambda mode: _(MODES[mode]),
            horizontal=True,
            **bind("batch_ab_mode", "instruction"),
        )
        if mode == "instruction":
            text = st.text_area(
                _("Instruction B"),
                height=80,
                help=_("Compared against the sidebar's instruction (A), on the sidebar's model."),
                **bind("batch_ab_instruction_b", DEFAULT_INSTRUCTION_B),
            )
            if models.uses_instruction(settings) is False:
                st.warning(
                    _(
                        "The model {model} ignores the instruction, so A and B will rank identically. Load a Lychee / "
                        "Qwen3-VL reranker in the sidebar to compare instructions."
                    ).format(model=markdown_code(settings.model))
                )
            return ABChoice(mode="instruction", instruction_b=text)
        return ABChoice(mode="model", model_b=_model_b_picker(settings))


def _model_b_picker(settings: Settings) -> ModelKey | None:
    """The loaded models B can be, and a way to load another one; returns B's cache key, or ``None``.

    An editor types any model (a name the server offers, 'default', a folder, a hub id or a URL); a viewer picks one
    of the models the server offers (:mod:`lychee.access.catalog`) — loading refuses anything else for a viewer too.
    """
    if model_locked():
        st.info(_(LOCKED_MODEL_B))
        return None
    own = models.model_key(settings)
    actor = current_actor()
    editor = actor is not None and actor.is_editor
    catalog = catalog_from_env()
    others = [m.key for m in models.loaded_models() if m.key != own and (editor or catalog.allows(m.key[0]))]
    # BM25 loads nothing (no weights), so it is always on offer: the lexical ranking next to the reranker's.
    if own != BM25_KEY and BM25_KEY not in others:
        others.insert(0, BM25_KEY)
    st.session_state.setdefault("batch_ab_model_path", "")
    if others:
        stored = st.session_state.get("batch_ab_model_b")
        if stored is None or tuple(stored) not in others:
            st.session_state["batch_ab_model_b"] = others[-1]
        choice = st.selectbox(
            _("Model B"),
            others,
            format_func=model_label,
            help=_(
                "Models loaded right now, besides the sidebar's (A), and BM25 (the lexical baseline). B uses the "
                "sidebar's instruction."
            ),
            **bind("batch_ab_model_b", others[-1]),
        )
    else:
        choice = None
        st.info(
            _(
                "Only the sidebar's model ({model}) is loaded. Load a second model as B below: it is kept next "
                "to A (the sidebar's model is not released)."
            ).format(model=markdown_code(settings.model))
        )
    path = _model_b_field(catalog, editor)
    if st.button(_("Load model B"), key="batch_ab_load", icon=":material/download:"):
        # a served model runs where its server put it: the sidebar's device / dtype are for local checkpoints
        key = (path, None, None) if is_remote(path) else (path, settings.device, settings.dtype)
        if not path:
            st.error(_("Model B: the box is empty. Type 'default', a checkpoint folder or a hub id, then click Load."))
        elif key == own:
            st.error(
                _("Model B: {path} is the sidebar's model (A). Type another model to compare against.").format(
                    path=markdown_code(path)
                )
            )
        elif models.load_second(key) is not None:
            st.session_state["batch_ab_model_b"] = key
            st.rerun()
    return None if choice is None else tuple(choice)


def _model_b_field(catalog: Catalog, editor: bool) -> str:
    """What to load as B: an editor's free text (an offered name stands for its model), a viewer's pick of the offer."""
    offered = catalog.offered
    if not editor:
        names = list(offered)
        name = st.selectbox(
            _("Load another model as B"),
            names,
            help=_("The models this server offers (LYCHEE_MODELS). Loading other models is for editors."),
            **bind("batch_ab_offered_b", names[0], options=names),
        )
        return offered[name]
    st.text_input(
        _("Load another model as B"),
        placeholder=_("'default', /models/lychee-rerank-mm, a cached hub id, or http://host:port"),
        help=_(
            "A name this server offers, a checkpoint folder or hub id (downloads only with "
            "LYCHEE_ALLOW_DOWNLOAD=1), 'default', or the URL of a served model (see docs/deploy.md)."
        ),
        **bind("batch_ab_model_path", ""),
    )
    text = st.session_state["batch_ab_model_path"].strip()
    return offered.get(text, text)


# --- scoring --------------------------------------------------------------------------------------------------------
def after_rerank(a: BatchResult | None, choice: ABChoice | None, settings: Settings) -> ABResult | None:
    """After the page's rerank: score B when the A/B is on (and A succeeded), else forget any earlier A/B result.
    When both are stored and A's model loaded during this run, the page reruns so the sidebar shows that model's
    instruction."""
    if a is None:
        return None
    b = None
    if choice is None:
        st.session_state.pop(AB_RESULT_KEY, None)
    else:
        b = run_b(a, choice, settings)
        if b is None:
            return None  # B's error stays on the page
    models.rerun_if_sidebar_stale(settings)
    return b


def run_b(a: BatchResult, choice: ABChoice, settings: Settings) -> ABResult | None:
    """Score A's query and titles under B and store the result; errors are shown, not raised."""
    st.session_state.pop(AB_RESULT_KEY, None)
    if a.query is None:
        st.error(_("A/B: the A result holds no query to score again. Click **Rerank** once more."))
        return None
    if choice.mode == "instruction":
        instruction_b = (choice.instruction_b or "").strip()
        if not instruction_b:
            st.error(
                _(
                    "Instruction B is empty: type the instruction to compare against the sidebar's, or switch the "
                    "A/B off."
                )
            )
            return None
        scorer = models.get_scorer(settings)
        model_b, instruction = settings.model, choice.instruction_b
    else:
        if choice.model_b is None:
            st.error(
                _(LOCKED_MODEL_B)
                if model_locked()
                else _("Model B: no second model is loaded. Load one under **Load another model as B**, then rerank.")
            )
            return None
        loaded = models.load_second(choice.model_b)
        scorer = None if loaded is None else loaded.scorer
        model_b, instruction = choice.model_b[0], settings.instruction
    if scorer is None:
        return None
    start = time.perf_counter()
    ok, scored = run_with_progress(
        _("Scoring {n_titles} titles under B").format(n_titles=len(a.titles)),
        lambda callback: (
            scorer.predict(a.query, a.titles, instruction, progress=callback),
            scorer.resolve_instruction(instruction),
        ),
    )
    if not ok:
        return None
    preds, instruction_used = scored
    result = ABResult(
        a=a,
        mode=choice.mode,
        model_b=model_b,
        instruction_b=instruction,
        instruction_used_b=instruction_used,
        scores=[p.score for p in preds],
        log_odds=[p.log_odds for p in preds],
        truncated=[p.truncated for p in preds],
        seconds=time.perf_counter() - start,
        band_caveat_b=band_caveat(scorer.capabilities, scorer.name, [a.query.text, *a.titles]),
    )
    st.session_state[AB_RESULT_KEY] = result
    return result


def current(a: BatchResult) -> ABResult | None:
    """The stored A/B result if it extends ``a`` (the page's current result), else ``None``."""
    result = st.session_state.get(AB_RESULT_KEY)
    return result if isinstance(result, ABResult) and result.a is a else None


def render(a: BatchResult, settings: Settings) -> None:
    """Draw the A/B section for ``a`` when an A/B result extends it: agreement, side-by-side table, chart, downloads."""
    result = current(a)
    if result is None:
        return
    df = result.table(settings)
    tau, overlap = result.agreement(df)
    name_a, name_b = result.names
    st.divider()
    st.subheader(_("A/B: {name_a} vs {name_b}").format(name_a=escape_markdown(name_a), name_b=escape_markdown(name_b)))
    st.caption(caption(result))
    moved = int((df["shift"] != 0).sum())
    biggest = int(df["shift"].abs().max()) if len(df) else 0
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        _("Kendall's tau"),
        "—" if tau is None else f"{tau:+.3f}",
        help=_("Agreement of the two rankings over every pair of titles: +1 same order, 0 unrelated, -1 reversed."),
    )
    m2.metric(
        _("Top-{OVERLAP_K} overlap").format(OVERLAP_K=OVERLAP_K),
        f"{overlap.shared}/{overlap.depth}",
        help=_("How many of A's top {depth} titles are also in B's top {depth}.").format(depth=overlap.depth),
    )
    m3.metric(_("Titles that moved"), f"{moved}/{len(df)}")
    m4.metric(_("Largest move"), ngettext("{n} place", "{n} places", biggest).format(n=biggest))
    if result.mode == "instruction" and result.instruction_used_b == a.instruction_used:
        st.info(_("Both sides used the same instruction (as the model read it), so the rankings are identical."))
    if any(result.truncated):
        st.warning(
            ngettext(
                "{n} title was truncated to fit model B's maximum input.",
                "{n} titles were truncated to fit model B's maximum input.",
                sum(result.truncated),
            ).format(n=sum(result.truncated))
        )
    _band_caveats(result)
    columns = _columns(name_a, name_b)
    st.dataframe(
        display_table(df, greyed_a=a.band_caveat is not None, greyed_b=result.band_caveat_b is not None),
        hide_index=True,
        width="stretch",
        height=min(38 + WRAPPED_ROW_HEIGHT * len(df), 600),
        row_height=WRAPPED_ROW_HEIGHT,
        column_order=list(columns),
        column_config=columns,
    )
    download_table(df, result.meta(settings, df), label="A/B ", file_stem="rerank_ab", key="batch_ab_download")
    st.markdown(_("**Rank moves from A to B**"))
    st.altair_chart(slope_chart(df, names=(name_a, name_b)), width="content")


def _band_caveats(result: ABResult) -> None:
    """Say which side's bands are greyed in the table, and why."""
    for side, caveat in (("A", result.a.band_caveat), ("B", result.band_caveat_b)):
        if caveat:
            st.caption(
                ":material/info: " + _("Bands of {side} are greyed (⚪): {caveat}.").format(side=side, caveat=caveat)
            )


def _columns(name_a: str, name_b: str) -> dict[str, Any]:
    """How the A/B table's columns are titled and drawn, in the order shown: ranks, shift, the title, then each
    side's score and band fit 1280 px; log-odds and the original position follow."""

    def score(label: str) -> Any:
        """A P(yes) column drawn as a bar."""
        return st.column_config.ProgressColumn(
            label, min_value=0.0, max_value=1.0, format="%.3f", width=AB_SCORE_WIDTH, color="blue"
        )

    return {
        "rank_a": st.column_config.NumberColumn(_("Rank A"), format="%d", width=AB_NARROW_WIDTH, help=name_a),
        "rank_b": st.column_config.NumberColumn(_("Rank B"), format="%d", width=AB_NARROW_WIDTH, help=name_b),
        "moved": st.column_config.TextColumn(
            _("Shift"), width=AB_NARROW_WIDTH, help=_("↑ B ranks it higher, ↓ lower, = same.")
        ),
        "title": st.column_config.TextColumn(_("Title"), width=AB_TITLE_WIDTH, help=_("The title as given.")),
        "score_a": score(_("P(yes) A")),
        "band_a": st.column_config.TextColumn(_("Band A"), width=BAND_WIDTH),
        "score_b": score(_("P(yes) B")),
        "band_b": st.column_config.TextColumn(_("Band B"), width=BAND_WIDTH),
        "log_odds_a": st.column_config.NumberColumn(_("Log-odds A"), format="%+.2f", width=NARROW_WIDTH),
        "log_odds_b": st.column_config.NumberColumn(_("Log-odds B"), format="%+.2f", width=NARROW_WIDTH),
        "original_rank": st.column_config.NumberColumn(_("Original"), format="%d", width=NARROW_WIDTH),
    }


__all__ = ["after_rerank", "controls", "current", "render", "run_b"]
