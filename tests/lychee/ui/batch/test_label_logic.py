"""Labelling without Streamlit (lychee.ui.batch.label): the grading table, grades back in input order, messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PIL import Image

from eval.history.labelling import SaveResult
from lychee.ui.batch.label import graded_caption, grades_from_frame, grading_frame, png_bytes, saved_message
from lychee.ui.batch.table import BatchResult


def _result() -> BatchResult:
    return BatchResult(
        query_text="hiking",
        titles=["socks", "boots", "mug"],
        scores=[0.6, 0.9, 0.1],
        log_odds=[0.4, 2.2, -2.2],
        truncated=[False] * 3,
        duplicate_of=[None] * 3,
        blank_skipped=0,
        source="the text box",
        model="default",
        instruction=None,
        instruction_used="x",
        seconds=0.1,
    )


def test_the_grading_table_is_in_as_order_and_grades_come_back_in_input_order():
    frame = grading_frame(_result(), [None, 3, 0])
    assert frame["title"].tolist() == ["boots", "socks", "mug"] and frame["rank_a"].tolist() == [1, 2, 3]
    assert frame.index.tolist() == [1, 0, 2]
    assert frame["grade"].tolist()[0] == 3 and pd.isna(frame["grade"].tolist()[1])
    edited = frame.assign(grade=pd.array([2, 1, None], dtype="Int64"))
    assert grades_from_frame(edited, 3) == [1, 2, None]
    assert graded_caption([1, 2, None]) == (
        "2 of 3 titles graded; titles left ungraded are saved as unjudged, not 0."
    )


def test_messages_and_the_query_image_bytes():
    saved = SaveResult(path=Path("sets/a.jsonl"), qid="q1", replaced=False, n_queries=1, raters=("ann",))
    assert saved_message(saved, "ann") == (
        "Saved ann's grades of query `q1` in `sets/a.jsonl` (1 query now; graded by ann). Evaluate it on the "
        "**Evaluation** page (source: saved sets); see the raters' agreement on the **Judge** page."
    )
    replaced = SaveResult(path=Path("sets/a.jsonl"), qid="q1", replaced=True, n_queries=4, raters=("ann", "bob"))
    assert saved_message(replaced, "bob").startswith(
        "Replaced bob's grades of query `q1` in `sets/a.jsonl` (4 queries now; graded by ann, bob)."
    )
    assert png_bytes(None) is None
    assert png_bytes(Image.new("RGB", (2, 2))).startswith(b"\x89PNG")
