"""Rank correlation of two score lists over the same items: :func:`spearman`.

Spearman's rho is Pearson's correlation of the two lists' ranks, ties given their average rank
(``scipy.stats.rankdata`` ``method="average"``, so the value equals ``scipy.stats.spearmanr``'s). It is undefined —
``None`` — for fewer than two items or when either list is constant (its ranks have no variance): a served model
answering 0.5 for every pair has no ranking to correlate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def average_ranks(values: Sequence[float]) -> np.ndarray:
    """1-based ranks of ``values`` (ascending), ties sharing their average rank: ``[10, 20, 20] -> [1, 2.5, 2.5]``."""
    arr = np.asarray(values, dtype=np.float64)
    order = np.argsort(arr, kind="mergesort")
    ranks = np.empty(arr.size, dtype=np.float64)
    sorted_values = arr[order]
    start = 0
    while start < arr.size:
        end = start
        while end + 1 < arr.size and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rank correlation of ``a`` and ``b`` (one value per item, same order).

    Returns:
        rho in [-1, 1], or ``None`` when undefined (fewer than two items, or a constant list).

    Raises:
        ValueError: the lists differ in length or hold non-finite values.

    Example:
        >>> spearman([0.1, 0.5, 0.9], [0.2, 0.3, 0.8])
        1.0
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"spearman needs two flat lists of one value per item, got {x.size} and {y.size} values.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("spearman needs finite values; got NaN or infinity.")
    if x.size < 2:
        return None
    rx, ry = average_ranks(x), average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denominator = float(np.sqrt((rx * rx).sum() * (ry * ry).sum()))
    if denominator == 0.0:
        return None
    return float(np.clip((rx * ry).sum() / denominator, -1.0, 1.0))


__all__ = ["average_ranks", "spearman"]
