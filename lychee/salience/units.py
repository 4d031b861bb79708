"""The units salience weighs: word spans of a text, cells of a grid over an image, and the sampled frames of a clip
(shared by both methods).

CJK characters are units of their own (no spaces between words); everything else splits on white space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from lychee.validation import positive_int
from lychee.video import SampledClip, Video

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_UNIT = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
OCCLUSION_GREY = (128, 128, 128)


def segment(text: str, max_units: int | None = None) -> tuple[list[tuple[int, int]], bool]:
    """Split ``text`` into word spans ``[(start, end), ...]``; merge neighbours so there are at most ``max_units``.

    Returns:
        The spans and whether words were grouped.
    """
    positive_int(max_units, "max_units", allow_none=True, none_means="no limit")
    spans = [(m.start(), m.end()) for m in _UNIT.finditer(text)]
    if max_units is None or len(spans) <= max_units:
        return spans, False
    bounds = np.linspace(0, len(spans), max_units + 1).round().astype(int)
    grouped = [(spans[a][0], spans[b - 1][1]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    return grouped, True


def remove_span(text: str, start: int, end: int) -> str:
    """``text`` without ``text[start:end]``, joining the two sides with at most one space."""
    left, right = text[:start], text[end:]
    if left.endswith((" ", "\n", "\t")) and right.startswith((" ", "\n", "\t")):
        right = right.lstrip(" \t")
    return left + right


def remove_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` without every span of ``spans`` (non-overlapping, any order), each removed as :func:`remove_span`
    removes one."""
    for start, end in sorted(spans, reverse=True):  # from the end, so the earlier offsets stay valid
        text = remove_span(text, start, end)
    return text


def grid_shape(image: Image.Image, cells: int) -> tuple[int, int]:
    """A (rows, cols) grid of exactly ``cells`` cells, the factorisation whose cells are closest to square for this
    image's aspect ratio (16 cells on a 400x100 image: 2 x 8). An image too small for that many cells (fewer pixels
    than cells along a side) gets the most cells it can hold, at most ``cells``."""
    positive_int(cells, "image_cells")
    w, h = image.size
    best: tuple[tuple[int, float], tuple[int, int]] | None = None
    for rows in range(1, min(h, cells) + 1):
        for cols in range(1, min(w, cells // rows) + 1):
            squareness = abs(float(np.log((w / cols) / (h / rows))))
            key = (-(rows * cols), squareness)
            if best is None or key < best[0]:
                best = (key, (rows, cols))
    return best[1] if best is not None else (1, 1)


def _cell_box(size: tuple[int, int], rows: int, cols: int, r: int, c: int) -> list[int]:
    w, h = size
    x0, x1 = int(round(c * w / cols)), int(round((c + 1) * w / cols))
    y0, y1 = int(round(r * h / rows)), int(round((r + 1) * h / rows))
    return [x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)]


def grey_cell(image: Image.Image, rows: int, cols: int, r: int, c: int) -> Image.Image:
    """A copy of ``image`` with grid cell (r, c) filled grey."""
    return grey_cells(image, rows, cols, [(r, c)])


def grey_cells(image: Image.Image, rows: int, cols: int, cells: Sequence[tuple[int, int]]) -> Image.Image:
    """A copy of ``image`` with every grid cell ``(r, c)`` of ``cells`` filled grey."""
    out = image.copy()
    draw = ImageDraw.Draw(out)
    for r, c in cells:
        draw.rectangle(_cell_box(image.size, rows, cols, r, c), fill=OCCLUSION_GREY)
    return out


def grey_frame(frame: Image.Image | np.ndarray) -> Image.Image | np.ndarray:
    """A frame of the same size and type (PIL image or ``(H, W, 3)`` array) filled with :data:`OCCLUSION_GREY`."""
    if isinstance(frame, Image.Image):
        return Image.new("RGB", frame.size, OCCLUSION_GREY)
    out = np.empty_like(frame)
    out[...] = OCCLUSION_GREY
    return out


def grey_frame_variant(video: Video, sampled: SampledClip, k: int) -> Video:
    """``video`` showing its sampled frames with frame ``k`` greyed: same frames otherwise, same timing."""
    return grey_frames_variant(video, sampled, [k])


def grey_frames_variant(video: Video, sampled: SampledClip, ks: Sequence[int]) -> Video:
    """``video`` showing its sampled frames with every frame of ``ks`` greyed: same frames otherwise, same timing."""
    frames = list(sampled.frames)
    for k in ks:
        frames[k] = grey_frame(frames[k])
    return video.with_frames(sampled, frames)


def weights_to_rgba(weights: Sequence[float], scale: float | None = None) -> list[tuple[int, int, int, float]]:
    """Colour for each weight: green for positive, red for negative, alpha by |weight| / scale (0..1)."""
    arr = np.asarray(list(weights), dtype=np.float64)
    top = scale if scale is not None else (float(np.abs(arr).max()) if arr.size else 0.0)
    out = []
    for w in arr:
        alpha = 0.0 if top <= 0 else float(min(1.0, abs(w) / top))
        out.append((46, 125, 50, alpha) if w >= 0 else (198, 40, 40, alpha))
    return out


__all__ = [
    "OCCLUSION_GREY",
    "grey_cell",
    "grey_cells",
    "grey_frame",
    "grey_frame_variant",
    "grey_frames_variant",
    "grid_shape",
    "remove_span",
    "remove_spans",
    "segment",
    "weights_to_rgba",
]
