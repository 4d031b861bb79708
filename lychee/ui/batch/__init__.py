"""The Batch rerank page, one pure module (no streamlit) beside each view:

- ``titles`` (parsing, limits, duplicates, CSV reading) and ``table`` (the stored result, its table, downloads and
  chart), drawn by ``view`` (CSV picker, scoring, results);
- ``ab`` (what B is, its result, the slope chart), drawn by ``ab_view`` (toggle, B's set-up, the comparison);
- ``label`` (the grading table and its messages), drawn by ``label_view`` (grade editor, target set, save).
"""

from __future__ import annotations

__all__: list[str] = []
