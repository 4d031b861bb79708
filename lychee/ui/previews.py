"""Previews of what the user uploaded, under the uploaders: a thumbnail of an image, a player for a clip, or the
library's message when the file cannot be read; and, at an uploader, a note when the chosen model will refuse it.
"""

from __future__ import annotations

import io
from typing import Any

import streamlit as st

from lychee.formatting import escape_markdown
from lychee.items import load_image
from lychee.ui.i18n import _
from lychee.ui.inputs import upload_note
from lychee.ui.shell import notices
from lychee.ui.shell.models import known_capabilities
from lychee.ui.shell.settings import Settings
from lychee.video import load_video


def image_preview(file: Any) -> None:
    """A small preview of an uploaded image, or the library's message if it is not one."""
    if file is None:
        return
    try:
        img = load_image(file.getvalue(), what=f"image '{file.name}'")
    except ValueError as exc:
        notices.library_error(str(exc), _("This file cannot be shown or scored. Upload another one."))
        return
    thumb = img.copy()
    thumb.thumbnail((320, 320))
    buf = io.BytesIO()
    thumb.save(buf, format="PNG")
    st.image(buf.getvalue(), caption=f"{file.name} · {img.width}×{img.height}", width=160)


@st.cache_data(max_entries=8, show_spinner=False)
def _describe(data: bytes, file_name: str) -> str:
    """A one-line summary of an upload, or raises the library's message (cached: a preview is redrawn often)."""
    video = load_video(data, what=f"video '{file_name}'")
    return _("{file_name} · {duration:.1f} s · {n_frames} frames at {fps:g} fps · {width}×{height}").format(
        file_name=escape_markdown(file_name),
        duration=video.duration,
        n_frames=video.n_frames,
        fps=video.fps,
        width=video.width,
        height=video.height,
    )


def video_preview(file: Any) -> None:
    """A player for an uploaded clip with its length and size, or the library's message if it cannot be read."""
    if file is None:
        return
    data = file.getvalue()
    try:
        caption = _describe(data, file.name)
    except ValueError as exc:
        notices.library_error(str(exc), _("This file cannot be shown or scored. Upload another one."))
        return
    st.video(data)
    st.caption(caption)


def refusal_note(settings: Settings, kind: str) -> None:
    """Under an ``"image"`` or ``"clip"`` uploader: say that the sidebar's model will refuse such a file, if it will."""
    note = upload_note(known_capabilities(settings), settings.model, kind)
    if note:
        st.caption(f":material/block: {note}")


__all__ = ["image_preview", "refusal_note", "video_preview"]
