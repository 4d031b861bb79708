"""Single-pair analysis: score one (query, document) pair, explain it, render and export the explanation.

The page ``pages/1_Single_pair.py`` draws the inputs; this module does the work and the rendering, and keeps the
result in ``st.session_state["single_result"]`` (a non-widget key) so it survives reruns and page switches.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from PIL import Image

from lychee.explanation import Explanation, ImageSalience
from lychee.items import Item, load_image
from lychee.language import language_warning
from lychee.ui import render, video
from lychee.ui.models import capabilities, get_scorer
from lychee.ui.progress import run_with_progress
from lychee.ui.settings import Settings
from lychee.ui.state import bind

RESULT_KEY = "single_result"

EXAMPLE_QUERY = "red running shoes for women"
EXAMPLE_DOCUMENT = "Nike Women's Air Zoom Pegasus 40 road running shoes in crimson red, breathable mesh upper"


@dataclass
class SingleResult:
    """One scored and explained pair, as kept in session state."""

    explanation: Explanation
    model: str
    instruction: str | None  # as chosen (None = model default)
    seconds: float
    query_image: Image.Image | None = None
    document_image: Image.Image | None = None
    query_image_name: str | None = None
    document_image_name: str | None = None
    #: A warning when the texts are mostly in a language the model does not read well.
    language_note: str | None = None
    query_video_name: str | None = None
    document_video_name: str | None = None


def make_item(
    text: str | None,
    image_bytes: bytes | None,
    *,
    name: str,
    image_name: str | None = None,
    video_bytes: bytes | None = None,
    video_name: str | None = None,
) -> Item:
    """An :class:`Item` from page inputs; blank text counts as no text.

    Raises:
        ValueError: the image bytes are not a readable image, or the clip cannot be read or is too long (the
            library's message, naming ``name`` and the file).
    """
    what = name if image_name is None else f"{name} '{image_name}'"
    text = text if text is not None and text.strip() else None
    image = None
    if image_bytes is not None:
        image = load_image(image_bytes, what=f"{what} image")
    clip = None
    if video_bytes is not None:
        clip = video.load_upload(video_bytes, name=name, file_name=video_name or "upload")
    return Item(text=text, image=image, video=clip, name=name)


def token_table(explanation: Explanation) -> pd.DataFrame:
    """One row per text unit: ``side, position, token, start, end, weight`` (weight in log-odds)."""
    rows = []
    for side, tokens in (("query", explanation.query_tokens), ("document", explanation.document_tokens)):
        for i, tok in enumerate(tokens, start=1):
            rows.append(
                {
                    "side": side,
                    "position": i,
                    "token": tok.text,
                    "start": tok.start,
                    "end": tok.end,
                    "weight": tok.weight,
                }
            )
    return pd.DataFrame(rows, columns=["side", "position", "token", "start", "end", "weight"])


def _grid_dict(grid: ImageSalience | None) -> dict[str, Any] | None:
    if grid is None:
        return None
    return {"rows": grid.rows, "cols": grid.cols, "size": list(grid.size), "weights": grid.weights.tolist()}


def explanation_json(result: SingleResult) -> bytes:
    """The whole explanation as JSON: score, log-odds, instruction, model, token weights, image grids and frame
    weights."""
    e = result.explanation
    doc = {
        "model": result.model,
        "instruction": e.instruction,
        "score": e.score,
        "log_odds": e.log_odds,
        "method": e.method,
        "grouped": e.grouped,
        "n_evaluations": e.n_evaluations,
        "query": {
            "text": e.query_text,
            "image": result.query_image_name,
            "tokens": [vars(t) for t in e.query_tokens],
            "image_grid": _grid_dict(e.query_image),
            "video": result.query_video_name,
            "frames": video.frame_rows("query", e.query_video),
        },
        "document": {
            "text": e.document_text,
            "image": result.document_image_name,
            "tokens": [vars(t) for t in e.document_tokens],
            "image_grid": _grid_dict(e.document_image),
            "video": result.document_video_name,
            "frames": video.frame_rows("document", e.document_video),
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def explanation_csv(explanation: Explanation) -> bytes:
    """The token weights as CSV (``side, position, token, start, end, weight``)."""
    return token_table(explanation).to_csv(index=False).encode("utf-8")


def explain_methods(settings: Settings) -> tuple[str, ...]:
    """The salience methods the model of ``settings`` offers: ``("occlusion",)`` until a VLM that has more is loaded."""
    caps = capabilities(settings)
    return caps.explain_methods if caps is not None else ("occlusion",)


def method_picker(settings: Settings) -> str:
    """A radio for the salience method, persisted in ``single_method``; falls back to occlusion when unavailable."""
    methods = explain_methods(settings)
    return st.radio(
        "Salience method",
        methods,
        horizontal=True,
        format_func={"occlusion": "Occlusion", "gradient": "Gradient × input"}.get,
        help="Occlusion removes each word / greys each image cell and re-scores (any model; 1 + units + cells "
        "passes). Gradient × input needs one forward and backward pass (VLM checkpoints, once loaded).",
        **bind("single_method", methods[0], options=methods),
    )


def _upload(file: Any) -> tuple[bytes | None, str | None]:
    if file is None:
        return None, None
    return file.getvalue(), file.name


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
) -> SingleResult | None:
    """Validate inputs, load the scorer, explain the pair and store the result; errors are shown, never raised.

    Args:
        settings: from the sidebar.
        query_text, document_text: the texts (blank = none).
        query_file, document_file: Streamlit ``UploadedFile`` objects (or anything with ``getvalue()``/``name``).
        query_video_file, document_video_file: uploaded clips, likewise.
        max_units: the most word units per text for occlusion.
        image_cells: about how many grid cells per image (occlusion).
        method: ``"occlusion"`` or, for scorers that list it in ``capabilities.explain_methods``, ``"gradient"``.

    Returns:
        The stored :class:`SingleResult`, or ``None`` after ``st.error``.
    """
    q_bytes, q_name = _upload(query_file)
    d_bytes, d_name = _upload(document_file)
    qv_bytes, qv_name = _upload(query_video_file)
    dv_bytes, dv_name = _upload(document_video_file)
    try:
        query = make_item(
            query_text, q_bytes, name="query", image_name=q_name, video_bytes=qv_bytes, video_name=qv_name
        )
        document = make_item(
            document_text, d_bytes, name="document", image_name=d_name, video_bytes=dv_bytes, video_name=dv_name
        )
    except (ValueError, TypeError) as exc:
        st.error(str(exc))
        return None
    scorer = get_scorer(settings)
    if scorer is None:
        return None
    label = "Scoring the pair and its occlusion variants" if method == "occlusion" else f"Explaining ({method})"
    start = time.perf_counter()
    ok, explanation = run_with_progress(
        label,
        lambda callback: scorer.explain(
            query,
            document,
            settings.instruction,
            max_units=max_units,
            image_cells=image_cells,
            progress=callback,
            method=method,
        ),
    )
    if not ok:
        return None
    result = SingleResult(
        explanation=explanation,
        model=settings.model,
        instruction=settings.instruction,
        seconds=time.perf_counter() - start,
        query_image=query.image,
        document_image=document.image,
        query_image_name=q_name,
        document_image_name=d_name,
        query_video_name=qv_name,
        document_video_name=dv_name,
        language_note=language_warning(
            scorer.capabilities.languages, scorer.name, [query.text, document.text], what="the query and document"
        ),
    )
    st.session_state[RESULT_KEY] = result
    return result


def render_result(result: SingleResult, settings: Settings) -> None:
    """Draw the score, band, log-odds, highlights, heatmaps and downloads of ``result``."""
    e = result.explanation
    band_name = settings.band(e.score)
    if result.model != settings.model or result.instruction != settings.instruction:
        st.info(
            "The model or instruction changed since this result was computed. Click **Score and explain** to update it."
        )

    if result.language_note:
        st.warning(result.language_note, icon=":material/translate:")
    c1, c2, c3, c4 = st.columns([1.1, 1.1, 1, 1.4])
    c1.metric("P(yes)", f"{e.score:.3f}", help="Probability the model answers 'yes, relevant'.")
    with c2:
        st.markdown('<div style="font-size:0.875rem;margin-bottom:0.35rem">Band</div>', unsafe_allow_html=True)
        st.markdown(render.band_badge_html(band_name, size="1.2rem"), unsafe_allow_html=True)
    c3.metric("Log-odds", f"{e.log_odds:+.2f}", help="log(P / (1 − P)); explanations are changes in this.")
    if e.method == "occlusion":
        how = (
            f"each word removed / each image cell or clip frame greyed: {e.n_evaluations} scored variants in one batch"
        )
    else:
        how = "gradient × input on the input embeddings: one forward and one backward pass"
    c4.metric("Salience", "Occlusion" if e.method == "occlusion" else "Gradient × input", help=how.capitalize() + ".")
    instr = e.instruction if len(e.instruction) <= 140 else e.instruction[:137] + "…"
    st.caption(f"Model `{result.model}` · instruction: “{instr}” · {how} · {result.seconds:.1f} s")

    scale = e.max_abs_weight()
    has_images = e.query_image is not None or e.document_image is not None
    has_clips = e.query_video is not None or e.document_video is not None
    tab_names = [
        "Text highlights",
        *(["Image heatmaps"] if has_images else []),
        *(["Clip frames"] if has_clips else []),
        "Weights table & download",
    ]
    tabs = dict(zip(tab_names, st.tabs(tab_names)))

    with tabs["Text highlights"]:
        if scale > 0:
            st.markdown(render.legend_html(scale), unsafe_allow_html=True)
        else:
            st.caption("No word changed the score: every weight is 0 (e.g. the model ignores that text).")
        for label, text, tokens in (
            ("Query", e.query_text, e.query_tokens),
            ("Document", e.document_text, e.document_tokens),
        ):
            st.markdown(f"**{label}**")
            if text and text.strip():
                st.markdown(render.highlight_html(text, tokens, scale=scale or None), unsafe_allow_html=True)
            else:
                st.caption("No text.")
        if e.grouped:
            st.caption("Long text: neighbouring words were grouped into spans so the explanation stays fast.")
        top = sorted(e.query_tokens + e.document_tokens, key=lambda t: -abs(t.weight))[:3]
        if top:
            st.caption("Biggest effects: " + ", ".join(f"“{t.text}” {t.weight:+.2f}" for t in top))

    if has_images:
        with tabs["Image heatmaps"]:
            st.markdown(render.legend_html(scale), unsafe_allow_html=True)
            cols = st.columns(2)
            for col, label, image, grid in (
                (cols[0], "Query image", result.query_image, e.query_image),
                (cols[1], "Document image", result.document_image, e.document_image),
            ):
                with col:
                    st.markdown(f"**{label}**")
                    if image is None or grid is None:
                        st.caption("No image.")
                        continue
                    overlay = render.heatmap_overlay(image, grid, scale=scale or None)
                    what = "cells greyed one at a time" if e.method == "occlusion" else "merged image patches"
                    st.image(overlay, caption=f"{grid.rows}×{grid.cols} {what}")
                    with st.expander("Original"):
                        st.image(image)

    if has_clips:
        with tabs["Clip frames"]:
            names = {"query": result.query_video_name, "document": result.document_video_name}
            video.render_frame_strips(e, names, scale)

    with tabs["Weights table & download"]:
        table = token_table(e)
        st.dataframe(
            table,
            hide_index=True,
            width="stretch",
            column_config={
                "side": st.column_config.TextColumn("Side"),
                "position": st.column_config.NumberColumn("#", format="%d"),
                "token": st.column_config.TextColumn("Word / span"),
                "start": None,
                "end": None,
                "weight": st.column_config.NumberColumn(
                    "Weight (log-odds)", format="%+.3f", help="Log-odds lost when this unit is removed."
                ),
            },
        )
        if has_clips:
            st.dataframe(video.frame_table(e), hide_index=True, width="stretch")
        d1, d2, d3 = st.columns(3)
        d1.download_button(
            "Download explanation (JSON)",
            explanation_json(result),
            file_name="explanation.json",
            mime="application/json",
            key="single_download_json",
            icon=":material/download:",
            on_click="ignore",
        )
        d2.download_button(
            "Download token weights (CSV)",
            explanation_csv(e),
            file_name="token_weights.csv",
            mime="text/csv",
            key="single_download_csv",
            icon=":material/download:",
            on_click="ignore",
        )
        if has_clips:
            d3.download_button(
                "Download frame weights (CSV)",
                video.frame_table(e).to_csv(index=False).encode("utf-8"),
                file_name="frame_weights.csv",
                mime="text/csv",
                key="single_download_frames",
                icon=":material/download:",
                on_click="ignore",
            )


def image_preview(file: Any) -> None:
    """A small preview of an uploaded image, or the library's message if it is not one."""
    if file is None:
        return
    try:
        img = load_image(file.getvalue(), what=f"image '{file.name}'")
    except ValueError as exc:
        st.error(str(exc))
        return
    thumb = img.copy()
    thumb.thumbnail((320, 320))
    buf = io.BytesIO()
    thumb.save(buf, format="PNG")
    st.image(buf.getvalue(), caption=f"{file.name} · {img.width}×{img.height}", width=160)
