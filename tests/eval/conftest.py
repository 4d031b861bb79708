from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from lychee import BaseScorer, Prediction
from lychee.results import sigmoid


@dataclass
class WordOverlapScorer(BaseScorer):
    """A deterministic text scorer for tests: log-odds = 4 * (share of query words in the document) - 2.

    An instruction containing "reverse" flips the sign, so an instruction A/B gives clearly different rankings.
    ``calls`` records the number of pairs of each ``_predict_pairs`` call.
    """

    name: str = "word-overlap"
    family: str = "test"
    calls: list[int] = field(default_factory=list)

    def _predict_pairs(self, pairs, instruction, *, progress=None):
        self.calls.append(len(pairs))
        out = []
        for q, d in pairs:
            words = set((q.text or "").lower().split())
            doc = set((d.text or "").lower().replace(",", " ").split())
            share = len(words & doc) / len(words) if words else 0.0
            z = 4.0 * share - 2.0
            if "reverse" in instruction:
                z = -z
            out.append(Prediction(score=sigmoid(z), log_odds=z))
        if progress is not None:
            progress(len(pairs), len(pairs))
        return out


@pytest.fixture
def overlap_scorer():
    return WordOverlapScorer()


@pytest.fixture
def make_overlap_scorer():
    """A factory of fresh :class:`WordOverlapScorer` instances (each with its own call log)."""
    return WordOverlapScorer
