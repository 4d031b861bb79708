"""Explaining a reranked batch without Streamlit: "why A above B" for two picked rows (the contrast and its table),
and the modality-shares column (one share per part of every title's pair).

:mod:`lychee.ui.batch.explain_view` picks, computes and draws; everything here is plain data in, data out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from lychee.explanation import MODALITY_PARTS, ContrastiveExplanation, ModalityShares
from lychee.formatting import shorten
from lychee.ui.batch.table import BatchResult
from lychee.ui.i18n import _
from lychee.ui.single.evidence import PART_LABELS

#: Session keys of the last contrast and the last shares (non-widget keys: they survive reruns and page switches).
CONTRAST_KEY = "batch_contrast_result"
SHARES_KEY = "batch_shares_result"
#: The most characters of a title in the row pickers.
TITLE_CHARS = 70
CONTRAST_COLUMNS = ["text", "word", "effect_on_gap"]


def batch_signature(result: BatchResult) -> tuple:
    """What identifies one reranked batch: its query, titles, model, instruction and timing (a new rerank of the same
    titles is a new batch)."""
    return (result.query_text, tuple(result.titles), result.model, result.instruction, result.seconds)


@dataclass
class ContrastResult:
    """One "why A above B", tied to the batch it explains (``batch_id``: its :func:`batch_signature`)."""

    explanation: ContrastiveExplanation
    a_index: int
    b_index: int
    batch_id: tuple
    model: str
    instruction: str | None
    seconds: float


@dataclass
class SharesResult:
    """The modality shares of every title of one batch (input order), tied to it like :class:`ContrastResult`."""

    shares: list[ModalityShares]
    batch_id: tuple
    model: str
    instruction: str | None
    seconds: float


def rows_by_rank(table: pd.DataFrame) -> list[int]:
    """The titles' input positions (0-based), best first: the choices of the A and B pickers."""
    return [int(r) - 1 for r in table["original_rank"]]


def row_label(table: pd.DataFrame, index: int) -> str:
    """How a picker shows a title: ``"#2 · Nike red running shoe… (P 0.94)"``."""
    row = table[table["original_rank"] == index + 1].iloc[0]
    return _("#{rank} · {title} (P {score:.2f})").format(
        rank=int(row["rank"]), title=shorten(str(row["title"]), TITLE_CHARS), score=float(row["score"])
    )


def gap_headline(e: ContrastiveExplanation) -> str:
    """The gap in words: which title ranks above, by how much in log-odds, and both P(yes)."""
    if e.gap > 0:
        return _(
            "A ranks above B: lo(A) − lo(B) = {gap:+.2f} (P(yes) {score_a:.3f} vs {score_b:.3f}). Green "
            "words widen the gap in A's favour, red ones narrow it."
        ).format(gap=e.gap, score_a=e.score_a, score_b=e.score_b)
    if e.gap < 0:
        return _(
            "A ranks below B: lo(A) − lo(B) = {gap:+.2f} (P(yes) {score_a:.3f} vs {score_b:.3f}). Green "
            "words widen the gap in A's favour, red ones narrow it."
        ).format(gap=e.gap, score_a=e.score_a, score_b=e.score_b)
    return _("A and B score alike: lo(A) − lo(B) = 0.00 (P(yes) {score_a:.3f} each).").format(score_a=e.score_a)


def contrast_table(e: ContrastiveExplanation) -> pd.DataFrame:
    """Every unit's effect on the gap: the query's words, A's words, B's words (B's own effect with its sign
    flipped), largest effect first."""
    rows = [{"text": "query", "word": t.text, "effect_on_gap": t.weight} for t in e.query_tokens]
    rows += [{"text": "A", "word": t.text, "effect_on_gap": t.weight} for t in e.a_tokens]
    rows += [{"text": "B", "word": t.text, "effect_on_gap": -t.weight} for t in e.b_tokens]
    frame = pd.DataFrame(rows, columns=CONTRAST_COLUMNS)
    if frame.empty:
        return frame
    return frame.reindex(frame["effect_on_gap"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def shares_table(table: pd.DataFrame, shares: Sequence[ModalityShares]) -> pd.DataFrame:
    """The reranked table's rank, title and P(yes), and one share column per part present (``shares`` in input
    order): ``rank, title, score, query text, document text, ...``."""
    parts = [p for p in MODALITY_PARTS if any(p in s.parts for s in shares)]
    rows = []
    for row in table.itertuples():
        own = shares[int(row.original_rank) - 1].shares()
        out = {"rank": int(row.rank), "title": row.title, "score": float(row.score)}
        out.update({PART_LABELS[p]: own.get(p) for p in parts})
        rows.append(out)
    return pd.DataFrame(rows, columns=["rank", "title", "score", *(PART_LABELS[p] for p in parts)])


__all__ = [
    "CONTRAST_KEY",
    "SHARES_KEY",
    "ContrastResult",
    "SharesResult",
    "batch_signature",
    "contrast_table",
    "gap_headline",
    "row_label",
    "rows_by_rank",
    "shares_table",
]
