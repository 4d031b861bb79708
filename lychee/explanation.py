"""Explanation types: why a pair scored what it scored (per-word, per-image-cell and per-frame weights on the
log-odds).

A leaf module (numpy and PIL only): salience methods build these, pages and the HTTP API read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from PIL import Image

ExplainMethod = Literal["occlusion", "gradient"]


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


@dataclass
class Explanation:
    """Why a pair scored what it scored.

    Attributes:
        score: P(yes) of the original pair.
        log_odds: its log-odds.
        query_tokens / document_tokens: per-unit signed weights, in text order (empty when there is no text).
        query_image / document_image: grid weights per image, or ``None``.
        query_video / document_video: per-frame weights per clip, or ``None``.
        method: ``"occlusion"`` or ``"gradient"``.
        grouped: True when a long text was split into fewer, multi-word units (``max_units``).
        n_evaluations: scored pairs (occlusion) or forward/backward passes (gradient) it cost.
        instruction: the instruction the pair was scored with.
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


__all__ = [
    "ExplainMethod",
    "Explanation",
    "ImageRun",
    "ImageSalience",
    "TokenAttributions",
    "TokenWeight",
    "VideoRun",
    "VideoSalience",
]
