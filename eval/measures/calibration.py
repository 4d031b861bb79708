"""Does the model's score mean what the dashboard's bands say? Score versus label.

* :func:`reliability` — the pairs are put in equal-width score bins over [0, 1] (bin ``i`` holds
  ``i/bins <= score < (i+1)/bins``, the last bin also holds 1.0); each bin reports its count, mean label and fraction
  relevant (label >= 1). For a calibrated P(yes) the fraction relevant of a bin is close to its scores.
* :func:`best_f1_threshold` — the threshold ``t`` on a fixed grid (0.00, 0.01, ..., 1.00: the steps of the
  dashboard's band sliders) that maximises F1 of "score >= t means relevant (label >= 1)". Ties between thresholds
  go to the highest one (the strictest rule that does as well). Because the answer is a grid value and depends only
  on which side of each grid point a score falls, it does not move with float noise in the last digits of scores.
* :func:`threshold_report` — precision, recall and F1 of the same rule at given thresholds, e.g. the bands' 0.55
  (medium) and 0.75 (strong), so an analyst sees whether the bands suit this model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from lychee.validation import positive_int

GRID_STEP = 0.01
_GRID = np.array([i / 100 for i in range(101)])


def _check(scores: Sequence[float], labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels)
    if s.ndim != 1 or y.ndim != 1 or s.size != y.size:
        raise ValueError(f"scores and labels must be flat and of equal length, got {s.size} scores and {y.size} labels.")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite numbers (probabilities in [0, 1]); got NaN or infinity.")
    if s.size and (s.min() < 0.0 or s.max() > 1.0):
        raise ValueError(
            f"scores must be probabilities in [0, 1] for calibration, got values in [{s.min()}, {s.max()}]. "
            "Calibrate P(yes) scores, not BM25 or rank-based scores."
        )
    return s, y.astype(np.int64)


def reliability(scores: Sequence[float], labels: Sequence[int], *, bins: int = 10) -> list[dict[str, Any]]:
    """Per score bin: ``{"low", "high", "n", "mean_label", "fraction_relevant"}`` (``None`` for empty bins).

    Example:
        >>> reliability([0.05, 0.95, 0.91], [0, 2, 0], bins=2)[1]
        {'low': 0.5, 'high': 1.0, 'n': 2, 'mean_label': 1.0, 'fraction_relevant': 0.5}
    """
    positive_int(bins, "bins")
    s, y = _check(scores, labels)
    edges = [i / bins for i in range(bins + 1)]
    which = np.searchsorted(np.array(edges[1:-1]), s, side="right")
    rows = []
    for i in range(bins):
        mask = which == i
        n = int(mask.sum())
        rows.append(
            {
                "low": edges[i],
                "high": edges[i + 1],
                "n": n,
                "mean_label": float(y[mask].mean()) if n else None,
                "fraction_relevant": float((y[mask] >= 1).mean()) if n else None,
            }
        )
    return rows


def _prf(s: np.ndarray, relevant: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = s >= threshold
    tp = int(np.count_nonzero(predicted & relevant))
    fp = int(np.count_nonzero(predicted & ~relevant))
    fn = int(np.count_nonzero(~predicted & relevant))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1, "n_predicted": tp + fp}


def best_f1_threshold(scores: Sequence[float], labels: Sequence[int]) -> dict[str, float | None]:
    """The grid threshold with the highest F1 for ``label >= 1`` (ties: the highest threshold).

    Returns:
        ``{"threshold", "precision", "recall", "f1", "n_predicted"}``; ``threshold`` is ``None`` when no pair is
        relevant (F1 is then 0 everywhere).

    Example:
        >>> best_f1_threshold([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 0])["threshold"]  # t <= 0.3 gives F1 = 0.8
        0.3
    """
    s, y = _check(scores, labels)
    relevant = y >= 1
    if not relevant.any():
        return {"threshold": None, "precision": 0.0, "recall": 0.0, "f1": 0.0, "n_predicted": 0}
    best: dict[str, float] | None = None
    for t in _GRID:
        row = _prf(s, relevant, float(t))
        if best is None or row["f1"] >= best["f1"]:
            best = row
    return best  # type: ignore[return-value]


def threshold_report(
    scores: Sequence[float], labels: Sequence[int], thresholds: Mapping[str, float]
) -> dict[str, dict[str, float]]:
    """Precision/recall/F1 of ``score >= t`` for relevance ``label >= 1`` at each named threshold."""
    s, y = _check(scores, labels)
    out = {}
    for name, t in thresholds.items():
        if not 0.0 <= float(t) <= 1.0:
            raise ValueError(f"threshold {name!r} must be in [0, 1], got {t!r}.")
        out[name] = _prf(s, y >= 1, float(t))
    return out


def calibration_summary(
    scores: Sequence[float],
    labels: Sequence[int],
    *,
    medium: float,
    strong: float,
    bins: int = 10,
) -> dict[str, Any]:
    """``{"bins": reliability(...), "best_f1": best_f1_threshold(...), "bands": threshold_report(...)}``."""
    return {
        "bins": reliability(scores, labels, bins=bins),
        "best_f1": best_f1_threshold(scores, labels),
        "bands": threshold_report(scores, labels, {"medium": medium, "strong": strong}),
    }


__all__ = ["GRID_STEP", "best_f1_threshold", "calibration_summary", "reliability", "threshold_report"]
