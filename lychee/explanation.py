"""Explanation types: why a pair scored what it scored (per-word, per-image-cell and per-frame weights on the
log-odds), how far to trust it (:class:`Faithfulness`: the deletion curve), why one document ranks above another
(:class:`ContrastiveExplanation`) and where the score comes from (:class:`ModalityShares`).

A leaf module (numpy and PIL only): salience methods build these, pages and the HTTP API read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image

ExplainMethod = Literal["occlusion", "gradient", "shapley", "ig"]

#: The deletion-curve bins: the top ``max(1, ceil(b * n))`` units of ``n`` for each fraction ``b`` (ERASER's bins).
FAITHFULNESS_BINS: tuple[float, ...] = (0.01, 0.05, 0.10, 0.20, 0.50)
#: Seeded random orders averaged for the floor a method must beat.
RANDOM_SHUFFLES = 5
#: The parts of a pair, in prompt order per side: the players of :class:`ModalityShares`.
MODALITY_PARTS: tuple[str, ...] = (
    "query_text",
    "query_image",
    "query_video",
    "document_text",
    "document_image",
    "document_video",
)


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


@dataclass(frozen=True)
class VideoSalience:
    """Weights over a clip's sampled frames.

    ``weights[k]`` is the log-odds lost by greying unit ``k`` (occlusion: one sampled frame) or its gradient x input
    (gradient: one temporal patch, the frames the vision encoder reads together). ``units[k]`` lists the sampled
    frames (positions in ``timestamps`` / ``frames``) that unit ``k`` covers.

    Attributes:
        weights: ``(units,)`` signed weights in log-odds.
        units: for each weight, the sampled frames it covers.
        timestamps: seconds from the start of the clip of each sampled frame.
        frames: a thumbnail of each sampled frame (for display).
    """

    weights: np.ndarray
    units: tuple[tuple[int, ...], ...]
    timestamps: tuple[float, ...]
    frames: tuple[Image.Image, ...] = field(default=(), repr=False, compare=False)

    def frame_weights(self) -> list[float]:
        """One weight per sampled frame: its unit's weight (a unit of two frames gives both the same weight)."""
        out = [0.0] * len(self.timestamps)
        for weight, unit in zip(self.weights.tolist(), self.units):
            for k in unit:
                out[k] = float(weight)
        return out


@dataclass(frozen=True)
class Faithfulness:
    """How much of the score the highlighted units really carry: the deletion curve and its two numbers.

    The units of the explained side are ordered by weight (descending, ties in text order). For each bin ``b`` of
    :data:`FAITHFULNESS_BINS` the top ``k = max(1, ceil(b * n_units))`` units are removed (``removed``) or kept alone
    (``kept``), exactly as occlusion removes a word. With ``value`` the log-odds (or, for a contrast, the gap
    lo(A) - lo(B))::

        comprehensiveness = mean over bins of  value(full) - value(without the top k)    # higher = more faithful
        sufficiency       = mean over bins of  value(full) - value(only the top k)       # lower  = more faithful

    The same for ``RANDOM_SHUFFLES`` seeded random orders gives the floor (``random_*``, means over the shuffles).

    Attributes:
        side: whose units were removed: ``"document"``, ``"query"`` or ``"gap"`` (a contrast: query and both titles).
        n_units: units on that side.
        ks: units removed per bin (one per bin; neighbouring bins may share a k on short texts).
        base: the value of the full input (log-odds, or the gap).
        removed / kept: the value per bin with the top k removed / kept alone.
        random_removed / random_kept: the same for the random orders, averaged over the shuffles.
        comprehensiveness / sufficiency: the method's numbers (see above).
        random_comprehensiveness / random_sufficiency: the floor's.
        top_units: the units' texts, most highlighted first (``top_units[:k]`` were removed for a bin).
        n_evaluations: distinct pairs scored for it (one batched call).
        seed: the seed of the random orders.
        bins: the bin fractions.
    """

    side: str
    n_units: int
    ks: tuple[int, ...]
    base: float
    removed: tuple[float, ...]
    kept: tuple[float, ...]
    random_removed: tuple[float, ...]
    random_kept: tuple[float, ...]
    comprehensiveness: float
    sufficiency: float
    random_comprehensiveness: float
    random_sufficiency: float
    top_units: tuple[str, ...] = ()
    n_evaluations: int = 0
    seed: int = 0
    bins: tuple[float, ...] = FAITHFULNESS_BINS


@dataclass(frozen=True)
class ModalityShares:
    """Where a pair's log-odds come from: exact Shapley values over its parts (query text / image / clip, document
    text / image / clip).

    The value of a set of parts is the log-odds of the pair holding only those parts (a side left with none is
    scored as the model's recipe renders an empty side). By efficiency ``sum(values) == full_log_odds -
    empty_log_odds``.

    Attributes:
        parts: the parts present, in :data:`MODALITY_PARTS` order.
        values: each part's Shapley value (log-odds).
        full_log_odds: the pair as it is.
        empty_log_odds: the pair with every part removed.
        n_evaluations: distinct pairs scored (at most ``2 ** len(parts) - 1`` besides the pair itself).
    """

    parts: tuple[str, ...]
    values: tuple[float, ...]
    full_log_odds: float
    empty_log_odds: float
    n_evaluations: int = 0

    def shares(self) -> dict[str, float]:
        """Each part's value over the sum of their sizes (signed; the sizes add up to 1): ``{"document_image": 0.72,
        ...}``; all 0 when no part changes the score."""
        total = sum(abs(v) for v in self.values)
        return {p: (v / total if total > 0 else 0.0) for p, v in zip(self.parts, self.values)}


@dataclass
class Explanation:
    """Why a pair scored what it scored.

    Attributes:
        score: P(yes) of the original pair.
        log_odds: its log-odds.
        query_tokens / document_tokens: per-unit signed weights, in text order (empty when there is no text).
        query_image / document_image: grid weights per image, or ``None``.
        query_video / document_video: per-frame weights per clip, or ``None``.
        method: ``"occlusion"``, ``"shapley"``, ``"gradient"`` or ``"ig"``.
        grouped: True when a long text was split into fewer, multi-word units (``max_units``).
        n_evaluations: scored pairs (occlusion, shapley) or forward/backward passes (gradient, ig) it cost.
        instruction: the instruction the pair was scored with.
        faithfulness: the deletion curve of the weights (``None`` when not asked for or there are no text units).
        n_samples: Shapley value sampling's permutations (shapley).
        steps: the integration steps (ig).
        convergence_delta: ``sum(attributions) - (log_odds - baseline log-odds)`` (ig; 0 for exact integration).
        seed: the seed of the sampled permutations (shapley) and of the random floor.
    """

    score: float
    log_odds: float
    query_text: str | None
    document_text: str | None
    query_tokens: list[TokenWeight] = field(default_factory=list)
    document_tokens: list[TokenWeight] = field(default_factory=list)
    query_image: ImageSalience | None = None
    document_image: ImageSalience | None = None
    query_video: VideoSalience | None = None
    document_video: VideoSalience | None = None
    method: ExplainMethod = "occlusion"
    grouped: bool = False
    n_evaluations: int = 0
    instruction: str = ""
    faithfulness: Faithfulness | None = None
    n_samples: int | None = None
    steps: int | None = None
    convergence_delta: float | None = None
    seed: int | None = None

    def max_abs_weight(self) -> float:
        """Largest |weight| over all text units, image cells and clip frames (for a shared colour scale); 0 if none."""
        vals = [abs(t.weight) for t in self.query_tokens + self.document_tokens]
        for grid in (self.query_image, self.document_image, self.query_video, self.document_video):
            if grid is not None and grid.weights.size:
                vals.append(float(np.abs(grid.weights).max()))
        return max(vals, default=0.0)

    def top_document_tokens(self, n: int) -> list[TokenWeight]:
        """The ``n`` document units that pushed most towards "relevant" (largest positive weight), best first."""
        positive = [t for t in self.document_tokens if t.weight > 0]
        return sorted(positive, key=lambda t: (-t.weight, t.start))[:n]


@dataclass
class ContrastiveExplanation:
    """Why document A scores above (or below) document B for one query: the gap ``lo(A) - lo(B)`` and what moves it.

    Attributes:
        query_text, a_text, b_text: the texts.
        score_a, score_b, log_odds_a, log_odds_b: the two predictions.
        query_tokens: each query unit's effect on the gap (the same query variant scored against both titles).
        a_tokens: each unit of A's text and its effect on lo(A) (= its effect on the gap).
        b_tokens: each unit of B's text and its effect on lo(B) (the gap moves by minus this).
        method: how the effects were computed (``"occlusion"``, ``"shapley"``, ``"gradient"``, ``"ig"``).
        n_evaluations: scored pairs (or forward/backward passes) it cost.
        instruction: the instruction both pairs were scored with.
        faithfulness: the deletion curve on the gap (units of all three texts).
        grouped: long texts were grouped into multi-word units.
    """

    query_text: str | None
    a_text: str | None
    b_text: str | None
    score_a: float
    score_b: float
    log_odds_a: float
    log_odds_b: float
    query_tokens: list[TokenWeight] = field(default_factory=list)
    a_tokens: list[TokenWeight] = field(default_factory=list)
    b_tokens: list[TokenWeight] = field(default_factory=list)
    method: ExplainMethod = "occlusion"
    n_evaluations: int = 0
    instruction: str = ""
    faithfulness: Faithfulness | None = None
    grouped: bool = False

    @property
    def gap(self) -> float:
        """``lo(A) - lo(B)``: positive when A ranks above B."""
        return self.log_odds_a - self.log_odds_b

    def gap_effects(self) -> float:
        """The units' effects on the gap, added up: query units + A's units - B's units (equals the gap for Shapley
        values, and for occlusion on a model that adds up word weights)."""
        return (
            sum(t.weight for t in self.query_tokens)
            + sum(t.weight for t in self.a_tokens)
            - sum(t.weight for t in self.b_tokens)
        )

    def max_abs_weight(self) -> float:
        """Largest |weight| over the three texts (for one colour scale); 0 if none."""
        return max((abs(t.weight) for t in self.query_tokens + self.a_tokens + self.b_tokens), default=0.0)


@dataclass(frozen=True)
class ImageRun:
    """Where one image sits among a prompt's input positions (for gradient salience).

    Attributes:
        positions: the input positions of the image's tokens, in order.
        grid: ``(t, rows, cols)``: the merged patch grid the tokens cover (``t`` temporal patches).
        size: (width, height) of the image the grid covers.
    """

    positions: tuple[int, ...]
    grid: tuple[int, int, int]
    size: tuple[int, int]


@dataclass(frozen=True)
class VideoRun:
    """Where one clip sits among a prompt's input positions (for gradient salience).

    Attributes:
        positions: the input positions of the clip's video pads, in order (temporal patch by temporal patch).
        grid: ``(t, rows, cols)``: temporal patches and the merged patch grid of each.
        units: for each temporal patch, the sampled frames it covers.
        timestamps: seconds of each sampled frame.
        frames: thumbnails of the sampled frames.
    """

    positions: tuple[int, ...]
    grid: tuple[int, int, int]
    units: tuple[tuple[int, ...], ...]
    timestamps: tuple[float, ...]
    frames: tuple[Image.Image, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class TokenAttributions:
    """Per-input-position attributions of one pair's log-odds, as a model computed them (gradient x input).

    Attributes:
        score, log_odds: the pair's prediction.
        attributions: ``(L,)`` one value per input position of the prompt.
        offsets: ``(L,)`` character offsets ``(start, end)`` of each position in ``prompt``.
        prompt: the rendered prompt text the offsets refer to.
        text_spans: ``{"query"|"document": (start, end)}``: where each side's text (as scored, possibly cut) lies in
            ``prompt``; a side without text (or whose text was cut away) is absent.
        images: ``{"query"|"document": ImageRun}`` of each side's image.
        instruction: the instruction the pair was scored with.
        videos: ``{"query"|"document": VideoRun}`` of each side's clip.
        steps: integration steps (integrated gradients), ``None`` for gradient x input.
        convergence_delta: integrated gradients' completeness error, ``sum(attributions) - (log_odds -
            baseline_log_odds)``; ``None`` for gradient x input.
        n_passes: forward/backward passes it cost.
    """

    score: float
    log_odds: float
    attributions: np.ndarray
    offsets: tuple[tuple[int, int], ...]
    prompt: str
    text_spans: dict[str, tuple[int, int]]
    images: dict[str, ImageRun]
    instruction: str
    videos: dict[str, VideoRun] = field(default_factory=dict)
    steps: int | None = None
    convergence_delta: float | None = None
    n_passes: int = 1


__all__ = [
    "FAITHFULNESS_BINS",
    "MODALITY_PARTS",
    "RANDOM_SHUFFLES",
    "ContrastiveExplanation",
    "ExplainMethod",
    "Explanation",
    "Faithfulness",
    "ImageRun",
    "ImageSalience",
    "ModalityShares",
    "TokenAttributions",
    "TokenWeight",
    "VideoRun",
    "VideoSalience",
]
