"""Clips on the pages: the upload preview, the per-frame weight strips of an explanation, and their rows for downloads.

The frame strips use the colours and the legend of the image heatmaps (:func:`lychee.ui.render.frame_strip`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lychee.explanation import Explanation, VideoSalience
from lychee.ui import render
from lychee.video import Video, load_video

FRAME_COLUMNS = ["side", "frame", "time_s", "unit", "weight"]


def load_upload(data: bytes, *, name: str, file_name: str) -> Video:
    """The uploaded clip ``file_name`` of ``name`` (``"query"``/``"document"``) as a checked :class:`Video`.

    Raises:
        ValueError: the library's message, naming ``name`` and the file.
    """
    return load_video(data, what=f"{name} '{file_name}' video")


@st.cache_data(max_entries=8, show_spinner=False)
def _describe(data: bytes, file_name: str) -> str:
    """A one-line summary of an upload, or raises the library's message (cached: a preview is redrawn often)."""
    video = load_video(data, what=f"video '{file_name}'")
    return (
        f"{file_name} · {video.duration:.1f} s · {video.n_frames} frames at {video.fps:g} fps · "
        f"{video.width}×{video.height}"
    )


def video_preview(file: Any) -> None:
    """A player for an uploaded clip with its length and size, or the library's message if it cannot be read."""
    if file is None:
        return
    data = file.getvalue()
    try:
        caption = _describe(data, file.name)
    except ValueError as exc:
        st.error(str(exc))
        return
    st.video(data)
    st.caption(caption)


def frame_rows(side: str, salience: VideoSalience | None) -> list[dict[str, Any]]:
    """One row per sampled frame: ``side, frame, time_s, unit, weight`` (the weight of the unit covering it)."""
    if salience is None:
        return []
    unit_of = {k: u for u, frames in enumerate(salience.units) for k in frames}
    weights = salience.frame_weights()
    return [
        {"side": side, "frame": k + 1, "time_s": t, "unit": unit_of.get(k, -1) + 1, "weight": weights[k]}
        for k, t in enumerate(salience.timestamps)
    ]


def frame_table(explanation: Explanation) -> pd.DataFrame:
    """Every sampled frame of both clips with its weight (log-odds), for the table and the CSV download."""
    rows = frame_rows("query", explanation.query_video) + frame_rows("document", explanation.document_video)
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def render_frame_strips(explanation: Explanation, names: dict[str, str | None], scale: float) -> None:
    """The query's and the document's frame strips under the shared legend (``names``: the uploaded file names)."""
    st.markdown(render.legend_html(scale), unsafe_allow_html=True)
    how = (
        "each sampled frame greyed in turn"
        if explanation.method == "occlusion"
        else "gradient × input summed over each temporal patch (two frames the vision encoder reads together)"
    )
    for side, salience in (("query", explanation.query_video), ("document", explanation.document_video)):
        if salience is None:
            continue
        label = f"**{side.capitalize()} clip**" + (f" `{names[side]}`" if names.get(side) else "")
        st.markdown(label)
        times = ", ".join(f"{t:.1f} s" for t in salience.timestamps)
        st.image(
            render.frame_strip(salience, scale=scale or None),
            caption=f"{len(salience.timestamps)} sampled frames ({times}): {how}",
        )
        weights = ", ".join(f"{w:+.2f}" for w in salience.weights.tolist())
        st.caption(f"Weights (log-odds), left to right: {weights}")


__all__ = ["FRAME_COLUMNS", "frame_rows", "frame_table", "load_upload", "render_frame_strips", "video_preview"]
