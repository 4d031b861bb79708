"""Model-agnostic occlusion salience on the log-odds.

For one (query, document) pair, each word of the query text and of the document text is removed in turn, each cell
of a grid over each image is greyed, and each sampled frame of each clip is greyed (the clip keeps its timing); every
variant is scored in one batched call. A unit's weight is

    weight = log_odds(original pair) - log_odds(pair without that unit)

so a positive weight means the unit pushed the model towards "yes" (relevant), a negative one towards "no". Log-odds,
not P(yes), because P saturates near 0 and 1 and would hide effects there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

import numpy as np
from PIL import Image

from lychee.contract import Scorer
from lychee.explanation import Explanation, ImageSalience, TokenWeight, VideoSalience
from lychee.items import Item, ItemLike, coerce_query
from lychee.results import ProgressCallback
from lychee.salience.units import grey_cell, grey_frame_variant, grid_shape, remove_span, segment
from lychee.video import SampledClip

#: What occlusion can take away, one kind of unit per part: words, image cells, clip frames.
PARTS = ("query_text", "document_text", "query_image", "document_image", "query_video", "document_video")


def occlusion(
    scorer: Scorer,
    query: ItemLike,
    document: ItemLike,
    instruction: str | None = None,
    *,
    max_units: int | None = 64,
    image_cells: int = 16,
    progress: ProgressCallback | None = None,
    parts: Collection[str] = PARTS,
) -> Explanation:
    """Occlusion salience for one pair (see module docstring).

    Args:
        scorer: any scorer from :func:`lychee.load_scorer`.
        query, document: as for ``scorer.score``.
        instruction: ``None`` for the scorer's default.
        max_units: at most this many units per text; longer texts are grouped into multi-word spans. ``None``: no limit.
        image_cells: about this many grid cells per image (shape follows the aspect ratio).
        progress: ``progress(done, total)`` over the batched variant scoring.
        parts: which units to take away (:data:`PARTS`; default all). A part left out costs nothing and gets no
            weights (no tokens, no map), e.g. ``{"document_text"}`` for the document's words only.

    Returns:
        An :class:`Explanation`; costs ``1 + units + cells + sampled frames`` scored pairs.
    """
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or isinstance(parts, str):
        raise ValueError(f"parts: got {parts!r}; expected a collection of {', '.join(PARTS)}.")
    q = coerce_query(query)
    d = Item.coerce(document, name="document")
    # Decode each clip once: the base pair and every variant then carry its sampled frames (no decoding again). A
    # model that reads no video refuses the clip in predict below, as for any call.
    reads_video = scorer.capabilities.video
    q_clip = q.video.sample(what="query video") if q.has_video and reads_video else None
    d_clip = d.video.sample(what="document video") if d.has_video and reads_video else None
    if q_clip:
        q = q.with_video(q.video.with_frames(q_clip, q_clip.frames))
    if d_clip:
        d = d.with_video(d.video.with_frames(d_clip, d_clip.frames))
    q_clip = q_clip if "query_video" in parts else None
    d_clip = d_clip if "document_video" in parts else None
    base = scorer.predict(q, [d], instruction)[0]  # validates modalities and instruction
    instr = scorer.resolve_instruction(instruction)

    q_spans, q_grouped = segment(q.text, max_units) if q.has_text and "query_text" in parts else ([], False)
    d_spans, d_grouped = segment(d.text, max_units) if d.has_text and "document_text" in parts else ([], False)
    q_grid = grid_shape(q.image, image_cells) if q.has_image and "query_image" in parts else None
    d_grid = grid_shape(d.image, image_cells) if d.has_image and "document_image" in parts else None

    # Build every variant, then score them in one batched call.
    variants: list[tuple[Item, Item]] = []
    variants += [(q.with_text(remove_span(q.text, s, e)), d) for s, e in q_spans]
    variants += [(q, d.with_text(remove_span(d.text, s, e))) for s, e in d_spans]
    if q_grid:
        variants += [
            (q.with_image(grey_cell(q.image, *q_grid, r, c)), d) for r in range(q_grid[0]) for c in range(q_grid[1])
        ]
    if d_grid:
        variants += [
            (q, d.with_image(grey_cell(d.image, *d_grid, r, c))) for r in range(d_grid[0]) for c in range(d_grid[1])
        ]
    if q_clip:
        variants += [(q.with_video(grey_frame_variant(q.video, q_clip, k)), d) for k in range(len(q_clip.frames))]
    if d_clip:
        variants += [(q, d.with_video(grey_frame_variant(d.video, d_clip, k))) for k in range(len(d_clip.frames))]
    # A variant may be empty (its only word removed): a legitimate "nothing there" baseline, hence allow_empty.
    preds = scorer.predict_pairs(variants, instr, progress=progress, allow_empty=True) if variants else []
    drops = iter([base.log_odds - p.log_odds for p in preds])

    q_tokens = [TokenWeight(q.text[s:e], s, e, next(drops)) for s, e in q_spans]
    d_tokens = [TokenWeight(d.text[s:e], s, e, next(drops)) for s, e in d_spans]
    q_img = _grid(drops, q_grid, q.image) if q_grid else None
    d_img = _grid(drops, d_grid, d.image) if d_grid else None
    q_vid = _frames(drops, q_clip) if q_clip else None
    d_vid = _frames(drops, d_clip) if d_clip else None
    return Explanation(
        score=base.score,
        log_odds=base.log_odds,
        query_text=q.text,
        document_text=d.text,
        query_tokens=q_tokens,
        document_tokens=d_tokens,
        query_image=q_img,
        document_image=d_img,
        query_video=q_vid,
        document_video=d_vid,
        method="occlusion",
        grouped=q_grouped or d_grouped,
        n_evaluations=1 + len(variants),
        instruction=instr,
    )


def _grid(drops: Iterator[float], shape: tuple[int, int], image: Image.Image) -> ImageSalience:
    rows, cols = shape
    weights = np.array([next(drops) for _ in range(rows * cols)], dtype=np.float64).reshape(rows, cols)
    return ImageSalience(weights=weights, rows=rows, cols=cols, size=image.size)


def _frames(drops: Iterator[float], clip: SampledClip) -> VideoSalience:
    weights = np.array([next(drops) for _ in clip.frames], dtype=np.float64)
    units = tuple((k,) for k in range(len(clip.frames)))
    return VideoSalience(weights=weights, units=units, timestamps=clip.timestamps, frames=clip.thumbnails())


__all__ = ["PARTS", "occlusion"]
