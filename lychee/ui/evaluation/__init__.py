"""The Evaluation page: ``logic`` (the set choice and reading it) and ``charts`` (tables and Altair charts of a
result), both without streamlit, and ``view`` (the set picker, scoring with a progress bar, the report)."""

from __future__ import annotations

__all__: list[str] = []
