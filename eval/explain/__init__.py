"""``python -m eval.explain``: how faithful each explanation method is on a labelled set.

For each query of the set, its highest-labelled candidate with text (the first in file order on ties), up to
``--pairs`` pairs in file order, is explained by each method; the document's words are then removed by the
explanation's ranking (the deletion curve, :mod:`lychee.salience.faithfulness`). Per method: the mean
comprehensiveness and sufficiency with bootstrap 95% intervals, the random floor, normalized AOPC, the leave-one-out
Kendall tau, evaluations and seconds per pair.

Holds :mod:`~eval.explain.pairs` (which pairs), :mod:`~eval.explain.measures` (the per-pair numbers and their
means), :mod:`~eval.explain.bounds` (the AOPC bounds of normalized AOPC) and the command line (``__main__``).

May import: ``eval.sets``, ``eval.measures``, ``eval.engine`` (and the library, not ``lychee.ui``).
"""

from __future__ import annotations

__all__: list[str] = []
