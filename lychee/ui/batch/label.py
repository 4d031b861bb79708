"""Labelling without Streamlit: the table the analyst grades (A's order), the grades read back from it in input
order, and the lines written after a save. :mod:`lychee.ui.batch.label_view` draws the editor and saves; blind
grading (Judge mode) is :mod:`lychee.ui.batch.judge_view`.
"""

from __future__ import annotations

import io

import pandas as pd
from PIL import Image

from eval.history.labelling import SaveResult
from lychee.compare import rank_order
from lychee.formatting import escape_markdown, markdown_code
from lychee.ui.batch.table import BatchResult
from lychee.ui.i18n import _, ngettext


def png_bytes(image: Image.Image | None) -> bytes | None:
    """``image`` encoded as PNG (what the query id is derived from), ``None`` for no image."""
    if image is None:
        return None
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def grading_frame(result: BatchResult, grades: list[int | None]) -> pd.DataFrame:
    """The table the analyst grades: A's order, with ``rank_a, title, score, grade`` and the input position as index."""
    order = rank_order(result.scores, result.log_odds)
    return pd.DataFrame(
        {
            "rank_a": list(range(1, len(order) + 1)),
            "title": [result.titles[i] for i in order],
            "score": [float(result.scores[i]) for i in order],
            "grade": pd.array([grades[i] for i in order], dtype="Int64"),
        },
        index=pd.Index(order, name="position"),
    )


def grades_from_frame(edited: pd.DataFrame, n: int) -> list[int | None]:
    """Grades back in input order from the edited table (its index is the input position)."""
    out: list[int | None] = [None] * n
    for position, grade in zip(edited.index, edited["grade"]):
        out[int(position)] = None if pd.isna(grade) else int(grade)
    return out


def graded_caption(grades: list[int | None]) -> str:
    """How many titles have a grade so far (the others are saved unjudged)."""
    n_graded = sum(g is not None for g in grades)
    return _("{n_graded} of {n_grades} titles graded; titles left ungraded are saved as unjudged, not 0.").format(
        n_graded=n_graded, n_grades=len(grades)
    )


def saved_message(saved: SaveResult, rater: str) -> str:
    """What the page says after a save: whose grades, saved or replaced, where, how many queries the set holds now
    and who has graded this query."""
    raters = ", ".join(escape_markdown(r) for r in saved.raters)
    if saved.replaced:
        message = _(
            "Replaced {rater}'s grades of query {qid} in {path} ({n_queries} now; graded by {raters}). Evaluate it "
            "on the **Evaluation** page (source: saved sets); see the raters' agreement on the **Judge** page."
        )
    else:
        message = _(
            "Saved {rater}'s grades of query {qid} in {path} ({n_queries} now; graded by {raters}). Evaluate it on "
            "the **Evaluation** page (source: saved sets); see the raters' agreement on the **Judge** page."
        )
    return message.format(
        rater=escape_markdown(rater),
        qid=markdown_code(saved.qid),
        path=markdown_code(str(saved.path)),
        n_queries=ngettext("{n} query", "{n} queries", saved.n_queries).format(n=saved.n_queries),
        raters=raters,
    )


__all__ = ["graded_caption", "grades_from_frame", "grading_frame", "png_bytes", "saved_message"]
