"""Who graded what, and how much they agree: agreement per set and per query, the disagreement queue, and a rater's
progress through a set (the Judge page's query list).

Items are candidates (``(qid, docid)``); a candidate's raters are its ``grades``, or its plain label as the implicit
rater (:data:`eval.sets.grades.IMPLICIT_RATER`); unjudged candidates have none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eval.measures.agreement import Agreement, agreement
from eval.sets.labelled import LabelledQuery, LabelledSet

#: The smallest spread of grades (highest − lowest) that puts a candidate in the disagreement queue.
MIN_SPAN = 2


def ratings_of(queries: Iterable[LabelledQuery]) -> dict[tuple[str, str], dict[str, int]]:
    """``(qid, docid) -> rater -> grade`` of every candidate of ``queries``."""
    return {(q.qid, c.docid): c.ratings for q in queries for c in q.candidates}


def set_agreement(labelled: LabelledSet) -> Agreement:
    """Every agreement measure over the whole set (:func:`eval.measures.agreement.agreement`)."""
    return agreement(ratings_of(labelled.queries))


def query_agreements(labelled: LabelledSet) -> list[tuple[LabelledQuery, Agreement]]:
    """Each query with the agreement of its own candidates, in file order."""
    return [(q, agreement(ratings_of([q]))) for q in labelled.queries]


@dataclass(frozen=True)
class Disagreement:
    """A candidate whose grades spread by at least :data:`MIN_SPAN`: what the raters gave, its label now, and the
    editor's final grade when it has been adjudicated."""

    qid: str
    query: str | None
    docid: str
    text: str | None
    grades: dict[str, int] = field(default_factory=dict)
    label: int = 0
    adjudicated: int | None = None
    adjudicated_by: str | None = None

    @property
    def span(self) -> int:
        return max(self.grades.values()) - min(self.grades.values())

    def as_json(self) -> dict[str, Any]:
        """One line of ``python -m eval.judgments disagreements --json``."""
        return {
            "qid": self.qid,
            "docid": self.docid,
            "query": self.query,
            "text": self.text,
            "grades": dict(self.grades),
            "span": self.span,
            "label": self.label,
            "adjudicated": self.adjudicated,
            "adjudicated_by": self.adjudicated_by,
        }


def disagreements(labelled: LabelledSet, *, min_span: int = MIN_SPAN) -> list[Disagreement]:
    """The disagreement queue: candidates whose grades span at least ``min_span``, widest first (then file order).

    Raises:
        ValueError: ``min_span`` below 1.
    """
    if isinstance(min_span, bool) or not isinstance(min_span, int) or min_span < 1:
        raise ValueError(f"min_span must be a positive integer (1 = any difference), got {min_span!r}.")
    found = []
    for q in labelled.queries:
        for c in q.candidates:
            grades = c.ratings
            if len(grades) >= 2 and max(grades.values()) - min(grades.values()) >= min_span:
                found.append(
                    Disagreement(q.qid, q.text, c.docid, c.text, grades, c.label, c.adjudicated, c.adjudicated_by)
                )
    return sorted(found, key=lambda d: -d.span)


@dataclass(frozen=True)
class Progress:
    """How far one rater is through one query: candidates they graded of all, and who else graded it."""

    qid: str
    graded: int
    total: int
    raters: tuple[str, ...]

    @property
    def done(self) -> bool:
        return self.graded == self.total


def progress(labelled: LabelledSet, rater: str) -> list[Progress]:
    """Per query (file order): how many candidates ``rater`` graded, and every rater of the query."""
    out = []
    for q in labelled.queries:
        graded = sum(1 for c in q.candidates if rater in dict(c.grades))
        raters = tuple(sorted({r for c in q.candidates for r, _ in c.grades}))
        out.append(Progress(q.qid, graded, len(q.candidates), raters))
    return out


__all__ = [
    "MIN_SPAN",
    "Disagreement",
    "Progress",
    "disagreements",
    "progress",
    "query_agreements",
    "ratings_of",
    "set_agreement",
]
