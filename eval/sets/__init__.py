"""Everything that becomes a :class:`~eval.sets.labelled.LabelledSet`, with every problem named by file and line.

Holds :mod:`~eval.sets.labelled` (the set types, ``LabelledSetError``, the shipped sets), :mod:`~eval.sets.grades`
(several raters' grades and the aggregation rules), :mod:`~eval.sets.extra` (extra judgments on a set),
:mod:`~eval.sets.inputs` (what a set is read from, to read it again), :mod:`~eval.sets.readers`
and :mod:`~eval.sets.loader` (JSONL, CSV and zip sets, and ``build_set``, the validation every format shares),
:mod:`~eval.sets.trec` (runs and qrels), :mod:`~eval.sets.corpus` (documents, queries, segments files),
:mod:`~eval.sets.firststage` and :mod:`~eval.sets.beir` (judged collections and a first-stage run),
:mod:`~eval.sets.segments`, :mod:`~eval.sets.problems` (the one problem collector of every reader),
:mod:`~eval.sets.lines` (streamed line reading, file and id checks) and :mod:`~eval.sets.atomic` (``write_atomically``,
here because it is the lowest package both ``engine`` and ``history`` import).

May import: :mod:`eval.measures` (trec_eval's ranking order); of the library, anything but ``lychee.ui``.
"""

from __future__ import annotations

__all__: list[str] = []
