"""Evaluation as a CI gate: a run against a baseline, and the files CI systems show.

Holds :mod:`~eval.gate.baseline` (BASELINE: a run id of the store, ``last-pass``, an output folder or a
metrics.json), :mod:`~eval.gate.verdict` (the rule: a drop larger than ``max_drop`` with paired randomization
p < ``alpha``, overall and per segment) and :mod:`~eval.gate.reports` (the Markdown summary and the JUnit XML of any
run, gated or not). ``python -m eval --gate ...`` parses the options and calls them.

May import: :mod:`eval.history` (the run store), :mod:`eval.sets`, :mod:`eval.measures`; not :mod:`eval.engine` —
the candidate is read from its ``metrics.json`` object, as the store records it. Of the library, anything but
``lychee.ui``.
"""

from __future__ import annotations

__all__: list[str] = []
