"""Score bands: strong >= 0.75, medium 0.55-0.75, weak < 0.55 (thresholds adjustable)."""

from __future__ import annotations

from typing import Literal

Band = Literal["strong", "medium", "weak"]
STRONG = 0.75
MEDIUM = 0.55
BAND_COLORS: dict[str, str] = {"strong": "#2e7d32", "medium": "#f9a825", "weak": "#c62828"}


def band(score: float, *, strong: float = STRONG, medium: float = MEDIUM) -> Band:
    """The band of ``score``: ``"strong"`` if >= ``strong``, ``"medium"`` if >= ``medium``, else ``"weak"``."""
    if not 0.0 <= medium <= strong <= 1.0:
        raise ValueError(
            f"band thresholds must satisfy 0 <= medium <= strong <= 1, got medium={medium}, strong={strong}."
        )
    if score >= strong:
        return "strong"
    if score >= medium:
        return "medium"
    return "weak"


__all__ = ["BAND_COLORS", "MEDIUM", "STRONG", "Band", "band"]
