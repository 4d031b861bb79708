"""Two rankings of the same documents side by side: rank order, Kendall's tau, top-k overlap and the joined table.

What the Batch rerank page's A/B shows (the same query and titles under two instructions or two models). Streamlit-free
so tests call it directly; the page's controller is :mod:`lychee.ui.batch.ab_view`.

Conventions:

* **Rank order** is :meth:`lychee.BaseScorer.rank`'s: score descending, then log-odds descending (NaN last), then
  input order. Every title therefore has one rank under each system, ties included.
* **Kendall's tau** is computed on those two rank vectors (permutations of ``1..n``, so tau-a and tau-b coincide):
  ``(concordant - discordant) / (n (n - 1) / 2)``, from +1 (same order) to -1 (reversed). Undefined (``None``) below two
  documents.
* **Top-k overlap** is ``|top k of A ∩ top k of B| / min(k, n)``: the share of A's first page that B keeps on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from lychee.bands import band
from lychee.results import rank_order

#: The cutoff of the overlap the Batch rerank page reports.
OVERLAP_K = 10

AB_COLUMNS = [
    "rank_a",
    "rank_b",
    "shift",
    "moved",
    "score_a",
    "score_b",
    "band_a",
    "band_b",
    "title",
    "original_rank",
    "log_odds_a",
    "log_odds_b",
    "duplicate_of",
]


def ranks_from_order(order: Sequence[int]) -> list[int]:
    """The 1-based rank of each input position, given :func:`rank_order`'s output (``[2, 0, 1]`` -> ``[2, 3, 1]``)."""
    ranks = [0] * len(order)
    for rank, i in enumerate(order, start=1):
        ranks[i] = rank
    return ranks


def _check_ranks(ranks_a: Sequence[int], ranks_b: Sequence[int]) -> int:
    n = len(ranks_a)
    if len(ranks_b) != n:
        raise ValueError(f"two rankings must rank the same documents: got {n} and {len(ranks_b)} ranks.")
    for what, ranks in (("A", ranks_a), ("B", ranks_b)):
        if sorted(ranks) != list(range(1, n + 1)):
            raise ValueError(
                f"ranking {what} must give each of the {n} documents one rank from 1 to {n}, got {list(ranks)}."
            )
    return n


def kendall_tau(ranks_a: Sequence[int], ranks_b: Sequence[int]) -> float | None:
    """Kendall's tau between two rankings of the same documents.

    Args:
        ranks_a: the 1-based rank of each document under A (input order).
        ranks_b: the same under B.

    Returns:
        tau in [-1, 1], or ``None`` for fewer than two documents (no pair to compare).

    Raises:
        ValueError: the rankings differ in length or are not permutations of ``1..n``.

    Example:
        >>> kendall_tau([1, 2, 3, 4], [2, 1, 4, 3])  # 2 of 6 pairs swapped
        0.3333333333333333
    """
    n = _check_ranks(ranks_a, ranks_b)
    if n < 2:
        return None
    discordant = sum(
        1 for i in range(n) for j in range(i + 1, n) if (ranks_a[i] - ranks_a[j]) * (ranks_b[i] - ranks_b[j]) < 0
    )
    pairs = n * (n - 1) // 2
    return (pairs - 2 * discordant) / pairs


@dataclass(frozen=True)
class Overlap:
    """How much of A's top ``k`` B keeps in its own top ``k``.

    Attributes:
        k: the cutoff asked for.
        depth: ``min(k, n)``, the size of each top list.
        shared: documents in both top lists.
    """

    k: int
    depth: int
    shared: int

    @property
    def fraction(self) -> float:
        """``shared / depth`` (1.0 for an empty list)."""
        return 1.0 if self.depth == 0 else self.shared / self.depth


def top_k_overlap(ranks_a: Sequence[int], ranks_b: Sequence[int], *, k: int = OVERLAP_K) -> Overlap:
    """The overlap of the two top-``k`` lists.

    Args:
        ranks_a: the 1-based rank of each document under A.
        ranks_b: the same under B.
        k: the cutoff, a positive integer.

    Raises:
        ValueError: a bad ``k``, or rankings that are not permutations of the same documents.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    n = _check_ranks(ranks_a, ranks_b)
    depth = min(k, n)
    top_a = {i for i in range(n) if ranks_a[i] <= depth}
    top_b = {i for i in range(n) if ranks_b[i] <= depth}
    return Overlap(k=k, depth=depth, shared=len(top_a & top_b))


def shift_label(rank_a: int, rank_b: int) -> str:
    """``'↑ 3'`` when B ranks a title 3 places higher than A, ``'↓ 2'`` lower, ``'='`` the same."""
    delta = rank_a - rank_b
    if delta > 0:
        return f"↑ {delta}"
    if delta < 0:
        return f"↓ {-delta}"
    return "="


def ab_table(
    titles: Sequence[str],
    scores_a: Sequence[float],
    scores_b: Sequence[float],
    *,
    log_odds_a: Sequence[float] | None = None,
    log_odds_b: Sequence[float] | None = None,
    duplicate_of: Sequence[int | None] | None = None,
    strong: float,
    medium: float,
) -> pd.DataFrame:
    """One row per title, in A's order: both ranks, the shift, both scores and bands.

    Args:
        titles: the titles in input order.
        scores_a, scores_b: P(yes) per title under A and B, in input order.
        log_odds_a, log_odds_b: per title (tie-breaks), or ``None``.
        duplicate_of: per title, the original rank of the title it repeats, or ``None``.
        strong, medium: band thresholds.

    Returns:
        Columns :data:`AB_COLUMNS`; ``shift`` is ``rank_a - rank_b`` (positive: B ranks the title higher) and
        ``moved`` its label (``'↑ 3'``).

    Raises:
        ValueError: the sequences differ in length.
    """
    n = len(titles)
    nan = [math.nan] * n
    log_odds_a = list(log_odds_a) if log_odds_a is not None else nan
    log_odds_b = list(log_odds_b) if log_odds_b is not None else nan
    duplicate_of = list(duplicate_of) if duplicate_of is not None else [None] * n
    lengths = {
        "scores_a": len(scores_a),
        "scores_b": len(scores_b),
        "log_odds_a": len(log_odds_a),
        "log_odds_b": len(log_odds_b),
        "duplicate_of": len(duplicate_of),
    }
    bad = {name: size for name, size in lengths.items() if size != n}
    if bad:
        raise ValueError(f"ab_table: got {n} titles but {bad}; expected one value per title.")
    order_a = rank_order(scores_a, log_odds_a)
    ranks_a = ranks_from_order(order_a)
    ranks_b = ranks_from_order(rank_order(scores_b, log_odds_b))
    rows = [
        {
            "rank_a": ranks_a[i],
            "rank_b": ranks_b[i],
            "shift": ranks_a[i] - ranks_b[i],
            "moved": shift_label(ranks_a[i], ranks_b[i]),
            "score_a": float(scores_a[i]),
            "score_b": float(scores_b[i]),
            "band_a": band(float(scores_a[i]), strong=strong, medium=medium),
            "band_b": band(float(scores_b[i]), strong=strong, medium=medium),
            "title": titles[i],
            "original_rank": i + 1,
            "log_odds_a": float(log_odds_a[i]),
            "log_odds_b": float(log_odds_b[i]),
            "duplicate_of": duplicate_of[i],
        }
        for i in order_a
    ]
    df = pd.DataFrame(rows, columns=AB_COLUMNS)
    df["duplicate_of"] = df["duplicate_of"].astype("Int64")
    return df


__all__ = [
    "AB_COLUMNS",
    "OVERLAP_K",
    "Overlap",
    "ab_table",
    "kendall_tau",
    "rank_order",
    "ranks_from_order",
    "shift_label",
    "top_k_overlap",
]
