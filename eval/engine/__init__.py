"""One evaluation: score a set with a reranker beside the baselines, report it, write its files.

Holds :mod:`~eval.engine.scored_system` (``System``: scorer, instruction, model name), :mod:`~eval.engine.baselines`
(input order, BM25), :mod:`~eval.engine.scoring` and :mod:`~eval.engine.resume` (chunked scoring, the partial file),
:mod:`~eval.engine.report` (the typed report; its ``as_dict()`` is metrics.json), :mod:`~eval.engine.evaluate`
(``evaluate_set``, the one call of the CLI and the Evaluation page) and :mod:`~eval.engine.outputs` (run.trec,
qrels.txt, metrics.json, per_query.csv).

May import: :mod:`eval.sets`, :mod:`eval.measures`; of the library, anything but ``lychee.ui``.
"""

from __future__ import annotations

__all__: list[str] = []
