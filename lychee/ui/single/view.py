"""Single-pair analysis on the page: the salience-method picker, scoring with a progress bar, and the result (score
header, then one function per tab: text highlights, image heatmaps, clip frames, weights table and downloads).

The data, tables and downloads are :mod:`lychee.ui.single.logic`. The result is kept in
``st.session_state["single_result"]`` (a non-widget key) so it survives reruns and page switches.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from lychee.explanation import Explanation
from lychee.formatting import markdown_code
from lychee.ui import render
from lychee.ui.caveats import band_caveat, language_note
from lychee.ui.i18n import _
from lychee.ui.inputs import make_item, modality_refusal, read_upload
from lychee.ui.shell import notices
from lychee.ui.shell.models import capabilities, get_scorer, rerun_if_sidebar_stale
from lychee.ui.shell.progress import run_with_progress
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind
from lychee.ui.single.evidence_view import faithfulness_section, shares_section
from lychee.ui.single.logic import (
    RESULT_KEY,
    PairInputs,
    SingleResult,
    biggest_effects_line,
    explanation_csv,
    explanation_json,
    frame_table,
    frame_weights_csv,
    legend_label,
    method_label,
    progress_label,
    result_caption,
    salience_how,
    salience_name,
    stale_note,
    tab_names,
    token_table,
    upload_key,
)


def explain_methods(settings: Settings) -> tuple[str, ...]:
    """The salience methods the model of ``settings`` offers: occlusion and Shapley (any model) until a VLM that has
    more is loaded."""
    caps = capabilities(settings)
    return caps.explain_methods if caps is not None else ("occlusion", "shapley")


def method_picker(settings: Settings) -> str:
    """A radio for the salience method, persisted in ``single_method``; falls back to occlusion when unavailable."""
    methods = explain_methods(settings)
    return st.radio(
        _("Salience method"),
        methods,
        horizontal=True,
        format_func=method_label,
        help=_(
            "Occlusion removes each word / greys each image cell and re-scores (any model; 1 + units + cells "
            "passes). Shapley samples orders of the same units (any model; about samples × units passes). "
            "Gradient × input needs one forward and backward pass, integrated gradients one per step (VLM "
            "checkpoints, once loaded)."
        ),
        **bind("single_method", methods[0], options=methods),
    )


def method_options(method: str) -> dict[str, Any]:
    """The chosen method's own options as widgets (Shapley's permutations, integrated gradients' steps)."""
    if method == "shapley":
        n_samples = st.slider(
            _("Shapley permutations"),
            5,
            100,
            step=5,
            help=_(
                "Sampled orders of the units (Captum's n_samples, seeded); each costs about one scored variant "
                "per unit. More permutations, steadier values."
            ),
            **bind("single_n_samples", 25),
        )
        return {"n_samples": n_samples}
    if method == "ig":
        steps = st.slider(
            _("Integration steps"),
            8,
            128,
            step=8,
            help=_(
                "Points on the path from the padding baseline to the input (one forward and backward pass each). "
                "The convergence delta under the score says how far from exact the attributions are."
            ),
            **bind("single_ig_steps", 32),
        )
        return {"steps": steps}
    return {}


def score_and_explain(
    settings: Settings,
    *,
    query_text: str | None,
    query_file: Any = None,
    document_text: str | None,
    document_file: Any = None,
    max_units: int = 64,
    image_cells: int = 16,
    method: str = "occlusion",
    query_video_file: Any = None,
    document_video_file: Any = None,
    method_options: dict[str, Any] | None = None,
    shares: bool = True,
) -> SingleResult | None:
    """Validate inputs, load the scorer, explain the pair and store the result; errors are shown, never raised.

    Args:
        settings: from the sidebar.
        query_text, document_text: the texts (blank = none).
        query_file, document_file: Streamlit ``UploadedFile`` objects (or anything with ``getvalue()``/``name``).
        query_video_file, document_video_file: uploaded clips, likewise.
        max_units: the most word units per text for occlusion.
        image_cells: about how many grid cells per image (occlusion).
        method: ``"occlusion"``, ``"shapley"`` or, for scorers that list them in ``capabilities.explain_methods``,
            ``"gradient"`` / ``"ig"``.
        method_options: the method's own options (``n_samples`` for shapley, ``steps`` for ig).
        shares: also compute the modality shares (when the pair has more than one part).

    Returns:
        The stored :class:`SingleResult`, or ``None`` after ``st.error`` — and then the previous result is gone too:
        it belonged to other inputs, and must not sit under this error as if it were theirs.
    """
    st.session_state.pop(RESULT_KEY, None)
    q_bytes, q_name = read_upload(query_file)
    d_bytes, d_name = read_upload(document_file)
    qv_bytes, qv_name = read_upload(query_video_file)
    dv_bytes, dv_name = read_upload(document_video_file)
    scorer = get_scorer(settings)
    if scorer is None:
        return None
    # What the model cannot read is refused before anything is decoded.
    for side, image_name, video_name in (("query", q_name, qv_name), ("document", d_name, dv_name)):
        refusal = modality_refusal(
            scorer.capabilities, scorer.name, side=side, image_name=image_name, video_name=video_name
        )
        if refusal:
            st.error(refusal)
            return None
    bound = scorer.capabilities.max_image_pixels  # images are decoded reduced to what the model looks at
    try:
        query, document = (
            make_item(text, data, name=side, image_name=i_name, video_bytes=v_data, video_name=v_name, reduce_to=bound)
            for side, text, data, i_name, v_data, v_name in (
                ("query", query_text, q_bytes, q_name, qv_bytes, qv_name),
                ("document", document_text, d_bytes, d_name, dv_bytes, dv_name),
            )
        )
    except (ValueError, TypeError) as exc:
        notices.library_error(str(exc), _("An upload cannot be read. Remove it or upload another file."))
        return None
    start = time.perf_counter()
    ok, explained = run_with_progress(
        progress_label(method),
        lambda callback: _explain_and_share(
            scorer,
            query,
            document,
            settings,
            callback,
            method=method,
            shares=shares,
            max_units=max_units,
            image_cells=image_cells,
            **(method_options or {}),
        ),
    )
    if not ok:
        return None
    explanation, pair_shares = explained
    result = SingleResult(
        explanation=explanation,
        shares=pair_shares,
        model=settings.model,
        instruction=settings.instruction,
        seconds=time.perf_counter() - start,
        query_image=query.image,
        document_image=document.image,
        query_image_name=q_name,
        document_image_name=d_name,
        query_video_name=qv_name,
        document_video_name=dv_name,
        language_note=language_note(
            scorer.capabilities.languages, scorer.name, [query.text, document.text], what=_("the query and document")
        ),
        band_caveat=band_caveat(scorer.capabilities, scorer.name, [query.text, document.text]),
        inputs=pair_inputs(
            query_text=query_text,
            document_text=document_text,
            query_file=query_file,
            document_file=document_file,
            query_video_file=query_video_file,
            document_video_file=document_video_file,
        ),
    )
    st.session_state[RESULT_KEY] = result
    rerun_if_sidebar_stale(settings)  # a VLM loaded just now: its instruction in the sidebar, gradient offered
    return result


def _explain_and_share(
    scorer: Any,
    query: Any,
    document: Any,
    settings: Settings,
    callback: Any,
    *,
    method: str,
    shares: bool,
    **options: Any,
) -> tuple[Any, Any]:
    """The explanation, and the pair's modality shares (one batched call, the pair's own score reused) when asked for
    and the pair holds more than one part in all."""
    explanation = scorer.explain(query, document, settings.instruction, method=method, progress=callback, **options)
    parts = sum(bool(x) for x in (query.has_text, query.has_image, query.has_video))
    parts += sum(bool(x) for x in (document.has_text, document.has_image, document.has_video))
    if not shares or parts < 2:
        return explanation, None
    found = scorer.modality_shares(
        query, document, settings.instruction, base_log_odds=explanation.log_odds, progress=callback
    )
    return explanation, found


def pair_inputs(
    *,
    query_text: str | None,
    document_text: str | None,
    query_file: Any = None,
    document_file: Any = None,
    query_video_file: Any = None,
    document_video_file: Any = None,
) -> PairInputs:
    """What the page's inputs say now (texts and uploads), to compare with a stored result's."""
    return PairInputs.of(
        query_text=query_text,
        document_text=document_text,
        query_image=upload_key(*read_upload(query_file)),
        document_image=upload_key(*read_upload(document_file)),
        query_video=upload_key(*read_upload(query_video_file)),
        document_video=upload_key(*read_upload(document_video_file)),
    )


def show_stored(settings: Settings, inputs: PairInputs, *, clicked: bool) -> None:
    """The stored result (marked as the last one when the inputs changed since), or, before the first score, how to
    get one (not after a click whose error is on the page)."""
    result = st.session_state.get(RESULT_KEY)
    if result is None:
        if not clicked:
            st.info(_("Edit the example or type your own, then click **Score and explain**."))
        return
    st.divider()
    note = stale_note(result, inputs)
    if note:
        st.warning(note, icon=":material/history:")
    render_result(result, settings)


def render_result(result: SingleResult, settings: Settings) -> None:
    """Draw the score header, then the tabs of ``result``: highlights, heatmaps, clip frames, weights and downloads."""
    _header(result, settings)
    shares_section(result.shares)
    e = result.explanation
    scale = e.max_abs_weight()
    names = tab_names(e)
    tabs = dict(zip(names, st.tabs([_(name) for name in names])))
    with tabs["Text highlights"]:
        _text_highlights(e, scale)
        faithfulness_section(e.faithfulness)
    if "Image heatmaps" in tabs:
        with tabs["Image heatmaps"]:
            _image_heatmaps(result, scale)
    if "Clip frames" in tabs:
        with tabs["Clip frames"]:
            _clip_frames(result, scale)
    with tabs["Weights table & download"]:
        _weights_and_downloads(result, has_clips="Clip frames" in tabs)


def _header(result: SingleResult, settings: Settings) -> None:
    """The stale-result note, the language warning, P(yes), the band, the log-odds, the method and the caption."""
    e = result.explanation
    if result.outdated(settings):
        st.info(
            _(
                "The model or instruction changed since this result was computed. Click **Score and explain** to "
                "update it."
            )
        )
    if result.language_note:
        st.warning(result.language_note, icon=":material/translate:")
    c1, c2, c3, c4 = st.columns([1.1, 1.1, 1, 1.4])
    c1.metric(_("P(yes)"), f"{e.score:.3f}", help=_("Probability the model answers 'yes, relevant'."))
    with c2:
        band_word = _("Band")
        st.markdown(f'<div style="font-size:0.875rem;margin-bottom:0.35rem">{band_word}</div>', unsafe_allow_html=True)
        st.markdown(
            render.band_badge_html(settings.band(e.score), size="1.2rem", caveat=result.band_caveat),
            unsafe_allow_html=True,
        )
    c3.metric(_("Log-odds"), f"{e.log_odds:+.2f}", help=_("log(P / (1 − P)); explanations are changes in this."))
    c4.metric(_("Salience"), salience_name(e), help=salience_how(e).capitalize() + ".")
    if result.band_caveat:
        st.caption(":material/info: " + _("The band is greyed: {band_caveat}.").format(band_caveat=result.band_caveat))
    st.caption(result_caption(result))


def _text_highlights(e: Explanation, scale: float) -> None:
    """Both texts with every word coloured by its weight, under the legend, and the biggest effects."""
    if scale > 0:
        st.markdown(render.legend_html(scale, what=legend_label(e)), unsafe_allow_html=True)
    else:
        st.caption(_("No word changed the score: every weight is 0 (e.g. the model ignores that text)."))
    for label, text, tokens in (
        (_("Query"), e.query_text, e.query_tokens),
        (_("Document"), e.document_text, e.document_tokens),
    ):
        st.markdown(f"**{label}**")
        if text and text.strip():
            st.markdown(render.highlight_html(text, tokens, scale=scale or None), unsafe_allow_html=True)
        else:
            st.caption(_("No text."))
    if e.grouped:
        st.caption(_("Long text: neighbouring words were grouped into spans so the explanation stays fast."))
    effects = biggest_effects_line(e)
    if effects:
        st.caption(effects)


def _image_heatmaps(result: SingleResult, scale: float) -> None:
    """The query's and the document's image with their cell weights laid over them, the originals in expanders."""
    e = result.explanation
    st.markdown(render.legend_html(scale, what=legend_label(e)), unsafe_allow_html=True)
    cols = st.columns(2)
    for col, label, image, grid in (
        (cols[0], _("Query image"), result.query_image, e.query_image),
        (cols[1], _("Document image"), result.document_image, e.document_image),
    ):
        with col:
            st.markdown(f"**{label}**")
            if image is None or grid is None:
                st.caption(_("No image."))
                continue
            overlay = render.heatmap_overlay(image, grid, scale=scale or None)
            cells = grid.rows * grid.cols
            if e.method in ("occlusion", "shapley"):
                caption = _("{rows} × {cols} = {cells} cells, greyed to weigh each").format(
                    rows=grid.rows, cols=grid.cols, cells=cells
                )
            else:
                caption = _("{rows} × {cols} = {cells} merged image patches (the model's own grid)").format(
                    rows=grid.rows, cols=grid.cols, cells=cells
                )
            st.image(overlay, caption=caption)
            with st.expander(_("Original")):
                st.image(image)


def _clip_frames(result: SingleResult, scale: float) -> None:
    """The query's and the document's frame strips under the shared legend, with their weights."""
    e = result.explanation
    names = {"query": result.query_video_name, "document": result.document_video_name}
    st.markdown(render.legend_html(scale, what=legend_label(e)), unsafe_allow_html=True)
    how = {
        "occlusion": _("each sampled frame greyed in turn"),
        "shapley": _("Shapley values over the frames, greyed in sampled orders"),
        "gradient": _(
            "gradient × input summed over each temporal patch (two frames the vision encoder reads together)"
        ),
        "ig": _("integrated gradients summed over each temporal patch (two frames the vision encoder reads together)"),
    }.get(e.method, "")
    for side, salience in (("query", e.query_video), ("document", e.document_video)):
        if salience is None:
            continue
        label = (_("**Query clip**") if side == "query" else _("**Document clip**")) + (
            f" {markdown_code(names[side])}" if names.get(side) else ""
        )
        st.markdown(label)
        times = ", ".join(f"{t:.1f} s" for t in salience.timestamps)
        st.image(
            render.frame_strip(salience, scale=scale or None),
            caption=_("{n_timestamps} sampled frames ({times}): {how}").format(
                n_timestamps=len(salience.timestamps), times=times, how=how
            ),
        )
        weights = ", ".join(f"{w:+.2f}" for w in salience.weights.tolist())
        st.caption(_("Weights (log-odds), left to right: {weights}").format(weights=weights))


def _weights_and_downloads(result: SingleResult, *, has_clips: bool) -> None:
    """The token weights (and frame weights) as tables, and the JSON / CSV downloads."""
    e = result.explanation
    st.dataframe(
        token_table(e),
        hide_index=True,
        width="stretch",
        column_config={
            "side": st.column_config.TextColumn(_("Side")),
            "position": st.column_config.NumberColumn("#", format="%d"),
            "token": st.column_config.TextColumn(_("Word / span")),
            "start": None,
            "end": None,
            "weight": st.column_config.NumberColumn(
                _("Weight (log-odds)"), format="%+.3f", help=_("Log-odds lost when this unit is removed.")
            ),
        },
    )
    if has_clips:
        st.dataframe(frame_table(e), hide_index=True, width="stretch")
    downloads = [
        (_("Download explanation (JSON)"), explanation_json(result), "explanation.json", "application/json", "json"),
        (_("Download token weights (CSV)"), explanation_csv(e), "token_weights.csv", "text/csv", "csv"),
    ]
    if has_clips:
        frames = (_("Download frame weights (CSV)"), frame_weights_csv(e), "frame_weights.csv", "text/csv", "frames")
        downloads.append(frames)
    for column, (label, data, file_name, mime, key) in zip(st.columns(3), downloads):
        column.download_button(
            label,
            data,
            file_name=file_name,
            mime=mime,
            key=f"single_download_{key}",
            icon=":material/download:",
            on_click="ignore",
        )


__all__ = [
    "explain_methods",
    "method_options",
    "method_picker",
    "pair_inputs",
    "render_result",
    "score_and_explain",
    "show_stored",
]
