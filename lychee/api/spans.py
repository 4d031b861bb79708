"""``relevant_spans`` and ``modality_shares``: what made each document relevant, from the explanations the dashboard
shows.

Spans: each word of the document is removed in turn and the pair scored again (occlusion); a word's weight is the
log-odds of relevance it carries. Every variant of every document of a request is scored in **one** ``predict_pairs``
call, and the pairs the rerank already scored are reused, not scored again (:func:`~lychee.salience.occlusion.
occlusion_many`). A span's ``score`` is the share of the document's relevance *odds*
lost without it::

    score = 1 - exp(-weight)         # weight = log_odds(with the word) - log_odds(without it), > 0

so 0.5 means the odds of "relevant" halve when the word is removed. It lies in [0, 1), keeps the order of the weights,
and does not saturate the way differences of P(yes) do near 0 and 1. Spans are Cohere's: ``start``/``end`` count
Unicode code points of the document's text (``text == document[start:end]``), best first.

Modality shares: the exact Shapley value of each part of the pair (query text / image, document text / image) on the
log-odds (:mod:`lychee.salience.shares`), every subset of every result in one call:
``[{"part": "document_image", "share": 0.72, "log_odds": 1.9}, ...]``, largest share first; ``share`` is the value
over the sum of the values' sizes (signed), ``log_odds`` the value itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lychee.api.schemas import SpanOptions
from lychee.contract import Scorer
from lychee.explanation import Explanation, ModalityShares
from lychee.items import Item
from lychee.results import Ranked
from lychee.salience.occlusion import occlusion_many
from lychee.salience.shares import modality_shares_many


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
    scorer: Scorer,
    query: Item,
    documents: Sequence[Item],
    ranked: Sequence[Ranked],
    instruction: str | None,
    options: SpanOptions,
) -> dict[int, list[dict[str, Any]]]:
    """The relevant spans of each result of ``ranked`` (``{index: spans}``; ``[]`` for a document without text): the
    occlusion of every document's words in one batched call, each base pair's log-odds taken from ``ranked``."""
    with_text = [r for r in ranked if documents[r.index].has_text]
    # the document's words only: the query's words and both sides' image cells would cost a scored pair each
    explanations = (
        occlusion_many(
            scorer,
            query,
            [documents[r.index] for r in with_text],
            instruction,
            base_log_odds=[r.log_odds for r in with_text],
            parts={"document_text"},
        )
        if with_text
        else []
    )
    out: dict[int, list[dict[str, Any]]] = {r.index: [] for r in ranked}
    for r, explanation in zip(with_text, explanations):
        out[r.index] = spans_of(explanation, options)
    return out


def shares_json(shares: ModalityShares) -> list[dict[str, Any]]:
    """``[{"part", "share", "log_odds"}, ...]``, largest share (in size) first."""
    rows = [
        {"part": part, "share": share, "log_odds": value}
        for (part, share), value in zip(shares.shares().items(), shares.values)
    ]
    return sorted(rows, key=lambda row: -abs(row["share"]))


def result_shares(
    scorer: Scorer, query: Item, documents: Sequence[Item], ranked: Sequence[Ranked], instruction: str | None
) -> dict[int, list[dict[str, Any]]]:
    """The modality shares of each result of ``ranked`` (``{index: shares}``), every subset of every result in one
    batched call, each base pair's log-odds taken from ``ranked``."""
    shares = modality_shares_many(
        scorer, query, [documents[r.index] for r in ranked], instruction, base_log_odds=[r.log_odds for r in ranked]
    )
    return {r.index: shares_json(s) for r, s in zip(ranked, shares)}


__all__ = ["relevant_spans", "result_shares", "shares_json", "span_score", "spans_of"]
