"""Lychee: score and explain (query, document) relevance with multimodal rerankers.

Importing ``lychee`` is cheap; torch/transformers load when a scorer is built.
"""

from __future__ import annotations

from lychee.bands import BAND_COLORS, MEDIUM, STRONG, band
from lychee.items import Item, load_image
from lychee.scorers import DEFAULT_MODEL, ScorerConfig, load_scorer
from lychee.salience import Explanation, ImageSalience, TokenWeight
from lychee.scorers.base import DEFAULT_INSTRUCTION, BaseScorer, Prediction, Ranked, Scorer

__all__ = [
    "BAND_COLORS",
    "BaseScorer",
    "DEFAULT_INSTRUCTION",
    "DEFAULT_MODEL",
    "Explanation",
    "ImageSalience",
    "Item",
    "MEDIUM",
    "Prediction",
    "Ranked",
    "STRONG",
    "Scorer",
    "TokenWeight",
    "ScorerConfig",
    "band",
    "load_image",
    "load_scorer",
]
