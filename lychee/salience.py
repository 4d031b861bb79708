"""Model-agnostic occlusion salience on the log-odds.

For one (query, document) pair, each word of the query text and of the document text is removed in turn, and each
cell of a grid over each image is greyed; every variant is scored in one batched call. A unit's weight is

    weight = log_odds(original pair) - log_odds(pair without that unit)

so a positive weight means the unit pushed the model towards "yes" (relevant), a negative one towards "no". Log-odds,
not P(yes), because P saturates near 0 and 1 and would hide effects there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from PIL import Image, ImageDraw

from lychee.items import Item, ItemLike
from lychee.scorers.base import ProgressCallback, coerce_query

if TYPE_CHECKING:
    from lychee.scorers.base import BaseScorer

# CJK characters are units of their own (no spaces between words); everything else splits on white space.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_UNIT = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
OCCLUSION_GREY = (128, 128, 128)


@dataclass(frozen=True)
class TokenWeight:
    """A span of the original text (``text == source[start:end]``) and its signed weight in log-odds."""

    text: str
    start: int
    end: int
    weight: float


@dataclass(frozen=True)
class ImageSalience:
    """Weights over a ``(rows, cols)`` grid of image cells; ``weights[r, c]`` is the log-odds lost by greying it."""

    weights: np.ndarray
    rows: int
    cols: int
    size: tuple[int, int]  # (width, height) of the image the grid covers


@dataclass
class Explanation:
    """Why a pair scored what it scored.

    Attributes:
        score: P(yes) of the original pair.
        log_odds: its log-odds.
        query_tokens / document_tokens: per-unit signed weights, in text order (empty when there is no text).
        query_image / document_image: grid weights per image, or ``None``.
        method: ``"occlusion"`` or ``"gradient"``.
        grouped: True when a long text was split into fewer, multi-word units (``max_units``).
    """

    score: float
    log_odds: float
    query_text: str | None
    document_text: str | None
    query_tokens: list[TokenWeight] = field(default_factory=list)
    document_tokens: list[TokenWeight] = field(default_factory=list)
    query_image: ImageSalience | None = None
    document_image: ImageSalience | None = None
    method: Literal["occlusion", "gradient"] = "occlusion"
    grouped: bool = False
    n_evaluations: int = 0
    instruction: str = ""

    def max_abs_weight(self) -> float:
        """Largest |weight| over all text units and image cells (for a shared colour scale); 0 if none."""
        vals = [abs(t.weight) for t in self.query_tokens + self.document_tokens]
        for img in (self.query_image, self.document_image):
            if img is not None and img.weights.size:
                vals.append(float(np.abs(img.weights).max()))
        return max(vals, default=0.0)


def segment(text: str, max_units: int | None = None) -> tuple[list[tuple[int, int]], bool]:
    """Split ``text`` into word spans ``[(start, end), ...]``; merge neighbours so there are at most ``max_units``.

    Returns:
        The spans and whether words were grouped.
    """
    spans = [(m.start(), m.end()) for m in _UNIT.finditer(text)]
    if max_units is None or len(spans) <= max_units:
        return spans, False
    if max_units < 1:
        raise ValueError(f"max_units must be a positive integer or None, got {max_units}.")
    bounds = np.linspace(0, len(spans), max_units + 1).round().astype(int)
    grouped = [(spans[a][0], spans[b - 1][1]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    return grouped, True


def remove_span(text: str, start: int, end: int) -> str:
    """``text`` without ``text[start:end]``, joining the two sides with at most one space."""
    left, right = text[:start], text[end:]
    if left.endswith((" ", "\n", "\t")) and right.startswith((" ", "\n", "\t")):
        right = right.lstrip(" \t")
    return left + right


def grid_shape(image: Image.Image, cells: int) -> tuple[int, int]:
    """A (rows, cols) grid of about ``cells`` cells whose cells are close to square for this image's aspect ratio."""
    w, h = image.size
    if cells < 1:
        raise ValueError(f"image_cells must be a positive integer, got {cells}.")
    cols = max(1, min(w, cells, int(round(np.sqrt(cells * w / h)))))
    rows = max(1, min(h, cells, int(round(cells / cols))))
    return rows, cols


def grey_cell(image: Image.Image, rows: int, cols: int, r: int, c: int) -> Image.Image:
    """A copy of ``image`` with grid cell (r, c) filled grey."""
    w, h = image.size
    x0, x1 = int(round(c * w / cols)), int(round((c + 1) * w / cols))
    y0, y1 = int(round(r * h / rows)), int(round((r + 1) * h / rows))
    out = image.copy()
    ImageDraw.Draw(out).rectangle([x0, y0, max(x0, x1 - 1), max(y0, y1 - 1)], fill=OCCLUSION_GREY)
    return out


def occlusion(
    scorer: BaseScorer,
    query: ItemLike,
    document: ItemLike,
    instruction: str | None = None,
    *,
    max_units: int | None = 64,
    image_cells: int = 16,
    progress: ProgressCallback | None = None,
) -> Explanation:
    """Occlusion salience for one pair (see module docstring).

    Args:
        scorer: any scorer from :func:`lychee.load_scorer`.
        query, document: as for ``scorer.score``.
        instruction: ``None`` for the scorer's default.
        max_units: at most this many units per text; longer texts are grouped into multi-word spans. ``None``: no limit.
        image_cells: about this many grid cells per image (shape follows the aspect ratio).
        progress: ``progress(done, total)`` over the batched variant scoring.

    Returns:
        An :class:`Explanation`; costs ``1 + units + cells`` scored pairs.
    """
    q = coerce_query(query)
    d = Item.coerce(document, name="document")
    base = scorer.predict(q, [d], instruction)[0]  # validates modalities and instruction
    instr = scorer.resolve_instruction(instruction)

    q_spans, q_grouped = segment(q.text, max_units) if q.has_text else ([], False)
    d_spans, d_grouped = segment(d.text, max_units) if d.has_text else ([], False)
    q_grid = grid_shape(q.image, image_cells) if q.has_image else None
    d_grid = grid_shape(d.image, image_cells) if d.has_image else None

    # Build every variant, then score them in one batched call.
    variants: list[tuple[Item, Item]] = []
    variants += [(q.with_text(remove_span(q.text, s, e)), d) for s, e in q_spans]
    variants += [(q, d.with_text(remove_span(d.text, s, e))) for s, e in d_spans]
    if q_grid:
        variants += [(q.with_image(grey_cell(q.image, *q_grid, r, c)), d) for r in range(q_grid[0]) for c in range(q_grid[1])]
    if d_grid:
        variants += [(q, d.with_image(grey_cell(d.image, *d_grid, r, c))) for r in range(d_grid[0]) for c in range(d_grid[1])]
    # Internal call: a variant may be empty (the only word removed), which is a legitimate "nothing there" baseline.
    preds = scorer._predict_pairs(variants, instr, progress=progress) if variants else []
    drops = [base.log_odds - p.log_odds for p in preds]

    it = iter(drops)
    q_tokens = [TokenWeight(q.text[s:e], s, e, next(it)) for s, e in q_spans]
    d_tokens = [TokenWeight(d.text[s:e], s, e, next(it)) for s, e in d_spans]
    q_img = _grid(it, q_grid, q.image) if q_grid else None
    d_img = _grid(it, d_grid, d.image) if d_grid else None
    return Explanation(
        score=base.score,
        log_odds=base.log_odds,
        query_text=q.text,
        document_text=d.text,
        query_tokens=q_tokens,
        document_tokens=d_tokens,
        query_image=q_img,
        document_image=d_img,
        method="occlusion",
        grouped=q_grouped or d_grouped,
        n_evaluations=1 + len(variants),
        instruction=instr,
    )


def _grid(it, shape: tuple[int, int], image: Image.Image) -> ImageSalience:
    rows, cols = shape
    weights = np.array([next(it) for _ in range(rows * cols)], dtype=np.float64).reshape(rows, cols)
    return ImageSalience(weights=weights, rows=rows, cols=cols, size=image.size)


def weights_to_rgba(weights: Sequence[float], scale: float | None = None) -> list[tuple[int, int, int, float]]:
    """Colour for each weight: green for positive, red for negative, alpha by |weight| / scale (0..1)."""
    arr = np.asarray(list(weights), dtype=np.float64)
    top = scale if scale is not None else (float(np.abs(arr).max()) if arr.size else 0.0)
    out = []
    for w in arr:
        alpha = 0.0 if top <= 0 else float(min(1.0, abs(w) / top))
        out.append((46, 125, 50, alpha) if w >= 0 else (198, 40, 40, alpha))
    return out
