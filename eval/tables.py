"""The aligned text tables the command lines print (``python -m eval``, ``python -m eval.runs``), CJK-aware."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("F", "W") else 1 for ch in text)


def table(rows: list[list[str]], *, right: int | None = None) -> list[str]:
    """The lines of a text table: the header row, a line of dashes, then the rows, each column padded to its display
    width (:func:`display_width`) and two spaces apart; columns from index ``right`` on are right-aligned (numbers),
    the others left-aligned. Trailing spaces are dropped."""
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]))]

    def pad(cell: str, i: int) -> str:
        fill = " " * (widths[i] - display_width(cell))
        return fill + cell if right is not None and i >= right else cell + fill

    lines = ["  ".join(pad(cell, i) for i, cell in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


__all__ = ["display_width", "table"]
