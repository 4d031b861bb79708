"""Ranking metrics with trec_eval's conventions, in pure Python.

Inputs follow ranx/ir_measures naming: ``qrels: dict[str, dict[str, int]]`` (qid -> docid -> graded label) and
``run: dict[str, dict[str, float]]`` (qid -> docid -> score, higher is better).

Conventions (each one is trec_eval's, checked against ``pytrec_eval`` in ``tests/eval/measures/test_trec_parity.py``):

* **Ranking and ties.** A query's documents are sorted by score descending, then by docid in *descending*
  lexicographic order (trec_eval's ``form_res_rels``: equal scores are ordered by ``strcmp`` of the docnos, reversed).
  So with equal scores, ``"d9"`` ranks above ``"d10"`` above ``"d1"``. trec_eval holds scores as C ``float``
  (32-bit, ``TEXT_RESULTS.sim`` in ``trec_format.h``), so two doubles that round to the same float32 (closer than
  about 6e-8 relative) are a tie there; :func:`trec_order` compares the float32-rounded scores for the same reason.
  The run's own rank column is ignored, as trec_eval ignores it; ``run.trec`` is written in :func:`trec_order`.
* **NDCG@k** (Järvelin & Kekäläinen, linear gain): ``DCG@k = sum_{r=1..k} gain(label_r) / log2(r + 1)`` and the ideal
  DCG is computed from *all* of the query's qrels with label > 0 (not only the retrieved ones), cut at k.
  ``ndcg_exp@k`` uses the exponential gain ``2**label - 1`` (Burges et al.); it equals ir_measures'
  ``nDCG(gains={l: 2**l - 1})``. A query without any positive label has NDCG 0 and counts in the mean.
* **Binary relevance** for ``mrr@k``, ``hit@k`` and ``recall@k`` is ``label >= 1`` (trec_eval's default
  ``relevance_level`` 1). ``mrr@k`` is 1/rank of the first relevant document within the top k, else 0; ``hit@k`` is 1 if
  a relevant document is in the top k; ``recall@k`` is the share of the query's relevant documents in the top k (0
  when it has none). Documents in the run without a qrels entry count as label 0.
* ``judged@k`` is the share of the top ``min(k, n)`` ranked documents that have a qrels entry (any label, 0
  included), as ir_measures' ``Judged@k``: documents of the run missing from ``qrels`` are *unjudged* and count as
  non-relevant in every other metric (trec_eval's convention), so judged@k says how much of that was never labelled.
* Means are over every query of ``qrels``; a query of ``qrels`` missing from ``run`` is an error (trec_eval would
  silently drop it), documents of ``run`` not in ``qrels`` are non-relevant.

Sums run in rank order in double precision, as trec_eval's C loop does, so per-query values agree to the last bit
in our tests.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping, Sequence
from typing import Literal

from lychee.validation import positive_int

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]

METRIC_FAMILIES = ("ndcg", "ndcg_exp", "mrr", "hit", "recall", "judged")
_METRIC = re.compile(r"(ndcg|ndcg_exp|mrr|hit|recall|judged)@([1-9][0-9]*)")


def default_metrics(k: int = 10) -> list[str]:
    """The metrics the evaluation reports: ``ndcg@k, ndcg_exp@k, mrr@10, hit@1, recall@k``."""
    _check_k(k)
    return [f"ndcg@{k}", f"ndcg_exp@{k}", "mrr@10", "hit@1", f"recall@{k}"]


def parse_metric(name: str) -> tuple[str, int]:
    """Split ``"ndcg@10"`` into ``("ndcg", 10)``.

    Raises:
        ValueError: the name is not ``<family>@<k>`` with a known family and a positive k.
    """
    match = _METRIC.fullmatch(name) if isinstance(name, str) else None
    if not match:
        raise ValueError(
            f"unknown metric {name!r}; expected '<name>@<k>' with name in {list(METRIC_FAMILIES)} and k a positive "
            "integer, e.g. 'ndcg@10'."
        )
    return match.group(1), int(match.group(2))


def as_float32(score: float) -> float:
    """``score`` rounded to the nearest C float, as trec_eval stores it (beyond float range: +-inf)."""
    try:
        return struct.unpack("f", struct.pack("f", score))[0]
    except OverflowError:
        return math.copysign(math.inf, score)


def trec_order(scores: Mapping[str, float]) -> list[str]:
    """Docids in trec_eval's ranking order: float32 score descending, ties by docid descending.

    Example:
        >>> trec_order({"a": 1.0, "b": 1.0, "c": 2.0})
        ['c', 'b', 'a']
    """
    for docid, score in scores.items():
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise ValueError(f"run score of document {docid!r} must be a finite number, got {score!r}.")
    return [d for d, _ in sorted(scores.items(), key=lambda kv: (as_float32(float(kv[1])), kv[0]), reverse=True)]


def _gain(label: int, kind: Literal["linear", "exp"]) -> float:
    if label <= 0:
        return 0.0
    return float(label) if kind == "linear" else float(2**label - 1)


def _check_k(k: int) -> None:
    positive_int(k, "k")


def dcg(labels_in_rank_order: Sequence[int], k: int, *, gain: Literal["linear", "exp"] = "linear") -> float:
    """``sum_{r=1..k} gain(label_r) / log2(r + 1)``, summed in rank order."""
    total = 0.0
    for i, label in enumerate(labels_in_rank_order[:k]):
        g = _gain(label, gain)
        if g > 0:
            total += g / math.log2(i + 2)
    return total


def ndcg_at_k(
    qrel: Mapping[str, int],
    scores: Mapping[str, float],
    k: int = 10,
    *,
    gain: Literal["linear", "exp"] = "linear",
) -> float:
    """NDCG@k of one query (linear gain by default; ``gain="exp"`` for ``2**label - 1``).

    Args:
        qrel: docid -> label of every judged document of the query.
        scores: docid -> score of the ranked documents.
        k: the cutoff.
        gain: ``"linear"`` (Järvelin: gain = label) or ``"exp"`` (Burges: gain = 2**label - 1).

    Returns:
        DCG@k / ideal DCG@k in [0, 1]; 0 when the query has no label > 0.

    Example:
        >>> ndcg_at_k({"a": 3, "b": 2, "c": 0}, {"a": 0.9, "c": 0.8, "b": 0.1}, k=3)  # (3/1 + 2/2) / (3/1 + 2/log2(3))
        0.9385...
    """
    _check_k(k)
    if gain not in ("linear", "exp"):
        raise ValueError(f"gain must be 'linear' or 'exp', got {gain!r}.")
    ideal = dcg(sorted((v for v in qrel.values() if v > 0), reverse=True), k, gain=gain)
    if ideal <= 0.0:
        return 0.0
    ranked = [qrel.get(d, 0) for d in trec_order(scores)]
    return dcg(ranked, k, gain=gain) / ideal


def mrr_at_k(qrel: Mapping[str, int], scores: Mapping[str, float], k: int = 10) -> float:
    """1 / rank of the first document with label >= 1 within the top ``k``, else 0."""
    _check_k(k)
    for rank, docid in enumerate(trec_order(scores)[:k], start=1):
        if qrel.get(docid, 0) >= 1:
            return 1.0 / rank
    return 0.0


def hit_at_k(qrel: Mapping[str, int], scores: Mapping[str, float], k: int = 1) -> float:
    """1.0 if a document with label >= 1 is in the top ``k``, else 0.0."""
    _check_k(k)
    return 1.0 if any(qrel.get(d, 0) >= 1 for d in trec_order(scores)[:k]) else 0.0


def recall_at_k(qrel: Mapping[str, int], scores: Mapping[str, float], k: int = 10) -> float:
    """Share of the query's documents with label >= 1 found in the top ``k`` (0 if it has none)."""
    _check_k(k)
    n_relevant = sum(1 for v in qrel.values() if v >= 1)
    if n_relevant == 0:
        return 0.0
    found = sum(1 for d in trec_order(scores)[:k] if qrel.get(d, 0) >= 1)
    return found / n_relevant


def judged_at_k(qrel: Mapping[str, int], scores: Mapping[str, float], k: int = 10) -> float:
    """Share of the top ``min(k, n)`` of the ``n`` ranked documents that have a judgment in ``qrel`` (any label).

    Equals ir_measures' ``Judged@k`` (its denominator is also the number of documents ranked when fewer than k).

    Example:
        >>> judged_at_k({"a": 0, "b": 2}, {"a": 0.9, "x": 0.8, "b": 0.1}, k=2)  # top 2: a (judged), x (not)
        0.5
    """
    _check_k(k)
    top = trec_order(scores)[:k]
    return sum(1 for d in top if d in qrel) / len(top) if top else 0.0


def unjudged_at_k(qrels: Qrels, runs: Sequence[Run], k: int = 10) -> dict[str, list[str]]:
    """The *holes*: per query, the documents in the top ``k`` of any of ``runs`` that ``qrels`` does not judge,
    ordered by their best rank over the runs (then docid); queries without a hole are left out.

    Example:
        >>> unjudged_at_k({"q": {"a": 1}}, [{"q": {"a": 0.9, "x": 0.8, "y": 0.1}}, {"q": {"y": 0.9, "a": 0.5}}], k=2)
        {'q': ['y', 'x']}
    """
    _check_k(k)
    best: dict[str, dict[str, int]] = {}
    for run in runs:
        for qid, scores in run.items():
            judged = qrels.get(qid, {})
            for rank, docid in enumerate(trec_order(scores)[:k], start=1):
                if docid not in judged:
                    ranks = best.setdefault(qid, {})
                    ranks[docid] = min(rank, ranks.get(docid, rank))
    return {qid: sorted(ranks, key=lambda d: (ranks[d], d)) for qid, ranks in best.items()}


def query_metric(name: str, qrel: Mapping[str, int], scores: Mapping[str, float]) -> float:
    """The value of metric ``name`` (e.g. ``"ndcg@10"``) for one query."""
    family, k = parse_metric(name)
    if family == "ndcg":
        return ndcg_at_k(qrel, scores, k)
    if family == "ndcg_exp":
        return ndcg_at_k(qrel, scores, k, gain="exp")
    if family == "mrr":
        return mrr_at_k(qrel, scores, k)
    if family == "hit":
        return hit_at_k(qrel, scores, k)
    if family == "judged":
        return judged_at_k(qrel, scores, k)
    return recall_at_k(qrel, scores, k)


def evaluate(qrels: Qrels, run: Run, metrics: Sequence[str]) -> dict[str, dict[str, float]]:
    """Per-query values of each metric.

    Args:
        qrels: qid -> docid -> label.
        run: qid -> docid -> score; must cover every query of ``qrels``.
        metrics: names such as ``["ndcg@10", "mrr@10"]``.

    Returns:
        ``{metric: {qid: value}}`` with qids in ``qrels`` order.

    Raises:
        ValueError: an unknown metric name, a query of ``qrels`` missing from ``run``, or a non-finite score.

    Example:
        >>> evaluate({"q1": {"a": 1, "b": 0}}, {"q1": {"a": 0.2, "b": 0.9}}, ["mrr@10"])
        {'mrr@10': {'q1': 0.5}}
    """
    for name in metrics:
        parse_metric(name)
    missing = [q for q in qrels if q not in run]
    if missing:
        raise ValueError(
            f"run has no scores for {len(missing)} quer{'y' if len(missing) == 1 else 'ies'} of the qrels "
            f"(e.g. {missing[:3]}); expected a ranking for every judged query. Score every query before evaluating."
        )
    return {name: {qid: query_metric(name, qrels[qid], run[qid]) for qid in qrels} for name in metrics}


def mean(values: Sequence[float]) -> float:
    """Exactly rounded mean (``math.fsum``), 0.0 for no values."""
    return math.fsum(values) / len(values) if len(values) else 0.0


__all__ = [
    "METRIC_FAMILIES",
    "Qrels",
    "Run",
    "as_float32",
    "dcg",
    "default_metrics",
    "evaluate",
    "hit_at_k",
    "judged_at_k",
    "unjudged_at_k",
    "mean",
    "mrr_at_k",
    "ndcg_at_k",
    "parse_metric",
    "query_metric",
    "recall_at_k",
    "trec_order",
]
