"""Baselines evaluated beside the model in every run.

* ``input_order`` — the candidates in the order the file lists them (score ``n - i`` for the i-th of n), i.e. what
  the first-stage retriever that produced the list would rank.
* ``bm25`` — Okapi BM25 (``bm25s``, Lucene variant, k1 = 1.5, b = 0.75) over the text of the candidates. One index
  is built over every distinct candidate text of the set, so IDF comes from the whole set rather than from ten
  documents; each query then scores its own candidates. Tokens: lower-cased runs of letters/digits, English stop
  words removed, and a plural "s"/"es"/"ies" suffix stripped (a tiny deterministic stemmer, so "shoes" matches
  "shoe"). Image-only documents and queries without text score 0. Equal scores are ranked by trec_eval's tie-break
  (docid descending), as for every run.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from eval.labelled import LabelledSet

BASELINES = ("input_order", "bm25")
#: What each baseline is, as metrics.json records it (``systems.<key>.description``).
BASELINE_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "input_order": {"baseline": "the candidates' order in the file"},
    "bm25": {"baseline": "BM25 (bm25s, Lucene, k1=1.5, b=0.75) over candidate text"},
}
BM25_K1 = 1.5
BM25_B = 0.75
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
# A short English stop list: enough that "for", "the", "with" do not decide a ranking.
_STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "how", "i", "in", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "which", "who", "why", "will", "with", "you", "your"]
)


def _stem(token: str) -> str:
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 4 and token.endswith(("ches", "shes", "sses", "xes", "zes")):
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def tokenize(text: str | None) -> list[str]:
    """Lower-case word tokens without stop words, plurals stripped: ``"Red Shoes for kids"`` -> ``["red", "shoe", "kid"]``."""
    if not text:
        return []
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in _STOPWORDS]


def input_order_run(labelled: LabelledSet) -> dict[str, dict[str, float]]:
    """The file's candidate order as a run: the i-th of n candidates scores ``n - i``."""
    return {q.qid: {c.docid: float(len(q.candidates) - i) for i, c in enumerate(q.candidates)} for q in labelled.queries}


def bm25_run(labelled: LabelledSet, *, k1: float = BM25_K1, b: float = BM25_B) -> dict[str, dict[str, float]]:
    """BM25 scores of each query's candidates (see the module docstring for the index and tokens)."""
    import bm25s

    # bm25s sets its own logger to DEBUG, which prints "Building index from tokens" through any INFO handler.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    texts = list(dict.fromkeys(c.text or "" for q in labelled.queries for c in q.candidates))
    position = {t: i for i, t in enumerate(texts)}
    corpus = [tokenize(t) for t in texts]
    run: dict[str, dict[str, float]] = {}
    if not any(corpus):
        # No candidate has text (an image-only set): BM25 has nothing to match, every score is 0.
        return {q.qid: {c.docid: 0.0 for c in q.candidates} for q in labelled.queries}
    retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
    retriever.index(corpus, show_progress=False)
    for q in labelled.queries:
        tokens = tokenize(q.text)
        scores = retriever.get_scores(tokens) if tokens else np.zeros(len(texts))
        run[q.qid] = {c.docid: float(scores[position[c.text or ""]]) for c in q.candidates}
    return run


__all__ = ["BASELINES", "BASELINE_DESCRIPTIONS", "bm25_run", "input_order_run", "tokenize"]
