"""Gradient salience: per-position attributions of the log-odds, summed into the same units as occlusion.

The model part is the scorer's: ``token_attributions`` (gradient x input: one forward and one backward pass, where each
input position's attribution is ``sum_d grad(log_odds)[d] * embedding[d]``) or ``integrated_gradients`` (Captum's
``LayerIntegratedGradients`` on the same embeddings, ``steps`` steps, with its convergence delta). This module turns
those into an :class:`~lychee.explanation.Explanation`: text positions are summed per word unit of :func:`segment`
(each token goes to the unit it overlaps most), image positions are laid out on the merged patch grid and summed over
time, and a clip's video pads are summed per temporal patch (the two sampled frames the vision encoder reads together
share one weight).
Words cut away by truncation get weight 0 (the model never saw them).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from lychee.explanation import (
    Explanation,
    ImageRun,
    ImageSalience,
    TokenAttributions,
    TokenWeight,
    VideoRun,
    VideoSalience,
)
from lychee.items import Item


@runtime_checkable
class TokenAttributor(Protocol):
    """A scorer that can attribute a pair's log-odds to its input positions (the VLM scorers)."""

    def token_attributions(self, query: Item, document: Item, instruction: str) -> TokenAttributions: ...

    def integrated_gradients(
        self, query: Item, document: Item, instruction: str, *, steps: int = ...
    ) -> TokenAttributions: ...


def _text_weights(
    original: Item, span: tuple[int, int] | None, attr: TokenAttributions, max_units: int | None
) -> tuple[list[TokenWeight], bool]:
    from lychee.salience.units import segment

    if not original.has_text:
        return [], False
    units, grouped = segment(original.text, max_units)
    weights = [0.0] * len(units)
    if span is not None:
        start, end = span
        for t, (s, e) in enumerate(attr.offsets):
            if e <= start or s >= end or e <= s:
                continue
            rel_start, rel_end = max(s, start) - start, min(e, end) - start
            best, best_overlap = None, 0
            for u, (us, ue) in enumerate(units):
                overlap = min(rel_end, ue) - max(rel_start, us)
                if overlap > best_overlap:
                    best, best_overlap = u, overlap
            if best is not None:
                weights[best] += float(attr.attributions[t])
    tokens = [TokenWeight(original.text[s:e], s, e, w) for (s, e), w in zip(units, weights)]
    return tokens, grouped


def _image_map(run: ImageRun | None, attributions: np.ndarray) -> ImageSalience | None:
    if run is None:
        return None
    t, rows, cols = run.grid
    if t * rows * cols != len(run.positions):
        raise ValueError(f"image has {len(run.positions)} tokens but the grid {run.grid} expects {t * rows * cols}.")
    values = attributions[list(run.positions)].astype(np.float64).reshape(t, rows, cols).sum(0)
    return ImageSalience(weights=values, rows=rows, cols=cols, size=run.size)


def _video_map(run: VideoRun | None, attributions: np.ndarray) -> VideoSalience | None:
    if run is None:
        return None
    t, rows, cols = run.grid
    if t * rows * cols != len(run.positions):
        raise ValueError(f"clip has {len(run.positions)} tokens but the grid {run.grid} expects {t * rows * cols}.")
    values = attributions[list(run.positions)].astype(np.float64).reshape(t, rows * cols).sum(1)
    return VideoSalience(weights=values, units=run.units, timestamps=run.timestamps, frames=run.frames)


def gradient(
    scorer: TokenAttributor,
    query: Item,
    document: Item,
    instruction: str,
    *,
    max_units: int | None = 64,
    method: str = "gradient",
    steps: int | None = None,
) -> Explanation:
    """Gradient x input (``method="gradient"``) or integrated gradients (``"ig"``, ``steps`` steps) salience of one
    (already validated) pair; see the module docstring.

    Args:
        scorer: a scorer with ``token_attributions`` / ``integrated_gradients`` (the method is in
            ``scorer.capabilities.explain_methods``).
        query, document: the pair.
        instruction: the resolved instruction.
        max_units: at most this many units per text (as for occlusion).
        method: ``"gradient"`` or ``"ig"``.
        steps: integration steps for ``"ig"`` (``None``: the scorer's default).
    """
    if method == "ig":
        options = {} if steps is None else {"steps": steps}
        attr = scorer.integrated_gradients(query, document, instruction, **options)
    else:
        attr = scorer.token_attributions(query, document, instruction)
    q_tokens, q_grouped = _text_weights(query, attr.text_spans.get("query"), attr, max_units)
    d_tokens, d_grouped = _text_weights(document, attr.text_spans.get("document"), attr, max_units)
    return Explanation(
        score=attr.score,
        log_odds=attr.log_odds,
        query_text=query.text,
        document_text=document.text,
        query_tokens=q_tokens,
        document_tokens=d_tokens,
        query_image=_image_map(attr.images.get("query"), attr.attributions),
        document_image=_image_map(attr.images.get("document"), attr.attributions),
        query_video=_video_map(attr.videos.get("query"), attr.attributions),
        document_video=_video_map(attr.videos.get("document"), attr.attributions),
        method="ig" if method == "ig" else "gradient",
        grouped=q_grouped or d_grouped,
        n_evaluations=attr.n_passes,
        instruction=attr.instruction,
        steps=attr.steps,
        convergence_delta=attr.convergence_delta,
    )


__all__ = ["TokenAttributor", "gradient"]
