"""Why document A scores above (or below) document B for one query: a contrastive explanation of the gap
``lo(q, A) - lo(q, B)`` (log-odds).

The players are the query's words (each removed from *both* pairs: its effect on the gap), A's words and B's words.
With ``method="occlusion"`` each is removed in turn; with ``"shapley"`` Captum's Shapley value sampling plays the
gap game, so the effects add up to the gap exactly (empty A and empty B score alike); with ``"gradient"`` / ``"ig"``
(the VLMs) each pair is attributed and the query words' effect is the difference (gradients are linear in the
output). All the variants of both pairs go through one ``predict_pairs`` call; the deletion curve on the gap
removes the top units of all three texts (one more call).
"""

from __future__ import annotations

from typing import Any

from lychee.contract import Scorer
from lychee.explanation import ContrastiveExplanation, TokenWeight
from lychee.items import ItemLike, coerce_document, coerce_query
from lychee.results import ProgressCallback
from lychee.salience.faithfulness import deletion_curve
from lychee.salience.games import GapGame, PairGame, PairScores
from lychee.salience.masking import PairMasker
from lychee.salience.shapley import DEFAULT_N_SAMPLES, check_seed, shapley_values

TEXT_PARTS = ("query_text", "document_text")


def explain_pair(
    scorer: Scorer,
    query: ItemLike,
    a: ItemLike,
    b: ItemLike,
    instruction: str | None = None,
    *,
    method: str = "occlusion",
    max_units: int | None = 64,
    n_samples: int = DEFAULT_N_SAMPLES,
    steps: int | None = None,
    seed: int = 0,
    faithfulness: bool = True,
    progress: ProgressCallback | None = None,
) -> ContrastiveExplanation:
    """Explain ``lo(query, a) - lo(query, b)`` (see the module docstring).

    Args:
        scorer: any scorer; ``method`` one of its ``capabilities.explain_methods``.
        query, a, b: as for ``scorer.score`` (their words are the units; images and clips stay as they are).
        instruction: ``None`` for the model's default.
        method: ``"occlusion"``, ``"shapley"``, ``"gradient"`` or ``"ig"``.
        max_units: at most this many units per text.
        n_samples: Shapley value sampling's permutations.
        steps: integration steps for ``"ig"`` (``None``: the default).
        seed: Shapley's permutations and the deletion curve's random orders.
        faithfulness: attach the deletion curve on the gap.
        progress: ``progress(done, total)`` over each batched call.

    Returns:
        A :class:`~lychee.explanation.ContrastiveExplanation`.

    Example:
        >>> e = scorer.explain_pair("red running shoes", "Nike red running shoe", "blue ceramic teapot")
        >>> e.gap, [(t.text, round(t.weight, 2)) for t in e.query_tokens]
    """
    from lychee.salience import check_method

    check_method(scorer, method)
    seed = check_seed(seed)
    q = coerce_query(query)
    doc_a, doc_b = coerce_document(a, name="document A"), coerce_document(b, name="document B")
    scorer.check_modalities([q, doc_a, doc_b])
    instr = scorer.resolve_instruction(instruction)
    reads_video = scorer.capabilities.video
    masker_a = PairMasker(q, doc_a, parts=TEXT_PARTS, max_units=max_units, reads_video=reads_video)
    masker_b = PairMasker(q, doc_b, parts=TEXT_PARTS, max_units=max_units, reads_video=reads_video)
    game = GapGame(masker_a, masker_b, n_query=len(masker_a.spans["query"]))
    if method in ("gradient", "ig"):
        out = _by_gradients(scorer, q, doc_a, doc_b, instr, method=method, max_units=max_units, steps=steps)
    else:
        out = _by_perturbation(scorer, game, instr, method=method, n_samples=n_samples, seed=seed, progress=progress)
    out.grouped = masker_a.grouped or masker_b.grouped
    if faithfulness:
        weights = [t.weight for t in out.query_tokens + out.a_tokens] + [-t.weight for t in out.b_tokens]
        labels = [t.text for t in out.query_tokens + out.a_tokens + out.b_tokens]
        out.faithfulness = deletion_curve(
            game,
            list(range(game.n_players)),
            weights,
            lambda scores: scores.run(scorer, instr, progress=progress),
            side="gap",
            labels=labels,
            base=out.gap,
            seed=seed,
        )
    return out


def _by_perturbation(
    scorer: Scorer, game: GapGame, instruction: str, *, method: str, n_samples: int, seed: int, progress: Any
) -> ContrastiveExplanation:
    """Occlusion (each player removed in turn) or Shapley value sampling of the gap game, in one batched call."""
    scores = PairScores()
    full_a = scores.request(PairGame(game.masker_a), ())
    full_b = scores.request(PairGame(game.masker_b), ())

    def run() -> int:
        return scores.run(scorer, instruction, progress=progress)

    if method == "shapley":
        effects, n_scored = shapley_values(game, scores, run, n_samples=n_samples, seed=seed)
        lo_a, lo_b = scores.value(full_a), scores.value(full_b)
    else:
        singles = [scores.request(game, (i,)) for i in range(game.n_players)]
        n_scored = run()
        lo_a, lo_b = scores.value(full_a), scores.value(full_b)
        effects = [(lo_a - lo_b) - scores.value(h) for h in singles]
    nq, na = game.n_query, game.n_a
    return ContrastiveExplanation(
        query_text=game.masker_a.query.text,
        a_text=game.masker_a.document.text,
        b_text=game.masker_b.document.text,
        score_a=scores.score(full_a),
        score_b=scores.score(full_b),
        log_odds_a=lo_a,
        log_odds_b=lo_b,
        query_tokens=_tokens(game.masker_a, "query", effects[:nq]),
        a_tokens=_tokens(game.masker_a, "document", effects[nq : nq + na]),
        b_tokens=_tokens(game.masker_b, "document", [-e for e in effects[nq + na :]]),
        method=method,
        n_evaluations=n_scored,
        instruction=instruction,
    )


def _by_gradients(
    scorer: Scorer, query: Any, a: Any, b: Any, instruction: str, *, method: str, max_units: Any, steps: Any
) -> ContrastiveExplanation:
    """Gradient x input or integrated gradients of each pair; the query words' effect on the gap is the difference."""
    from lychee.salience import explain

    options: dict[str, Any] = {"max_units": max_units, "faithfulness": False}
    if method == "ig" and steps is not None:
        options["steps"] = steps
    e_a = explain(scorer, query, a, instruction, method=method, **options)
    e_b = explain(scorer, query, b, instruction, method=method, **options)
    query_tokens = [
        TokenWeight(ta.text, ta.start, ta.end, ta.weight - tb.weight)
        for ta, tb in zip(e_a.query_tokens, e_b.query_tokens)
    ]
    return ContrastiveExplanation(
        query_text=e_a.query_text,
        a_text=e_a.document_text,
        b_text=e_b.document_text,
        score_a=e_a.score,
        score_b=e_b.score,
        log_odds_a=e_a.log_odds,
        log_odds_b=e_b.log_odds,
        query_tokens=query_tokens,
        a_tokens=list(e_a.document_tokens),
        b_tokens=list(e_b.document_tokens),
        method=method,
        n_evaluations=e_a.n_evaluations + e_b.n_evaluations,
        instruction=instruction,
    )


def _tokens(masker: PairMasker, side: str, weights: list[float]) -> list[TokenWeight]:
    item = masker.query if side == "query" else masker.document
    return [TokenWeight(item.text[s:e], s, e, float(w)) for (s, e), w in zip(masker.spans[side], weights)]


__all__ = ["explain_pair"]
