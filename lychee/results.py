"""What scoring returns: :class:`Prediction` (one scored pair), :class:`Ranked` (one entry of a ranking), and the
``progress(done, total)`` callback type every long call accepts.

A leaf module: it imports nothing of the project but :mod:`lychee.items` (for the document type of ``Ranked``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from lychee.items import Item

ProgressCallback: TypeAlias = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each scored batch."""

PATH_PREFIX = "prefix"
PATH_PLAIN = "plain"


@dataclass(frozen=True)
class Prediction:
    """One scored pair.

    Attributes:
        score: P(yes) in [0, 1].
        log_odds: the logit of ``score`` (for the VLM: ``z_yes - z_no`` at the answer position). Explanations and
            calibration work on log-odds because P saturates near 0 and 1.
        truncated: the pair was longer than the scorer's max length and lost text (document first, then query).
        n_tokens: the pair's length in tokens as scored, when the scorer knows it.
        path: how the VLM scorer computed it: ``"prefix"`` (the query's shared prompt prefix run once, its KV cache
            reused for the document suffixes) or ``"plain"`` (the whole prompt); ``None`` for single-path scorers.
    """

    score: float
    log_odds: float
    truncated: bool = False
    n_tokens: int | None = None
    path: str | None = None


@dataclass(frozen=True)
class Ranked:
    """One entry of ``scorer.rank``: ``index`` is the document's position in the input list; ``log_odds``,
    ``truncated`` and ``n_tokens`` are those of its :class:`Prediction`."""

    index: int
    score: float
    document: Item
    log_odds: float = float("nan")
    truncated: bool = False
    n_tokens: int | None = None


def rank_order(scores: Sequence[float], log_odds: Sequence[float] | None = None) -> list[int]:
    """Input positions (0-based), best first: score, then log-odds (NaN last), then input order — the one ranking
    rule of the library, the HTTP API and the pages.

    Args:
        scores: P(yes) per document, in input order.
        log_odds: per document, or ``None``.

    Returns:
        A permutation of ``range(len(scores))``.

    Raises:
        ValueError: ``log_odds`` is not one value per score.

    Example:
        >>> rank_order([0.2, 0.9, 0.9], [-1.0, 2.0, 3.0])
        [2, 1, 0]
    """
    n = len(scores)
    if log_odds is None:
        log_odds = [math.nan] * n
    if len(log_odds) != n:
        raise ValueError(f"rank_order: got {n} scores but {len(log_odds)} log-odds; expected one per score.")

    def key(i: int) -> tuple[float, float, int]:
        lo = float(log_odds[i])
        return (-float(scores[i]), math.inf if math.isnan(lo) else -lo, i)

    return sorted(range(n), key=key)


def rank_predictions(predictions: Sequence[Prediction], documents: Sequence[Item]) -> list[Ranked]:
    """The documents sorted by :func:`rank_order` (score, then log-odds, then input order), best first."""
    order = rank_order([p.score for p in predictions], [p.log_odds for p in predictions])
    return [
        Ranked(
            i,
            predictions[i].score,
            documents[i],
            predictions[i].log_odds,
            predictions[i].truncated,
            predictions[i].n_tokens,
        )
        for i in order
    ]


def sigmoid(x: float) -> float:
    """Numerically stable logistic function."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


__all__ = [
    "PATH_PLAIN",
    "PATH_PREFIX",
    "Prediction",
    "ProgressCallback",
    "Ranked",
    "rank_order",
    "rank_predictions",
    "sigmoid",
]
