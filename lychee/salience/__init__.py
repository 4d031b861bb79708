"""Why a pair scored what it scored, and how far to trust the answer; all on the log-odds.

Methods (each scorer declares its own in ``capabilities.explain_methods``):

- ``occlusion`` (any scorer): each unit removed in turn (:mod:`~lychee.salience.occlusion`);
- ``shapley`` (any scorer): Captum's Shapley value sampling over the same units (:mod:`~lychee.salience.shapley`);
- ``gradient`` / ``ig`` (the VLMs): gradient x input and Captum's integrated gradients on the input embeddings
  (:mod:`~lychee.salience.gradient`).

:func:`explain` attaches the deletion curve (:mod:`~lychee.salience.faithfulness`) to every explanation; the units
(word spans, image grid cells, frames) live in :mod:`lychee.salience.units` and :mod:`lychee.salience.masking`, the
result types in :mod:`lychee.explanation`. :func:`~lychee.salience.contrast.explain_pair` explains why one document
ranks above another, :func:`~lychee.salience.shares.modality_shares` where a score comes from.
"""

from __future__ import annotations

from typing import Any

from lychee.contract import Scorer
from lychee.explanation import Explanation, Faithfulness, ImageSalience, TokenAttributions, TokenWeight
from lychee.items import Item, ItemLike, coerce_document, coerce_query
from lychee.results import ProgressCallback
from lychee.salience.faithfulness import deletion_curve
from lychee.salience.games import PairGame, PairScores
from lychee.salience.gradient import TokenAttributor, gradient
from lychee.salience.masking import PARTS, PairMasker, check_parts, with_sampled_clips
from lychee.salience.occlusion import explanation_of, occlusion
from lychee.salience.shapley import DEFAULT_N_SAMPLES, check_seed, shapley_values
from lychee.salience.units import OCCLUSION_GREY, grey_cell, grid_shape, remove_span, segment, weights_to_rgba

COMMON_OPTIONS = {"max_units", "image_cells", "progress", "faithfulness", "seed"}
METHOD_OPTIONS = {
    "occlusion": COMMON_OPTIONS | {"parts"},
    "shapley": COMMON_OPTIONS | {"parts", "n_samples"},
    "gradient": COMMON_OPTIONS,
    "ig": COMMON_OPTIONS | {"steps"},
}
NEEDS_A_VLM = {"gradient", "ig"}


def check_method(scorer: Scorer, method: str) -> None:
    """Refuse a method the scorer does not declare, saying which it offers."""
    methods = [repr(m) for m in scorer.capabilities.explain_methods]
    if method not in scorer.capabilities.explain_methods:
        hint = ""
        if method in NEEDS_A_VLM:
            hint = f" The model '{scorer.name}' offers no gradient salience; load a Qwen2.5-VL / Qwen3-VL checkpoint."
        offered = methods[0] if len(methods) == 1 else f"{', '.join(methods[:-1])} or {methods[-1]}"
        raise ValueError(f"method must be {offered}, got {method!r}.{hint}")


def explain(
    scorer: Scorer,
    query: ItemLike,
    document: ItemLike,
    instruction: str | None = None,
    *,
    method: str = "occlusion",
    **options: Any,
) -> Explanation:
    """Salience for one pair with ``method`` (one of ``scorer.capabilities.explain_methods``), with its deletion curve.

    Options (every method): ``max_units`` (at most this many units per text, default 64), ``image_cells`` (cells
    per image grid, default 16; the gradient methods use the model's patch grid instead), ``progress``
    (``progress(done, total)``), ``faithfulness`` (attach the deletion curve, default True: one more batched call),
    ``seed`` (Shapley's permutations and the random floor, default 0). ``occlusion`` and ``shapley`` also take
    ``parts`` (see :func:`occlusion`); ``shapley`` takes ``n_samples`` (permutations, default 25); ``ig`` takes
    ``steps`` (integration steps, default 32).

    Raises:
        ValueError: a method the scorer does not offer, an unknown option, or bad input (as for ``score``).
    """
    check_method(scorer, method)
    unknown = set(options) - METHOD_OPTIONS[method]
    if unknown:
        raise ValueError(
            f"{method} explain: unknown options {sorted(unknown)}; expected "
            f"{', '.join(repr(o) for o in sorted(METHOD_OPTIONS[method]))}."
        )
    faithful = options.pop("faithfulness", True)
    seed = check_seed(options.pop("seed", 0))
    progress = options.get("progress")
    q, d = coerce_query(query), coerce_document(document)
    scorer.check_modalities([q, d])
    # each clip decoded once: the method and the deletion curve then share its sampled frames
    q, d = with_sampled_clips(q, d, reads_video=scorer.capabilities.video)
    if method == "occlusion":
        explanation = occlusion(scorer, q, d, instruction, **options)
    elif method == "shapley":
        explanation = shapley(scorer, q, d, instruction, seed=seed, **options)
    else:
        if not isinstance(scorer, TokenAttributor):  # pragma: no cover - a scorer declaring it implements it
            raise TypeError(f"scorer '{scorer.name}' declares {method} salience but has no token attributions.")
        instr = scorer.resolve_instruction(instruction)
        explanation = gradient(
            scorer, q, d, instr, max_units=options.get("max_units", 64), method=method, steps=options.get("steps")
        )
        if progress is not None:
            progress(1, 1)
    if faithful:
        explanation.faithfulness = faithfulness_of(scorer, q, d, explanation, seed=seed, progress=progress)
    explanation.seed = seed
    return explanation


def shapley(
    scorer: Scorer,
    query: Item,
    document: Item,
    instruction: str | None = None,
    *,
    n_samples: int = DEFAULT_N_SAMPLES,
    seed: int = 0,
    max_units: int | None = 64,
    image_cells: int = 16,
    progress: ProgressCallback | None = None,
    parts: Any = PARTS,
) -> Explanation:
    """Shapley value sampling salience (Captum) for one pair; every sampled coalition scored in one batched call."""
    check_parts(parts)
    q, d = coerce_query(query), coerce_document(document)
    scorer.check_modalities([q, d])
    instr = scorer.resolve_instruction(instruction)
    masker = PairMasker(
        q, d, parts=parts, max_units=max_units, image_cells=image_cells, reads_video=scorer.capabilities.video
    )
    game = PairGame(masker)
    scores = PairScores()
    full = scores.request(game, ())
    values, n_scored = shapley_values(
        game, scores, lambda: scores.run(scorer, instr, progress=progress), n_samples=n_samples, seed=seed
    )
    return explanation_of(
        masker,
        scores.value(full),
        scores.score(full),
        values,
        instr,
        n_evaluations=n_scored,
        method="shapley",
        n_samples=n_samples,
        seed=seed,
    )


def faithfulness_of(
    scorer: Scorer,
    query: Item,
    document: Item,
    explanation: Explanation,
    *,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> Faithfulness | None:
    """The deletion curve of ``explanation`` on its explained side's words: the document's, or the query's when the
    document has none (``None`` when neither has any)."""
    side = "document" if explanation.document_tokens else "query"
    tokens = explanation.document_tokens or explanation.query_tokens
    if not tokens:
        return None
    masker = PairMasker(
        query,
        document,
        parts={f"{side}_text"},
        spans={f"{side}_text": [(t.start, t.end) for t in tokens]},
        reads_video=scorer.capabilities.video,
    )
    instr = explanation.instruction
    return deletion_curve(
        PairGame(masker),
        list(range(len(tokens))),
        [t.weight for t in tokens],
        lambda scores: scores.run(scorer, instr, progress=progress),
        side=side,
        labels=[t.text for t in tokens],
        base=explanation.log_odds,
        seed=seed,
    )


__all__ = [
    "OCCLUSION_GREY",
    "Explanation",
    "ImageSalience",
    "TokenAttributions",
    "TokenAttributor",
    "TokenWeight",
    "check_method",
    "explain",
    "faithfulness_of",
    "gradient",
    "grey_cell",
    "grid_shape",
    "occlusion",
    "remove_span",
    "segment",
    "shapley",
    "weights_to_rgba",
]
