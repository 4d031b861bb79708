"""``relevant_spans``: the words of a document that made it relevant, from the occlusion salience the dashboard shows.

Each word of the document is removed in turn and the pair scored again (:func:`lychee.salience.occlusion`); a word's
weight is the log-odds of relevance it carries. A span's ``score`` is the share of the document's relevance *odds*
lost without it::

    score = 1 - exp(-weight)         # weight = log_odds(with the word) - log_odds(without it), > 0

so 0.5 means the odds of "relevant" halve when the word is removed. It lies in [0, 1), keeps the order of the weights,
and does not saturate the way differences of P(yes) do near 0 and 1. Spans are Cohere's: ``start``/``end`` count
Unicode code points of the document's text (``text == document[start:end]``), best first.
"""

from __future__ import annotations

import math
from typing import Any

from lychee.api.schemas import SpanOptions
from lychee.contract import Scorer
from lychee.explanation import Explanation
from lychee.items import Item


def span_score(weight: float) -> float:
    """The share of the relevance odds a span carries: ``1 - exp(-weight)`` for a positive log-odds weight."""
    return 1.0 - math.exp(-weight) if weight > 0 else 0.0


def spans_of(explanation: Explanation, options: SpanOptions) -> list[dict[str, Any]]:
    """The document's relevant spans, best first: ``{"start", "end", "score", "text"}`` at or above the threshold."""
    limit = options.max_spans if options.max_spans is not None else len(explanation.document_tokens)
    spans = []
    for token in explanation.top_document_tokens(limit):
        score = span_score(token.weight)
        if score >= options.threshold and score > 0:
            spans.append({"start": token.start, "end": token.end, "score": score, "text": token.text})
    return spans


def relevant_spans(
    scorer: Scorer, query: Item, document: Item, instruction: str | None, options: SpanOptions
) -> list[dict[str, Any]]:
    """Explain one (query, document) pair by occlusion and return its relevant spans (``[]`` for a document without
    text)."""
    if not document.has_text:
        return []
    # the document's words only: the query's words and both sides' image cells would cost a scored pair each
    explanation = scorer.explain(query, document, instruction, method="occlusion", parts={"document_text"})
    return spans_of(explanation, options)


__all__ = ["relevant_spans", "span_score", "spans_of"]
