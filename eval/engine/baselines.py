"""Baselines evaluated beside the model in every run.

* ``input_order`` — the candidates in the order the file lists them (score ``n - i`` for the i-th of n), i.e. what
  the first-stage retriever that produced the list would rank.
* ``bm25`` — Okapi BM25 over the text of the candidates: the library's lexical scorer
  (:mod:`lychee.scorers.lexical`: ``bm25s``, Lucene variant, k1 = 1.5, b = 0.75; its tokens, with CJK runs as
  character bigrams, are described there). One index is built over every distinct candidate text of the set, so IDF
  comes from the whole set rather than from ten documents (``load_scorer("bm25")`` on the dashboard indexes the titles
  of one batch instead); each query then scores its own candidates. Image-only documents and queries without text
  score 0. Equal scores are ranked by trec_eval's tie-break (docid descending), as for every run.
"""

from __future__ import annotations

from eval.sets.labelled import LabelledSet
from lychee.scorers.lexical import BM25_B, BM25_K1, BM25Index, tokenize

BASELINES = ("input_order", "bm25")
#: What each baseline is, as metrics.json records it (``systems.<key>.description``).
BASELINE_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "input_order": {"baseline": "the candidates' order in the file"},
    "bm25": {"baseline": "BM25 (bm25s, Lucene, k1=1.5, b=0.75) over candidate text"},
}


def baseline_descriptions(labelled: LabelledSet) -> dict[str, dict[str, str]]:
    """:data:`BASELINE_DESCRIPTIONS`, with ``input_order`` described as the first-stage run when the set has one."""
    if labelled.first_stage is None:
        return dict(BASELINE_DESCRIPTIONS)
    return {**BASELINE_DESCRIPTIONS, "input_order": {"baseline": f"the first stage: {labelled.first_stage}"}}


def input_order_run(labelled: LabelledSet) -> dict[str, dict[str, float]]:
    """The file's candidate order as a run: the i-th of n candidates scores ``n - i``."""
    return {q.qid: {c.docid: float(len(q.candidates) - i) for i, c in enumerate(q.candidates)} for q in labelled.queries}


def bm25_run(labelled: LabelledSet, *, k1: float = BM25_K1, b: float = BM25_B) -> dict[str, dict[str, float]]:
    """BM25 scores of each query's candidates (see the module docstring for the index and tokens)."""
    index = BM25Index([c.text for q in labelled.queries for c in q.candidates], k1=k1, b=b)
    run: dict[str, dict[str, float]] = {}
    for q in labelled.queries:
        scores = index.distinct_scores(q.text)
        run[q.qid] = {c.docid: float(scores[index.position(c.text)]) for c in q.candidates}
    return run


__all__ = ["BASELINES", "BASELINE_DESCRIPTIONS", "baseline_descriptions", "bm25_run", "input_order_run", "tokenize"]
