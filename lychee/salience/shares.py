"""Where a pair's score comes from: exact Shapley values over its parts (query text / image / clip, document text /
image / clip) — the share of the log-odds each part carries.

With ``n`` parts present (at most 6), every one of the ``2**n`` subsets is scored (at most 64, the pair itself
included; it is reused when already scored) in **one** ``predict_pairs`` call, a side left with no part scored as the
model's recipe renders an empty side. Each part's value is

    phi_p = sum over S not holding p of |S|! (n - |S| - 1)! / n! * (lo(S + p) - lo(S))

and by efficiency they add up to ``lo(pair) - lo(every part removed)``. :func:`modality_shares_many` does the same
for every document of one query in one call (a rerank's shares column, the API's ``"modality_shares": true``).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from lychee.contract import Scorer
from lychee.explanation import ModalityShares
from lychee.items import ItemLike
from lychee.results import ProgressCallback
from lychee.salience.games import PairScores, PartsGame, prepare_documents
from lychee.salience.shapley import exact_shapley, players_removed


def modality_shares(
    scorer: Scorer,
    query: ItemLike,
    document: ItemLike,
    instruction: str | None = None,
    *,
    base_log_odds: float | None = None,
    progress: ProgressCallback | None = None,
) -> ModalityShares:
    """The exact Shapley values of one pair's parts (see the module docstring).

    Args:
        scorer: any scorer.
        query, document: as for ``scorer.score``.
        instruction: ``None`` for the model's default.
        base_log_odds: the pair's log-odds when already scored (it is then not scored again).
        progress: ``progress(done, total)`` over the batched call.
    """
    bases = None if base_log_odds is None else [base_log_odds]
    return modality_shares_many(scorer, query, [document], instruction, base_log_odds=bases, progress=progress)[0]


def modality_shares_many(
    scorer: Scorer,
    query: ItemLike,
    documents: Sequence[ItemLike],
    instruction: str | None = None,
    *,
    base_log_odds: Sequence[float | None] | None = None,
    progress: ProgressCallback | None = None,
) -> list[ModalityShares]:
    """:func:`modality_shares` of every document of ``documents`` for one query, in one ``predict_pairs`` call
    (subsets shared between documents — the query alone, nothing at all — are scored once)."""
    q, docs, instr, bases = prepare_documents(scorer, query, documents, instruction, base_log_odds)
    scores = PairScores()
    plans = []
    for doc, base in zip(docs, bases):
        game = PartsGame(q, doc)
        if base is not None:
            scores.known((q, doc), base)
        n = game.n_players
        handles = {
            frozenset(present): scores.request(game, players_removed(n, present))
            for size in range(n + 1)
            for present in combinations(range(n), size)
        }
        plans.append((game, handles))
    n_scored = scores.run(scorer, instr, progress=progress)
    out = []
    for game, handles in plans:
        values = exact_shapley(game.n_players, lambda present, h=handles: scores.value(h[present]))
        out.append(
            ModalityShares(
                parts=game.parts,
                values=tuple(values),
                full_log_odds=scores.value(handles[frozenset(range(game.n_players))]),
                empty_log_odds=scores.value(handles[frozenset()]),
                n_evaluations=min(n_scored, 2**game.n_players),
            )
        )
    return out


__all__ = ["modality_shares", "modality_shares_many"]
