"""Judging like a relevance team: agreement between raters, the disagreement queue, the holes of a run's top k,
and the model checked as one more judge. ``python -m eval.judgments agreement|disagreements|holes|export``.

Holds :mod:`~eval.judgments.ratings` (agreement per set and per query, disagreements), :mod:`~eval.judgments.holes`
(the unjudged documents of a run's top k as a queue to grade), :mod:`~eval.judgments.pregrade` (could the model
pre-grade? its bands and a fitted threshold mapping against people's grades) and the command line.

May import: :mod:`eval.history` (the run store, editing saved sets), :mod:`eval.sets`, :mod:`eval.measures`; never
:mod:`eval.engine` (it works from sets, scores and recorded runs) and never ``lychee.ui``.
"""

from __future__ import annotations

__all__: list[str] = []
