from __future__ import annotations

import pytest

from tests.helpers import WordOverlapScorer


@pytest.fixture
def overlap_scorer():
    return WordOverlapScorer()


@pytest.fixture
def make_overlap_scorer():
    """A factory of fresh :class:`WordOverlapScorer` instances (each with its own call log)."""
    return WordOverlapScorer
