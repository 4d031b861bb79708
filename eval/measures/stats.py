"""Uncertainty and significance over per-query metric values.

* :func:`bootstrap_ci` — percentile bootstrap of the mean: resample the *queries* with replacement
  (``n_resamples`` = 1000 by default), take each resample's mean, and report the 2.5th and 97.5th percentiles
  (numpy's default linear interpolation). Seeded (``seed`` = 0), so the same values give the same interval.
* :func:`randomization_test` — paired two-sided randomization (sign-flip permutation) test of
  ``mean(a - b) == 0``: under the null hypothesis the two systems are exchangeable on each query, so the sign of each
  per-query difference is flipped at random ``n_permutations`` times (10 000 by default, seeded). The p-value is
  ``(1 + #{|mean of flipped| >= |observed mean|}) / (1 + n_permutations)`` (Phipson & Smyth's correction: never 0;
  identical runs give exactly 1).
* :func:`wins_ties_losses` — per-query comparison; a tie is exact equality of the two values.

These are the conventions of Smucker, Allan & Carterette (CIKM 2007) for IR significance testing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lychee.validation import positive_int

BOOTSTRAP_RESAMPLES = 1000
PERMUTATIONS = 10_000
SEED = 0
# Resampled means are compared with the observed one after float summation; values this close count as equal, so
# that flipping the signs of zero differences (or re-ordering a sum) never counts as "less extreme".
_EPS = 1e-12
_CHUNK = 1000


def _as_values(values: Sequence[float], what: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a flat sequence of per-query values, got shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be finite numbers, got {values!r}.")
    return arr


def _check_count(n: int, what: str) -> None:
    positive_int(n, what)


def bootstrap_ci(
    values: Sequence[float],
    *,
    n_resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = 0.95,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-query values.

    Args:
        values: one metric value per query.
        n_resamples: bootstrap resamples of the queries.
        confidence: the interval's coverage, e.g. 0.95.
        seed: seed of numpy's ``default_rng``.

    Returns:
        ``(low, high)``; ``(v, v)`` for a single query, ``(0.0, 0.0)`` for none.

    Example:
        >>> bootstrap_ci([0.2, 0.4, 0.9, 1.0])
        (0.3, 0.95)
    """
    arr = _as_values(values, "values")
    _check_count(n_resamples, "n_resamples")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}.")
    if arr.size == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, arr.size, size=(n_resamples, arr.size))
    means = arr[idx].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return float(low), float(high)


def randomization_test(
    a: Sequence[float],
    b: Sequence[float],
    *,
    n_permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> float:
    """Two-sided paired randomization test p-value for ``mean(a) == mean(b)``.

    Args:
        a: per-query values of system A.
        b: per-query values of system B, same queries in the same order.
        n_permutations: random sign flips.
        seed: seed of numpy's ``default_rng``.

    Returns:
        The p-value in ``(0, 1]``.

    Raises:
        ValueError: ``a`` and ``b`` differ in length or hold non-finite values.
    """
    x, y = _as_values(a, "a"), _as_values(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must hold one value per query each, got {x.size} and {y.size} values.")
    _check_count(n_permutations, "n_permutations")
    if x.size == 0:
        return 1.0
    diff = x - y
    observed = abs(diff.mean())
    rng = np.random.default_rng(seed)
    extreme = 0
    for start in range(0, n_permutations, _CHUNK):
        n = min(_CHUNK, n_permutations - start)
        signs = rng.integers(0, 2, size=(n, diff.size)) * 2 - 1
        flipped = np.abs((signs * diff).mean(axis=1))
        extreme += int(np.count_nonzero(flipped >= observed - _EPS))
    return (1 + extreme) / (1 + n_permutations)


def wins_ties_losses(a: Sequence[float], b: Sequence[float]) -> dict[str, int]:
    """How many queries A beats, ties (exactly equal) and loses to B."""
    x, y = _as_values(a, "a"), _as_values(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must hold one value per query each, got {x.size} and {y.size} values.")
    return {
        "wins": int(np.count_nonzero(x > y)),
        "ties": int(np.count_nonzero(x == y)),
        "losses": int(np.count_nonzero(x < y)),
    }


__all__ = ["BOOTSTRAP_RESAMPLES", "PERMUTATIONS", "SEED", "bootstrap_ci", "randomization_test", "wins_ties_losses"]
