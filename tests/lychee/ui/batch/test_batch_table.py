"""A reranked batch (lychee.ui.batch.table, no Streamlit): the table, its display, exports, chart, notes, caption."""

from __future__ import annotations

import io
import json
import math
import re

import pandas as pd
import pytest

from lychee.ui.batch import table as batch_table
from lychee.ui.batch.table import BatchResult, input_notes, result_caption
from lychee.ui.shell.settings import Settings


def test_results_table_sorts_by_score_and_keeps_original_positions():
    df = batch_table.results_table(
        ["a", "b", "c", "d"],
        [0.2, 0.9, 0.6, 0.8],
        log_odds=[-1.4, 2.2, 0.4, 1.4],
        duplicate_of=[None, None, None, 2],
        strong=0.75,
        medium=0.55,
    )
    assert df["title"].tolist() == ["b", "d", "c", "a"]
    assert df["rank"].tolist() == [1, 2, 3, 4]
    assert df["original_rank"].tolist() == [2, 4, 3, 1]
    assert df["change"].tolist() == ["↑ 1", "↑ 2", "=", "↓ 3"]
    assert df["band"].tolist() == ["strong", "strong", "medium", "weak"]
    assert df["duplicate_of"].tolist()[1] == 2 and pd.isna(df["duplicate_of"].tolist()[0])
    assert not df["truncated"].any()


def test_ties_break_on_log_odds_then_input_order():
    df = batch_table.results_table(["a", "b", "c"], [0.5, 0.5, 0.5], log_odds=[0.0, 0.1, 0.0], strong=0.75, medium=0.55)
    assert df["title"].tolist() == ["b", "a", "c"]


def test_bands_follow_the_given_thresholds():
    df = batch_table.results_table(["a", "b", "c"], [0.95, 0.5, 0.2], strong=0.9, medium=0.4)
    assert df["band"].tolist() == ["strong", "medium", "weak"]
    df = batch_table.results_table(["a", "b", "c"], [0.95, 0.5, 0.2], strong=0.99, medium=0.6)
    assert df["band"].tolist() == ["medium", "weak", "weak"]


def test_results_table_refuses_mismatched_lengths():
    with pytest.raises(
        ValueError, match=re.escape("results_table: got 2 titles but {'scores': 1}; expected one value per title.")
    ):
        batch_table.results_table(["a", "b"], [0.5], strong=0.75, medium=0.55)


def test_display_table_marks_bands_and_duplicates():
    df = batch_table.results_table(["a", "a"], [0.9, 0.1], duplicate_of=[None, 1], strong=0.75, medium=0.55)
    shown = batch_table.display_table(df)
    assert shown["band"].tolist() == ["🟢 strong", "🔴 weak"]
    assert shown["duplicate_of"].tolist() == ["", "duplicate of #1"]


def test_csv_and_json_exports_round_trip():
    df = batch_table.results_table(
        ["<b>x</b>", 'café, "quoted"'], [0.3, 0.8], log_odds=[float("nan"), 1.0], strong=0.75, medium=0.55
    )
    back = pd.read_csv(io.BytesIO(batch_table.to_csv_bytes(df)))
    assert back["title"].tolist() == ['café, "quoted"', "<b>x</b>"]
    assert back["rank"].tolist() == [1, 2]
    doc = json.loads(batch_table.to_json_bytes(df, {"query": "q"}))
    assert doc["meta"] == {"query": "q"}
    assert [r["title"] for r in doc["results"]] == ['café, "quoted"', "<b>x</b>"]
    assert doc["results"][1]["log_odds"] is None  # NaN -> null, so the file is valid JSON
    assert math.isclose(doc["results"][0]["score"], 0.8)


def test_score_chart_colours_bars_by_band_and_draws_both_thresholds():
    df = batch_table.results_table(["a", "b"], [0.9, 0.1], strong=0.8, medium=0.3)
    spec = batch_table.score_chart(df, strong=0.8, medium=0.3).to_dict()
    bars, rules = spec["layer"]
    assert rules["mark"]["type"] == "rule"
    colour = bars["encoding"]["color"]
    assert colour["field"] == "band_shown"  # the band as the session names it
    assert colour["scale"] == {"domain": ["strong", "medium", "weak"], "range": ["#2e7d32", "#f9a825", "#c62828"]}
    assert bars["encoding"]["y"]["sort"] == ["1. a", "2. b"]
    rule_values = [row["threshold"] for name, rows in spec["datasets"].items() for row in rows if "threshold" in row]
    assert sorted(rule_values) == [0.3, 0.8]
    assert spec["height"] == {"step": 22}


def _result(**overrides) -> BatchResult:
    fields = dict(
        query_text="red shoes",
        titles=["a", "b", "a"],
        scores=[0.9, 0.2, 0.6],
        log_odds=[2.2, -1.4, 0.4],
        truncated=[False, False, False],
        duplicate_of=[None, None, 1],
        blank_skipped=0,
        source="the text box",
        model="default",
        instruction=None,
        instruction_used="Given a web search query, retrieve relevant passages that answer the query",
        seconds=0.25,
    )
    return BatchResult(**{**fields, **overrides})


def test_input_notes_count_blanks_duplicates_and_truncated_titles_in_the_sources_unit():
    blank, duplicates, truncated = input_notes(_result(blank_skipped=2, truncated=[True, False, True]))
    assert blank == "Skipped 2 blank lines."
    assert duplicates == (
        "1 duplicate title is kept and marked “duplicate of #k” (k = original position of its first occurrence)."
    )
    assert truncated == (
        "2 titles were longer than the model's maximum input and scored on truncated text (marked in the Truncated "
        "column)."
    )
    assert input_notes(_result(duplicate_of=[None, None, None]))[0:2] == (None, None)
    assert input_notes(_result(blank_skipped=1, source="CSV 'x.csv' column 't'"))[0] == "Skipped 1 blank row."


def test_the_caption_names_query_model_instruction_and_source():
    assert result_caption(_result(), 3) == (
        "Query “red shoes” · model `default` · instruction “Given a web search query\\, retrieve relevant passages that "
        "answer the query” · 3 titles from the text box scored in 0.25 s"
    )
    image_only = result_caption(_result(query_text=None, query_image_name="q.png", instruction_used="x" * 200), 3)
    shortened = "x" * 117 + "…"
    assert image_only.startswith(f"Query (image only) + image `q.png` · model `default` · instruction “{shortened}”")


def test_a_result_is_outdated_once_the_model_or_instruction_changes():
    result = _result()
    assert not result.outdated(Settings())
    assert result.outdated(Settings(instruction="Rank shoes."))
    assert result.outdated(Settings(model="/models/lychee"))
