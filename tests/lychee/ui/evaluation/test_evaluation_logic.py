"""The Evaluation page's set choice without Streamlit (lychee.ui.evaluation.logic): reading the chosen set."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eval.sets.labelled import shipped_set_path
from lychee.ui.evaluation.logic import SetChoice, read_set, saved_set_name
from lychee.ui.uploads import keep_upload


def test_a_shipped_set_is_read_and_named_by_its_place_in_eval_data():
    labelled = read_set(SetChoice("shipped", "passages.csv"))
    assert labelled.name == "eval/data/passages.csv" and labelled.n_pairs > 0
    assert SetChoice("shipped", "passages.csv").path() == shipped_set_path("passages.csv")
    assert SetChoice("upload").path() is None


def test_uploaded_segments_are_applied():
    qids = read_set(SetChoice("shipped", "passages.csv")).qids
    segments = keep_upload("segments.tsv", "".join(f"{qid}\thow-to\n" for qid in qids).encode())
    labelled = read_set(SetChoice("shipped", "passages.csv"), segments=segments)
    assert {q.segment for q in labelled.queries} == {"how-to"}


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (
            SetChoice("saved"),
            "No saved set to evaluate: save graded titles on the Batch rerank page, or pick another source.",
        ),
        (
            SetChoice("upload"),
            "No file uploaded: upload a JSONL, CSV or ZIP labelled set above, or choose a shipped set.",
        ),
        (
            SetChoice("beir"),
            "No BEIR folder uploaded: upload a .zip holding corpus.jsonl, queries.jsonl and qrels/<split>.tsv.",
        ),
    ],
)
def test_a_missing_input_says_what_to_do(choice, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        read_set(choice)


def test_a_saved_set_is_named_relative_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert saved_set_name(tmp_path / "sets" / "shoes.jsonl") == str(Path("sets") / "shoes.jsonl")
    assert saved_set_name(Path("/elsewhere/shoes.jsonl")) == "/elsewhere/shoes.jsonl"
