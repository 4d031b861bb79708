"""The Runs page: ``logic`` (names, the runs table, the comparison chart; no streamlit) and ``view`` (the set filter,
comparing two runs, deleting one)."""

from __future__ import annotations

__all__: list[str] = []
