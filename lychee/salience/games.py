"""Scoring many variants at once: the games perturbation methods play, and one batched call for all of them.

A *game* gives a value to every set of removed players (units or parts): :class:`PairGame` the log-odds of one pair
without those units, :class:`GapGame` the gap ``lo(q, A) - lo(q, B)`` of a contrast (query units removed from both
pairs), :class:`PartsGame` the log-odds of a pair holding only some of its parts (modality shares). A game names the
pairs a value needs (:meth:`pairs`) and combines their log-odds (:meth:`value`).

:class:`PairScores` collects the pairs of many requests (several games, several documents of one API request), keeps
each distinct pair once (the same text, the same image object, the same clip object) and scores them all in **one**
``predict_pairs`` call; pairs already scored (the base pair a rerank just scored) are given as known and never
scored again.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Sequence
from typing import Protocol

from lychee.contract import Scorer
from lychee.explanation import MODALITY_PARTS
from lychee.items import Item, ItemLike, coerce_document, coerce_query
from lychee.results import ProgressCallback, sigmoid
from lychee.salience.masking import PairMasker

Pair = tuple[Item, Item]


def item_key(item: Item) -> Hashable:
    """What makes two items the same input: the text, the image object and the clip object (variants that grey a
    cell or a frame are new objects; untouched sides are shared)."""
    return (item.text or "", id(item.image) if item.image is not None else None, id(item.video) if item.video else None)


def pair_key(pair: Pair) -> Hashable:
    return item_key(pair[0]), item_key(pair[1])


class Game(Protocol):
    """A value for every set of removed players."""

    n_players: int

    def pairs(self, removed: Collection[int]) -> list[Pair]:
        """The pairs whose log-odds :meth:`value` combines, for ``removed``."""
        ...

    def value(self, log_odds: Sequence[float]) -> float:
        """The value, from the log-odds of :meth:`pairs` (in their order)."""
        ...


class PairGame:
    """The log-odds of one pair without some of its units (players = ``masker.units``)."""

    def __init__(self, masker: PairMasker) -> None:
        self.masker = masker
        self.n_players = len(masker)

    def pairs(self, removed: Collection[int]) -> list[Pair]:
        return [self.masker.pair_without(removed)]

    def value(self, log_odds: Sequence[float]) -> float:
        return float(log_odds[0])


class GapGame:
    """The gap ``lo(q, A) - lo(q, B)`` without some units: players are the query's units (removed from both pairs),
    then A's, then B's.

    Args:
        masker_a, masker_b: maskers of ``(q, A)`` and ``(q, B)`` over the same query units (``query_text`` first).
        n_query: how many of each masker's units are the query's.
    """

    def __init__(self, masker_a: PairMasker, masker_b: PairMasker, n_query: int) -> None:
        self.masker_a, self.masker_b, self.n_query = masker_a, masker_b, n_query
        self.n_a = len(masker_a) - n_query
        self.n_b = len(masker_b) - n_query
        self.n_players = n_query + self.n_a + self.n_b

    def pairs(self, removed: Collection[int]) -> list[Pair]:
        nq, na = self.n_query, self.n_a
        query = [i for i in removed if i < nq]
        in_a = [i for i in removed if nq <= i < nq + na]
        in_b = [i - na for i in removed if i >= nq + na]
        return [self.masker_a.pair_without(query + in_a), self.masker_b.pair_without(query + in_b)]

    def value(self, log_odds: Sequence[float]) -> float:
        return float(log_odds[0] - log_odds[1])


class PartsGame:
    """The log-odds of a pair holding only some of its parts (players = the parts present, in
    :data:`~lychee.explanation.MODALITY_PARTS` order); a side left with nothing is an empty item."""

    def __init__(self, query: Item, document: Item) -> None:
        self.query, self.document = query, document
        present = {
            "query_text": query.has_text,
            "query_image": query.has_image,
            "query_video": query.has_video,
            "document_text": document.has_text,
            "document_image": document.has_image,
            "document_video": document.has_video,
        }
        self.parts: tuple[str, ...] = tuple(p for p in MODALITY_PARTS if present[p])
        self.n_players = len(self.parts)

    def pairs(self, removed: Collection[int]) -> list[Pair]:
        gone = {self.parts[i] for i in removed}
        return [(_strip(self.query, "query", gone), _strip(self.document, "document", gone))]

    def value(self, log_odds: Sequence[float]) -> float:
        return float(log_odds[0])


def _strip(item: Item, side: str, gone: set[str]) -> Item:
    if f"{side}_text" in gone:
        item = item.with_text(None)
    if f"{side}_image" in gone:
        item = item.with_image(None)
    if f"{side}_video" in gone:
        item = item.with_video(None)
    return item


class PairScores:
    """Distinct pairs of many requests, scored in one ``predict_pairs`` call (see the module docstring).

    Example:
        >>> scores = PairScores()
        >>> handle = scores.request(game, frozenset({2}))
        >>> scores.run(scorer, instruction)
        >>> scores.value(handle)
    """

    def __init__(self) -> None:
        self._index: dict[Hashable, int] = {}
        self._pairs: list[Pair] = []
        self._log_odds: dict[int, float] = {}
        self._scores: dict[int, float] = {}
        self._requests: list[tuple[Game, list[int]]] = []

    def _add(self, pair: Pair) -> int:
        key = pair_key(pair)
        if key not in self._index:
            self._index[key] = len(self._pairs)
            self._pairs.append(pair)
        return self._index[key]

    def known(self, pair: Pair, log_odds: float, score: float | None = None) -> None:
        """``pair`` is already scored (e.g. the base pair of a rerank): never score it again."""
        i = self._add(pair)
        self._log_odds[i] = float(log_odds)
        self._scores[i] = sigmoid(log_odds) if score is None else float(score)

    def request(self, game: Game, removed: Collection[int]) -> int:
        """Ask for ``game``'s value without ``removed``; returns a handle for :meth:`value`."""
        self._requests.append((game, [self._add(p) for p in game.pairs(removed)]))
        return len(self._requests) - 1

    @property
    def n_to_score(self) -> int:
        """Distinct pairs :meth:`run` will score."""
        return len(self._pairs) - len(self._log_odds)

    def run(self, scorer: Scorer, instruction: str, *, progress: ProgressCallback | None = None) -> int:
        """Score every pair not known yet in one ``predict_pairs`` call (empty sides allowed: occlusion may remove a
        side's only word); returns how many were scored. For a scorer whose scores depend on the batch
        (``capabilities.batch_dependent``, BM25) every pair, known ones included, is scored alone instead."""
        alone = scorer.capabilities.batch_dependent
        todo = (
            list(range(len(self._pairs))) if alone else [i for i in range(len(self._pairs)) if i not in self._log_odds]
        )
        if not todo:
            if progress is not None:
                progress(1, 1)
            return 0
        batches = [[i] for i in todo] if alone else [todo]
        for n_done, batch in enumerate(batches, start=1):
            preds = scorer.predict_pairs(
                [self._pairs[i] for i in batch],
                instruction,
                progress=None if alone else progress,
                allow_empty=True,
            )
            for i, pred in zip(batch, preds):
                self._log_odds[i] = pred.log_odds
                self._scores[i] = pred.score
            if alone and progress is not None:
                progress(n_done, len(batches))
        return len(todo)

    def value(self, handle: int) -> float:
        """The value of request ``handle`` (after :meth:`run`)."""
        game, indices = self._requests[handle]
        return game.value([self._log_odds[i] for i in indices])

    def score(self, handle: int) -> float:
        """P(yes) of the first pair of request ``handle`` (after :meth:`run`), as the scorer computed it."""
        return self._scores[self._requests[handle][1][0]]


def prepare_documents(
    scorer: Scorer,
    query: ItemLike,
    documents: Sequence[ItemLike],
    instruction: str | None,
    base_log_odds: Sequence[float | None] | None,
) -> tuple[Item, list[Item], str, list[float | None]]:
    """The query and documents as items (refused when the model cannot read them), the instruction in use, and one
    known log-odds (or ``None``) per document: what every explanation of several documents starts from.

    Raises:
        ValueError: an input the model cannot take, or ``base_log_odds`` not one per document.
    """
    q = coerce_query(query)
    docs = [
        coerce_document(d, name=f"document {i + 1}" if len(documents) > 1 else "document")
        for i, d in enumerate(documents)
    ]
    scorer.check_modalities([q, *docs])
    bases = list(base_log_odds) if base_log_odds is not None else [None] * len(docs)
    if len(bases) != len(docs):
        raise ValueError(
            f"base_log_odds: got {len(bases)} values for {len(docs)} documents; expected one per document."
        )
    return q, docs, scorer.resolve_instruction(instruction), bases


__all__ = [
    "Game",
    "GapGame",
    "Pair",
    "PairGame",
    "PairScores",
    "PartsGame",
    "item_key",
    "pair_key",
    "prepare_documents",
]
