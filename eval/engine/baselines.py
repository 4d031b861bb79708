"""Baselines evaluated beside the model in every run.

* ``input_order`` — the candidates in the order the file lists them (score ``n - i`` for the i-th of n), i.e. what
  the first-stage retriever that produced the list would rank.
* ``bm25`` — Okapi BM25 (``bm25s``, Lucene variant, k1 = 1.5, b = 0.75) over the text of the candidates. One index
  is built over every distinct candidate text of the set, so IDF comes from the whole set rather than from ten
  documents; each query then scores its own candidates. Tokens: lower-cased runs of letters/digits, English stop
  words removed, and a plural "s"/"es"/"ies" suffix stripped (a tiny deterministic stemmer, so "shoes" matches
  "shoe"). Chinese, Japanese and Korean text has no spaces between words, so a run of CJK characters becomes its
  overlapping character bigrams (a lone character stays a unigram), as Lucene's ``CJKAnalyzer`` does:
  "碎花连衣裙" -> 碎花, 花连, 连衣, 衣裙. Image-only documents and queries without text score 0. Equal scores are
  ranked by trec_eval's tie-break (docid descending), as for every run.
"""

from __future__ import annotations

import logging
import re

import numpy as np

from eval.sets.labelled import LabelledSet

BASELINES = ("input_order", "bm25")
#: What each baseline is, as metrics.json records it (``systems.<key>.description``).
BASELINE_DESCRIPTIONS: dict[str, dict[str, str]] = {
    "input_order": {"baseline": "the candidates' order in the file"},
    "bm25": {"baseline": "BM25 (bm25s, Lucene, k1=1.5, b=0.75) over candidate text"},
}
BM25_K1 = 1.5
BM25_B = 0.75
# Han (incl. extension A and compatibility ideographs), hiragana/katakana, hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN = re.compile(rf"([{_CJK}]+)|[^\W_{_CJK}]+", re.UNICODE)
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


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


def tokenize(text: str | None) -> list[str]:
    """Lower-case word tokens without stop words, plurals stripped; CJK runs as character bigrams.

    Example:
        >>> tokenize("Red Shoes for kids")
        ['red', 'shoe', 'kid']
        >>> tokenize("Nike跑步鞋 红色")
        ['nike', '跑步', '步鞋', '红色']
    """
    if not text:
        return []
    tokens: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        if match.group(1):
            tokens.extend(_bigrams(match.group(1)))
        elif match.group(0) not in _STOPWORDS:
            tokens.append(_stem(match.group(0)))
    return tokens


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


__all__ = ["BASELINES", "BASELINE_DESCRIPTIONS", "baseline_descriptions", "bm25_run", "input_order_run", "tokenize"]
