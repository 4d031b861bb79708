"""The AOPC bounds of normalized AOPC (Edin et al., 2024): how far any ordering of a pair's words could go.

AOPC here is ERASER's comprehensiveness, the mean over the bins' ``k`` of ``lo(full) - lo(without the top k)``. Its
range depends on the pair (a title whose score hangs on one word has a wide one), so Edin et al. normalise it by the
best and worst AOPC any ordering reaches::

    NAOPC = (AOPC(method) - AOPC_min) / (AOPC_max - AOPC_min)        # 1 = as faithful as possible, 0 = the worst

The exact bounds need every ordering; like Edin et al.'s beam search, a greedy search (beam width 1) approximates them:
it grows the removed set one word at a time, taking the word that lowers (for the maximum) or raises (for the
minimum) the log-odds most, up to the largest ``k``. Both searches share one ``predict_pairs`` call per step. A
greedy bound can be beaten by a method's own ordering, so the bounds are widened to every AOPC observed on the pair
(each method's and the random floor's) before normalising.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lychee.contract import Scorer
from lychee.items import Item
from lychee.salience.games import PairGame, PairScores
from lychee.salience.masking import PairMasker


def greedy_aopc_bounds(
    scorer: Scorer,
    query: Item,
    document: Item,
    instruction: str,
    *,
    spans: Sequence[tuple[int, int]],
    base: float,
    ks: Sequence[int],
) -> tuple[float, float, int]:
    """``(AOPC_min, AOPC_max, pairs scored)`` of the document's words ``spans`` by greedy search (module docstring)."""
    masker = PairMasker(query, document, parts={"document_text"}, spans={"document_text": list(spans)})
    game = PairGame(masker)
    n = len(masker)
    chosen: dict[str, list[int]] = {"max": [], "min": []}
    drops: dict[str, dict[int, float]] = {"max": {}, "min": {}}
    scored = 0
    for step in range(1, max(ks) + 1):
        scores = PairScores()
        handles = {
            side: {u: scores.request(game, picked + [u]) for u in range(n) if u not in picked}
            for side, picked in chosen.items()
        }
        scored += scores.run(scorer, instruction)
        for side, options in handles.items():
            values = {u: scores.value(h) for u, h in options.items()}
            pick = min(values, key=values.get) if side == "max" else max(values, key=values.get)
            chosen[side].append(pick)
            drops[side][step] = base - values[pick]
    low = float(np.mean([drops["min"][k] for k in ks]))
    high = float(np.mean([drops["max"][k] for k in ks]))
    return low, high, scored


def normalized_aopc(aopc: float, low: float, high: float) -> float | None:
    """``(aopc - low) / (high - low)``; ``None`` when every ordering gives the same AOPC (nothing to normalise)."""
    if high - low <= 1e-12:
        return None
    return (aopc - low) / (high - low)


__all__ = ["greedy_aopc_bounds", "normalized_aopc"]
