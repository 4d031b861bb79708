"""``python -m eval.parity``: does a served model score like the model it should be?

Holds :mod:`~eval.parity.pairs` (the pairs of a set to score, both models' predictions) and
:mod:`~eval.parity.check` (score and log-odds differences, Spearman's rho, top-10 agreement per query, and the
degenerate-score alarm); ``__main__`` is the command line.

May import: :mod:`eval.sets` (the set's pairs), :mod:`eval.measures` (Spearman's rho); of the library, anything but
``lychee.ui``.
"""

from __future__ import annotations

__all__: list[str] = []
