"""What outlives one evaluation: the run history and the sets analysts label.

Holds :mod:`~eval.history.workspace` (where saved sets and the run store live), :mod:`~eval.history.store` (the
SQLite run store every evaluation is recorded in, with gated runs' pass/fail marks), :mod:`~eval.history.compare`
(two recorded runs of a set, per query), :mod:`~eval.history.trend` (a set's metric over its runs),
:mod:`~eval.history.setfile` (locked, checked edits of a saved set), :mod:`~eval.history.labelling` (a rater's graded
queries saved into JSONL sets) and :mod:`~eval.history.judging` (adjudication, the aggregation rule, the guidelines).

May import: :mod:`eval.sets` (the loader, ``write_atomically``), :mod:`eval.measures` (the paired test); not
:mod:`eval.engine` — runs are recorded from ``metrics.json``'s object, so the history needs no evaluation code. Of
the library, anything but ``lychee.ui``.
"""

from __future__ import annotations

__all__: list[str] = []
