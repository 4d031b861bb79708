"""The maths of an evaluation, on plain ``qrels``/``run`` dicts and lists of values.

Holds :mod:`~eval.measures.metrics` (NDCG@k with linear and exponential gain, MRR@k, Hit@k, Recall@k, Judged@k, and
trec_eval's ranking order), :mod:`~eval.measures.stats` (bootstrap intervals, the paired randomization test,
wins/ties/losses), :mod:`~eval.measures.calibration` (reliability bins, the F1-optimal threshold),
:mod:`~eval.measures.agreement` (agreement between raters: Krippendorff's α, Fleiss' κ, quadratic Cohen's κ) and
:mod:`~eval.measures.correlation` (Spearman's rho, for the parity check).

May import: nothing of ``eval`` (it is the lowest package). Of the library it uses only :mod:`lychee.validation`.
"""

from __future__ import annotations

__all__: list[str] = []
