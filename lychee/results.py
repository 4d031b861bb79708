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


def rank_predictions(predictions: Sequence[Prediction], documents: Sequence[Item]) -> list[Ranked]:
    """The documents sorted by score, best first; ties broken by log-odds, then input order (one home for the rule
    :meth:`lychee.BaseScorer.rank` and the HTTP API share)."""
    order = sorted(range(len(predictions)), key=lambda i: (-predictions[i].score, -predictions[i].log_odds, i))
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


__all__ = ["PATH_PLAIN", "PATH_PREFIX", "Prediction", "ProgressCallback", "Ranked", "rank_predictions", "sigmoid"]
