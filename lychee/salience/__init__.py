"""Why a pair scored what it scored: occlusion (any scorer) and gradient x input (VLM scorers), both on the log-odds.

:func:`explain` picks the method a scorer declares in ``capabilities.explain_methods``; the units (word spans, image
grid cells) live in :mod:`lychee.salience.units`, the result types in :mod:`lychee.explanation`.
"""

from __future__ import annotations

from typing import Any

from lychee.contract import Scorer
from lychee.explanation import Explanation, ImageSalience, TokenAttributions, TokenWeight
from lychee.items import ItemLike, coerce_document, coerce_query
from lychee.salience.gradient import TokenAttributor, gradient
from lychee.salience.occlusion import occlusion
from lychee.salience.units import OCCLUSION_GREY, grey_cell, grid_shape, remove_span, segment, weights_to_rgba

GRADIENT_OPTIONS = {"max_units", "image_cells", "progress"}


def explain(
    scorer: Scorer,
    query: ItemLike,
    document: ItemLike,
    instruction: str | None = None,
    *,
    method: str = "occlusion",
    **options: Any,
) -> Explanation:
    """Salience for one pair with ``method`` (one of ``scorer.capabilities.explain_methods``).

    ``"occlusion"`` takes ``max_units``, ``image_cells``, ``progress`` and ``parts`` (see :func:`occlusion`).
    ``"gradient"`` accepts ``max_units``, ``image_cells`` and ``progress`` too, so callers can switch methods freely:
    ``image_cells`` has no effect there (the grid is the model's patch grid) and ``progress(1, 1)`` is called when
    done.

    Raises:
        ValueError: a method the scorer does not offer, an unknown option, or bad input (as for ``score``).
    """
    methods = scorer.capabilities.explain_methods
    if method not in methods:
        raise ValueError(
            f"method must be {' or '.join(repr(m) for m in methods)}, got {method!r}."
            + (
                f" The model '{scorer.name}' offers no gradient salience; load a Qwen2.5-VL / Qwen3-VL checkpoint."
                if method == "gradient"
                else ""
            )
        )
    if method == "occlusion":
        return occlusion(scorer, query, document, instruction, **options)
    unknown = set(options) - GRADIENT_OPTIONS
    if unknown:
        raise ValueError(
            f"gradient explain: unknown options {sorted(unknown)}; expected 'max_units', 'image_cells' or 'progress'."
        )
    if not isinstance(scorer, TokenAttributor):  # pragma: no cover - a scorer declaring gradient implements it
        raise TypeError(f"scorer '{scorer.name}' declares gradient salience but has no token_attributions().")
    q = coerce_query(query)
    d = coerce_document(document)
    explanation = gradient(
        scorer, q, d, scorer.resolve_instruction(instruction), max_units=options.get("max_units", 64)
    )
    if options.get("progress") is not None:
        options["progress"](1, 1)
    return explanation


__all__ = [
    "OCCLUSION_GREY",
    "Explanation",
    "ImageSalience",
    "TokenAttributions",
    "TokenAttributor",
    "TokenWeight",
    "explain",
    "gradient",
    "grey_cell",
    "grid_shape",
    "occlusion",
    "remove_span",
    "segment",
    "weights_to_rgba",
]
