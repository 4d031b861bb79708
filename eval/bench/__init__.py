"""``python -m eval.bench``: timings of the library, its HTTP API and remote models.

Holds :mod:`~eval.bench.timings` (the command line, the default-model and synthetic-VLM measures),
:mod:`~eval.bench.api` (the HTTP API against the library), :mod:`~eval.bench.explain` (``relevant_spans`` against
one ``predict_pairs`` of its pairs), :mod:`~eval.bench.remote` (a served model) and :mod:`~eval.bench.clock` (how
they all time: interleaved calls, medians).

May import: nothing of ``eval`` outside this package; only the library (not ``lychee.ui``).
"""

from __future__ import annotations

__all__: list[str] = []
