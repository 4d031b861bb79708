"""BM25, the lexical baseline, as a scorer (``load_scorer("bm25")``) and as the index ``eval`` ranks baselines with.

Okapi BM25 (``bm25s``, Lucene variant, k1 = 1.5, b = 0.75) over word tokens: lower-cased runs of letters/digits,
English stop words removed, and a plural "s"/"es"/"ies" suffix stripped (a tiny deterministic stemmer, so "shoes"
matches "shoe"). Chinese, Japanese and Korean text has no spaces between words, so a run of CJK characters becomes its
overlapping character bigrams (a lone character stays a unigram), as Lucene's ``CJKAnalyzer`` does:
"碎花连衣裙" -> 碎花, 花连, 连衣, 衣裙. So it matches Chinese titles by shared words where the English-only default
matches shared characters without meaning (measured on ``eval/data/ecommerce_zh.jsonl``: NDCG@10 0.884 against the
default's 0.774).

As a scorer, the index is the documents of each call that share a query: the batch's own titles give the IDF. The
score is **not a probability** (``capabilities.score_is_probability`` is False, and the pages say bands do not apply)::

    log_odds = BM25(query, document) - BM25_CENTER
    score    = sigmoid(log_odds)

The mapping is monotone, so rankings are BM25's; occlusion weights are BM25 points lost without a word, each pair
scored alone (``capabilities.batch_dependent``: the occluded variants never enter each other's IDF). Among ten
titles, one sharing three informative words with the query scores about BM25 1.2 (0.55); one sharing none scores 0,
i.e. ``sigmoid(-1)`` = 0.27. Text only; the instruction is ignored. :mod:`eval.engine.baselines` builds its
``bm25`` run with :class:`BM25Index` and :func:`tokenize` from here, over every candidate text of a set.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lychee.contract import Capabilities, ModelInfo
from lychee.items import Item
from lychee.results import Prediction, ProgressCallback, sigmoid
from lychee.scorers.base import BaseScorer

#: The name ``load_scorer`` knows this scorer by.
BM25_MODEL = "bm25"
BM25_K1 = 1.5
BM25_B = 0.75
#: The BM25 score that maps to 0.5: about three informative shared words among ten titles (Lucene's BM25 adds about
#: 0.2-0.5 per matching word there).
BM25_CENTER = 1.0
BM25_CAPABILITIES = Capabilities(
    text=True,
    image=False,
    video=False,
    uses_instruction=False,
    languages=(),  # lexical in every script: no language reads better or worse
    explain_methods=("occlusion",),
    score_is_probability=False,
    batch_dependent=True,  # the IDF comes from the call's titles
)
BM25_FORMULA = f"sigmoid(BM25 - {BM25_CENTER:g}); BM25 (Lucene, k1={BM25_K1}, b={BM25_B}) over the batch's own titles"
#: What BM25 is, for ``ModelInfo.notes`` (the dashboard shows it in the session's language: lychee/ui/model_notes.py).
BM25_NOTE = (
    "BM25 is a lexical ranking, not a model: it counts the query's words (Chinese: character pairs) in each title, "
    "weighted by how rare they are among the titles scored together. Its score is not a probability, so the bands do "
    "not apply; it reads no meaning and no images."
)

# Han (incl. extension A and compatibility ideographs), hiragana/katakana, hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN = re.compile(rf"([{_CJK}]+)|[^\W_{_CJK}]+", re.UNICODE)
# A short English stop list: enough that "for", "the", "with" do not decide a ranking.
_STOPWORDS = frozenset(
    "a an and are as at be but by for from has have how i in is it its of on or that the this to was what when where "
    "which who why will with you your".split()
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


class BM25Index:
    """BM25 over a fixed list of texts; each distinct text is indexed once (a repeated text does not change IDF).

    Args:
        texts: the documents' texts (``None`` counts as empty).
        k1, b: BM25's term-frequency saturation and length normalisation.

    Example:
        >>> index = BM25Index(["red running shoe", "blue teapot"])
        >>> [round(s, 3) for s in index.scores("red shoes")]  # 2 x ln(2) x 1 / (1 + 1.5 x (0.25 + 0.75 x 3 / 2.5))
        [0.509, 0.0]
    """

    def __init__(self, texts: Sequence[str | None], *, k1: float = BM25_K1, b: float = BM25_B) -> None:
        self.texts = list(dict.fromkeys(t or "" for t in texts))
        self._position = {t: i for i, t in enumerate(self.texts)}
        corpus = [tokenize(t) for t in self.texts]
        self._retriever = None
        if any(corpus):  # an index with no token at all (image-only documents) has nothing to match: every score 0
            import bm25s

            # bm25s sets its own logger to DEBUG, which prints "Building index from tokens" through any INFO handler.
            logging.getLogger("bm25s").setLevel(logging.WARNING)
            self._retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
            self._retriever.index(corpus, show_progress=False)

    def distinct_scores(self, query: str | None) -> np.ndarray:
        """The BM25 score of ``query`` against each distinct text, in :attr:`texts` order (zeros for no tokens)."""
        tokens = tokenize(query)
        if self._retriever is None or not tokens:
            return np.zeros(len(self.texts))
        return self._retriever.get_scores(tokens)

    def position(self, text: str | None) -> int:
        """Where ``text`` sits in :attr:`texts` (the index of its score in :meth:`distinct_scores`)."""
        return self._position[text or ""]

    def scores(self, query: str | None, texts: Sequence[str | None] | None = None) -> list[float]:
        """The BM25 score of ``query`` against each of ``texts`` (default: the indexed texts as given)."""
        by_text = self.distinct_scores(query)
        return [float(by_text[self.position(t)]) for t in (self.texts if texts is None else texts)]


@dataclass
class BM25Scorer(BaseScorer):
    """BM25 over the documents of each call that share a query (text only; see the module docstring)."""

    k1: float = BM25_K1
    b: float = BM25_B

    @classmethod
    def load(cls) -> BM25Scorer:
        info = ModelInfo(
            name=BM25_MODEL,
            family="lexical",
            device="cpu",
            dtype="n/a",
            attention="n/a",
            parameters=0,
            score_formula=BM25_FORMULA,
            notes=(BM25_NOTE,),
        )
        return cls(name=BM25_MODEL, family="lexical", capabilities=BM25_CAPABILITIES, info=info)

    def _predict_pairs(
        self,
        pairs: Sequence[tuple[Item, Item]],
        instruction: str,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]:
        """One index per query text over the documents paired with it; predictions in input order."""
        groups: dict[str, list[int]] = {}
        for i, (query, _) in enumerate(pairs):
            groups.setdefault(query.text or "", []).append(i)
        log_odds = [0.0] * len(pairs)
        for n_done, (query_text, members) in enumerate(groups.items(), start=1):
            texts = [pairs[i][1].text for i in members]
            for i, value in zip(members, BM25Index(texts, k1=self.k1, b=self.b).scores(query_text, texts)):
                log_odds[i] = value - BM25_CENTER
            if progress is not None:
                progress(n_done, len(groups))
        return [Prediction(score=sigmoid(z), log_odds=z) for z in log_odds]


__all__ = [
    "BM25_B",
    "BM25_NOTE",
    "BM25_CAPABILITIES",
    "BM25_CENTER",
    "BM25_FORMULA",
    "BM25_K1",
    "BM25_MODEL",
    "BM25Index",
    "BM25Scorer",
    "tokenize",
]
