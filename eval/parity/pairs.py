"""The pairs a parity check scores, and both models' predictions of them.

Pairs are taken query by query in the set's order, every candidate of each query, until ``limit`` pairs: whole queries
while they fit, and the first query that does not fit only in part (its first candidates), so top-10 agreement is over
the same candidates on both sides. Each query is one :class:`lychee.Item` shared by its pairs, so a remote scorer sends
a query's documents in as few requests as its batch size allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eval.sets.labelled import LabelledSet
from lychee.contract import Scorer
from lychee.items import Item
from lychee.results import Prediction
from lychee.validation import positive_int


@dataclass(frozen=True)
class ParityQuery:
    """One query's pairs: the query item, and its candidates' ids, texts (for messages) and items."""

    qid: str
    query: Item
    docids: tuple[str, ...]
    documents: tuple[Item, ...]

    @property
    def query_text(self) -> str:
        return self.query.text or "(image query)"

    def document_text(self, i: int) -> str:
        return self.documents[i].text or "(image document)"


@dataclass(frozen=True)
class Selection:
    """The chosen queries and how much of the set they are (said, never silently).

    Attributes:
        queries: the queries scored, in the set's order.
        set_queries, set_pairs: the set's size.
        last_cut: the last query was cut to fit ``--pairs`` (only its first candidates are scored).
    """

    queries: tuple[ParityQuery, ...]
    set_queries: int
    set_pairs: int
    last_cut: bool = False

    @property
    def n_pairs(self) -> int:
        return sum(len(q.documents) for q in self.queries)

    @property
    def note(self) -> str | None:
        """How much of the set was scored, when not all of it."""
        if self.n_pairs == self.set_pairs:
            return None
        return (
            f"--pairs: scoring {self.n_pairs} of the set's {self.set_pairs} pairs, from {len(self.queries)} of its "
            f"{self.set_queries} queries" + (" (the last one only in part)." if self.last_cut else ".")
        )


def choose_pairs(labelled: LabelledSet, limit: int | None = None) -> Selection:
    """The set's pairs, query by query, at most ``limit`` of them (``None``: all).

    Raises:
        ValueError: ``limit`` is not a positive integer.
    """
    positive_int(limit, "pairs", allow_none=True)
    chosen = []
    left = labelled.n_pairs if limit is None else limit
    last_cut = False
    for q in labelled.queries:
        if left <= 0:
            break
        candidates = q.candidates[:left]
        last_cut = len(candidates) < len(q.candidates)
        chosen.append(
            ParityQuery(
                qid=q.qid,
                query=q.item(),
                docids=tuple(c.docid for c in candidates),
                documents=tuple(c.item() for c in candidates),
            )
        )
        left -= len(candidates)
    return Selection(tuple(chosen), set_queries=len(labelled.queries), set_pairs=labelled.n_pairs, last_cut=last_cut)


def predict(scorer: Scorer, queries: Sequence[ParityQuery], instruction: str | None) -> list[Prediction]:
    """Both sides score the same flat list of pairs with this: the predictions in pair order.

    Raises:
        ValueError: a pair the scorer cannot read (an image for a text-only model...), or a scorer error.
        RemoteUnavailableError: a served model stopped answering.
    """
    pairs = [(q.query, d) for q in queries for d in q.documents]
    return scorer.predict_pairs(pairs, instruction)


__all__ = ["ParityQuery", "Selection", "choose_pairs", "predict"]
