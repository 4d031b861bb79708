"""The Single pair page: ``logic`` (the stored result, its tables and downloads; no streamlit) and ``view`` (scoring
with a progress bar, the score header and one function per result tab)."""

from __future__ import annotations

__all__: list[str] = []
