"""Judging: blind, shuffled grading by several raters, their agreement, the disagreement queue and the set's
guidelines. ``logic`` (what a rater sees, the tables; no streamlit) and ``access`` (the editor hook, ``can_edit``)
beside the views: ``grader_view`` (the rater's name, guidelines, one grade select per title), ``view`` (the Judge page's
grading) and ``review_view`` (agreement, disagreements and adjudication, the set's settings). Batch rerank's Judge mode
(:mod:`lychee.ui.batch.judge_view`) draws the same grader.
"""

from __future__ import annotations

__all__: list[str] = []
