"""How far to trust an explanation: its deletion curve, comprehensiveness and sufficiency (ERASER, DeYoung et al.
2020), against a random order.

For the units of the explained side, ordered by weight (descending, ties in text order), and each bin ``b`` of
:data:`~lychee.explanation.FAITHFULNESS_BINS`, the top ``k = max(1, ceil(b * n))`` units are removed ("without") or
kept alone ("only"), exactly as occlusion removes a unit (:class:`~lychee.salience.masking.PairMasker`)::

    comprehensiveness = mean over bins of  v(full) - v(without the top k)   # a faithful ranking removes a lot
    sufficiency       = mean over bins of  v(full) - v(only the top k)      # ... and keeps the score with little

where ``v`` is the log-odds (a contrast: the gap). The same for five seeded random orders, averaged, is the floor a
method has to beat. Every variant of every bin, the random ones included, is scored in **one** ``predict_pairs`` call
(distinct pairs once; the full pair is not scored again).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from lychee.explanation import FAITHFULNESS_BINS, RANDOM_SHUFFLES, Faithfulness
from lychee.salience.games import Game, PairScores


def bin_sizes(n_units: int, bins: Sequence[float] = FAITHFULNESS_BINS) -> tuple[int, ...]:
    """``k = max(1, ceil(b * n_units))`` for each bin fraction ``b`` (at most ``n_units``)."""
    return tuple(min(n_units, max(1, math.ceil(b * n_units - 1e-9))) for b in bins)


def weight_order(pool: Sequence[int], weights: Sequence[float]) -> list[int]:
    """The players of ``pool`` (in text order) sorted by ``weights[i]`` (of player ``i``) descending, ties in text
    order."""
    position = {p: k for k, p in enumerate(pool)}
    return sorted(pool, key=lambda p: (-weights[p], position[p]))


def random_orders(pool: Sequence[int], seed: int, shuffles: int = RANDOM_SHUFFLES) -> list[list[int]]:
    """``shuffles`` random orders of ``pool`` from one seeded generator (the same seed, the same orders)."""
    rng = np.random.default_rng(seed)
    return [[pool[i] for i in rng.permutation(len(pool))] for _ in range(shuffles)]


class _Curve:
    """The requests of one ordering: for each k, the pool without the top k and the pool with only the top k."""

    def __init__(self, game: Game, scores: PairScores, order: Sequence[int], ks: Sequence[int]) -> None:
        # players outside the pool stay as they are in both variants
        self.removed = [scores.request(game, sorted(order[:k])) for k in ks]
        self.kept = [scores.request(game, sorted(order[k:])) for k in ks]

    def values(self, scores: PairScores) -> tuple[list[float], list[float]]:
        return [scores.value(h) for h in self.removed], [scores.value(h) for h in self.kept]


def deletion_curve(
    game: Game,
    pool: Sequence[int],
    weights: Sequence[float],
    run: Callable[[PairScores], int],
    *,
    side: str,
    labels: Sequence[str] = (),
    base: float | None = None,
    seed: int = 0,
    scores: PairScores | None = None,
) -> Faithfulness | None:
    """The deletion curve of ``weights`` over the players ``pool`` of ``game`` (see the module docstring).

    Args:
        game: values of the pair (or the gap) without some players.
        pool: the explained side's players, in text order (the curve removes only these).
        weights: one weight per player of ``game`` (only the pool's are read).
        run: scores the requests of a :class:`PairScores` in one call; returns how many pairs it scored.
        side: what the pool is (``"document"``, ``"query"``, ``"gap"``).
        labels: each player's text, for :attr:`Faithfulness.top_units`.
        base: ``v(full)`` when already known (it is then not scored again).
        seed: seeds the random orders.
        scores: a :class:`PairScores` that already knows the full pair (else a new one).

    Returns:
        A :class:`~lychee.explanation.Faithfulness`, or ``None`` for an empty pool.
    """
    pool = list(pool)
    if not pool:
        return None
    scores = scores if scores is not None else PairScores()
    ks = bin_sizes(len(pool))
    order = weight_order(pool, weights)
    full = scores.request(game, ()) if base is None else None
    method = _Curve(game, scores, order, ks)
    shuffled = [_Curve(game, scores, o, ks) for o in random_orders(pool, seed)]
    n_scored = run(scores)
    base_value = scores.value(full) if full is not None else float(base)
    removed, kept = method.values(scores)
    rand = [c.values(scores) for c in shuffled]
    random_removed = np.mean([r for r, _ in rand], axis=0).tolist()
    random_kept = np.mean([k for _, k in rand], axis=0).tolist()
    return Faithfulness(
        side=side,
        n_units=len(pool),
        ks=ks,
        base=base_value,
        removed=tuple(removed),
        kept=tuple(kept),
        random_removed=tuple(random_removed),
        random_kept=tuple(random_kept),
        comprehensiveness=float(np.mean([base_value - v for v in removed])),
        sufficiency=float(np.mean([base_value - v for v in kept])),
        random_comprehensiveness=float(np.mean([base_value - v for v in random_removed])),
        random_sufficiency=float(np.mean([base_value - v for v in random_kept])),
        top_units=tuple(labels[p] for p in order) if labels else (),
        n_evaluations=n_scored,
        seed=seed,
    )


__all__ = ["bin_sizes", "deletion_curve", "random_orders", "weight_order"]
