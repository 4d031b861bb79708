"""The batch rerank's pure logic: title parsing, limit, duplicates, CSV reading, table building, exports, chart."""

from __future__ import annotations

import io
import json
import math
import re

import pandas as pd
import pytest

from lychee.ui.batch import table as batch_table
from lychee.ui.batch import titles as batch


def test_parse_titles_skips_blank_lines_and_counts_them():
    parsed = batch.parse_titles("alpha\n\n  \nbeta  \n\tgamma\n")
    assert parsed.titles == ["alpha", "beta", "gamma"]
    assert parsed.sources == [1, 4, 5]
    assert parsed.blank_skipped == 2
    assert parsed.duplicate_of == [None, None, None]


def test_duplicates_are_kept_and_point_to_the_first_occurrence():
    parsed = batch.parse_titles("Red Shoe\nblue hat\nred  shoe\nRED SHOE\nblue hat")
    assert parsed.titles == ["Red Shoe", "blue hat", "red  shoe", "RED SHOE", "blue hat"]
    assert parsed.duplicate_of == [None, None, 1, 1, 2]


def test_fifty_titles_pass_and_fifty_one_are_refused_with_counts():
    fifty = "\n".join(f"title {i}" for i in range(50))
    assert len(batch.parse_titles(fifty).titles) == 50
    fifty_one = fifty + "\ntitle 50"
    msg = (
        "titles: got 51 titles, but at most 50 can be reranked at once. Remove 1 title or split the list into "
        "batches of 50."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        batch.parse_titles(fifty_one)


def test_blank_lines_do_not_count_towards_the_limit():
    text = "\n\n".join(f"title {i}" for i in range(50))
    parsed = batch.parse_titles(text)
    assert len(parsed.titles) == 50 and parsed.blank_skipped == 49


def test_no_titles_is_an_error_that_says_what_was_expected():
    with pytest.raises(
        ValueError, match=re.escape("titles: no titles found (3 blank lines). Expected one title per line, at most 50.")
    ):
        batch.parse_titles("\n \n\t")


def test_titles_must_be_text():
    with pytest.raises(TypeError, match="expected text with one title per line"):
        batch.parse_titles(["a", "b"])  # type: ignore[arg-type]


def test_read_csv_sniffs_the_delimiter_and_strips_the_bom():
    df = batch.read_csv("\ufeffid;title\n1;Red shoe\n2;Blue hat\n".encode("utf-8"), name="f.csv")
    assert list(df.columns) == ["id", "title"]
    assert df["title"].tolist() == ["Red shoe", "Blue hat"]


def test_read_csv_keeps_quoted_commas_and_empty_cells_as_empty_strings():
    df = batch.read_csv(b'sku,name\n1,"Shoe, red"\n2,\n3,Hat\n')
    assert df["name"].tolist() == ["Shoe, red", "", "Hat"]


def test_read_csv_errors_name_the_file():
    with pytest.raises(ValueError, match=re.escape("CSV file 'x.csv': the file is empty (0 bytes).")):
        batch.read_csv(b"", name="CSV file 'x.csv'")
    with pytest.raises(ValueError, match=r"CSV file 'y.csv': not UTF-8 text \(byte 9 is 0xe9\)"):
        batch.read_csv(b"title\ncaf\xe9\n", name="CSV file 'y.csv'")


def test_guess_title_column_prefers_a_title_like_name_then_the_longest_text():
    assert batch.guess_title_column(pd.DataFrame({"id": ["1"], "Title": ["x"]})) == "Title"
    assert (
        batch.guess_title_column(pd.DataFrame({"id": ["1", "2"], "desc": ["a long text", "another long one"]}))
        == "desc"
    )


def test_titles_from_column_skips_empty_cells_and_checks_the_column():
    df = pd.DataFrame({"name": ["a", "", "b", "  "]})
    parsed = batch.titles_from_column(df, "name")
    assert parsed.titles == ["a", "b"] and parsed.blank_skipped == 2 and parsed.sources == [1, 3]
    with pytest.raises(ValueError, match=re.escape("CSV file: no column 'title'; expected one of ['name'].")):
        batch.titles_from_column(df, "title")
    big = pd.DataFrame({"name": [f"t{i}" for i in range(60)]})
    with pytest.raises(ValueError, match=re.escape("CSV file, column 'name': got 60 titles, but at most 50")):
        batch.titles_from_column(big, "name")


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
    assert colour["field"] == "band"
    assert colour["scale"] == {"domain": ["strong", "medium", "weak"], "range": ["#2e7d32", "#f9a825", "#c62828"]}
    assert bars["encoding"]["y"]["sort"] == ["1. a", "2. b"]
    rule_values = [row["threshold"] for name, rows in spec["datasets"].items() for row in rows if "threshold" in row]
    assert sorted(rule_values) == [0.3, 0.8]
    assert spec["height"] == {"step": 22}
