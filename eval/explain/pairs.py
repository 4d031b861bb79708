"""Which pairs ``python -m eval.explain`` explains: per query, its highest-labelled candidate with text (the first in
file order on ties), the queries in file order, at most ``limit`` of them."""

from __future__ import annotations

from dataclasses import dataclass

from eval.sets.labelled import Candidate, LabelledQuery, LabelledSet


@dataclass(frozen=True)
class ExplainedPair:
    """One pair to explain: the query and its chosen candidate."""

    query: LabelledQuery
    candidate: Candidate


def best_candidate(query: LabelledQuery) -> Candidate | None:
    """The query's highest-labelled candidate that has text (the first in file order on ties); ``None`` if none has."""
    best: Candidate | None = None
    for candidate in query.candidates:
        if candidate.text and candidate.text.strip() and (best is None or candidate.label > best.label):
            best = candidate
    return best


def pick_pairs(labelled: LabelledSet, limit: int | None) -> list[ExplainedPair]:
    """Up to ``limit`` pairs (``None``: every query), one per query that has a candidate with text, in file order."""
    out = []
    for query in labelled.queries:
        candidate = best_candidate(query)
        if candidate is not None:
            out.append(ExplainedPair(query, candidate))
        if limit is not None and len(out) >= limit:
            break
    return out


__all__ = ["ExplainedPair", "best_candidate", "pick_pairs"]
