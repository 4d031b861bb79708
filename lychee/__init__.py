"""Lychee: score and explain (query, document) relevance with multimodal rerankers.

Importing ``lychee`` is cheap; torch/transformers load when a scorer is built.
"""

from __future__ import annotations

from lychee.bands import BAND_COLORS, MEDIUM, STRONG, band
from lychee.contract import Capabilities, ModelInfo, RunStats, Scorer
from lychee.explanation import (
    ContrastiveExplanation,
    Explanation,
    Faithfulness,
    ImageSalience,
    ModalityShares,
    TokenWeight,
)
from lychee.items import Item, load_image
from lychee.results import Prediction, Ranked
from lychee.scorers import DEFAULT_MODEL, ScorerConfig, load_scorer
from lychee.scorers.base import DEFAULT_INSTRUCTION, BaseScorer
from lychee.video import Video, load_video

__all__ = [
    "BAND_COLORS",
    "DEFAULT_INSTRUCTION",
    "DEFAULT_MODEL",
    "MEDIUM",
    "STRONG",
    "BaseScorer",
    "Capabilities",
    "ContrastiveExplanation",
    "Explanation",
    "Faithfulness",
    "ImageSalience",
    "Item",
    "ModalityShares",
    "ModelInfo",
    "Prediction",
    "Ranked",
    "RunStats",
    "Scorer",
    "ScorerConfig",
    "TokenWeight",
    "Video",
    "band",
    "load_image",
    "load_scorer",
    "load_video",
]
