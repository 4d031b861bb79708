"""Model-agnostic occlusion salience on the log-odds.

For one (query, document) pair, each word of the query text and of the document text is removed in turn, each cell
of a grid over each image is greyed, and each sampled frame of each clip is greyed (the clip keeps its timing); every
variant is scored in one batched call. A unit's weight is

    weight = log_odds(original pair) - log_odds(pair without that unit)

so a positive weight means the unit pushed the model towards "yes" (relevant), a negative one towards "no". Log-odds,
not P(yes), because P saturates near 0 and 1 and would hide effects there. This is Captum's ``FeatureAblation`` with
each unit one feature and "removed" as the baseline (a test checks they agree); the difference is that every variant
goes through one ``predict_pairs`` call.

:func:`occlusion_many` explains several documents of one query at once: every variant of every document in one call,
and a base pair already scored (the rerank's) is reused, not scored again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from lychee.contract import Scorer
from lychee.explanation import Explanation
from lychee.items import ItemLike
from lychee.results import ProgressCallback
from lychee.salience.games import PairGame, PairScores, prepare_documents
from lychee.salience.masking import PARTS, PairMasker, check_parts


def occlusion(
    scorer: Scorer,
    query: ItemLike,
    document: ItemLike,
    instruction: str | None = None,
    *,
    max_units: int | None = 64,
    image_cells: int = 16,
    progress: ProgressCallback | None = None,
    parts: Collection[str] = PARTS,
) -> Explanation:
    """Occlusion salience for one pair (see module docstring).

    Args:
        scorer: any scorer from :func:`lychee.load_scorer`.
        query, document: as for ``scorer.score``.
        instruction: ``None`` for the scorer's default.
        max_units: at most this many units per text; longer texts are grouped into multi-word spans. ``None``: no limit.
        image_cells: cells per image grid (see :func:`~lychee.salience.units.grid_shape`).
        progress: ``progress(done, total)`` over the batched variant scoring.
        parts: which units to take away (:data:`PARTS`; default all). A part left out costs nothing and gets no
            weights (no tokens, no map), e.g. ``{"document_text"}`` for the document's words only.

    Returns:
        An :class:`Explanation`; costs ``1 + units + cells + sampled frames`` scored pairs, in one batched call.
    """
    return occlusion_many(
        scorer,
        query,
        [document],
        instruction,
        max_units=max_units,
        image_cells=image_cells,
        progress=progress,
        parts=parts,
    )[0]


def occlusion_many(
    scorer: Scorer,
    query: ItemLike,
    documents: Sequence[ItemLike],
    instruction: str | None = None,
    *,
    base_log_odds: Sequence[float | None] | None = None,
    max_units: int | None = 64,
    image_cells: int = 16,
    progress: ProgressCallback | None = None,
    parts: Collection[str] = PARTS,
) -> list[Explanation]:
    """Occlusion salience of each document of ``documents`` for one query: every variant of every document scored in
    **one** ``predict_pairs`` call.

    Args:
        base_log_odds: per document, the log-odds of the pair as already scored (e.g. by the rerank that ranked it),
            or ``None`` to score it with the variants. Its score is ``sigmoid(log_odds)``.
        (the rest as for :func:`occlusion`)

    Returns:
        One :class:`Explanation` per document, in input order.
    """
    check_parts(parts)
    q, docs, instr, bases = prepare_documents(scorer, query, documents, instruction, base_log_odds)
    scores = PairScores()
    plans = []
    for doc, base in zip(docs, bases):
        masker = PairMasker(
            q, doc, parts=parts, max_units=max_units, image_cells=image_cells, reads_video=scorer.capabilities.video
        )
        game = PairGame(masker)
        if base is not None:
            scores.known(masker.pair, base)
        full = scores.request(game, ())
        singles = [scores.request(game, (i,)) for i in range(len(masker))]
        plans.append((masker, full, singles))
    n_scored = scores.run(scorer, instr, progress=progress)
    out = []
    for masker, full, singles in plans:
        base = scores.value(full)
        weights = [base - scores.value(h) for h in singles]
        out.append(explanation_of(masker, base, scores.score(full), weights, instr, n_evaluations=1 + len(masker)))
    if len(docs) > 1:  # the distinct pairs really scored, shared among the documents
        for e in out:
            e.n_evaluations = min(e.n_evaluations, n_scored)
    return out


def explanation_of(
    masker: PairMasker,
    log_odds: float,
    score: float,
    weights: Sequence[float],
    instruction: str,
    *,
    n_evaluations: int,
    **fields: object,
) -> Explanation:
    """An :class:`Explanation` of ``masker``'s pair (P(yes) ``score``, ``log_odds``) from per-unit ``weights``."""
    return Explanation(
        score=score,
        log_odds=log_odds,
        query_text=masker.query.text,
        document_text=masker.document.text,
        **masker.weights_by_part(weights),
        method=fields.pop("method", "occlusion"),
        grouped=masker.grouped,
        n_evaluations=n_evaluations,
        instruction=instruction,
        **fields,
    )


__all__ = ["PARTS", "explanation_of", "occlusion", "occlusion_many"]
