"""The titles to rerank (lychee.ui.batch.titles, no Streamlit): parsing, limit, duplicates, CSV reading, the source."""

from __future__ import annotations

import re

import pandas as pd
import pytest

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


def test_the_page_source_says_where_the_titles_came_from():
    pasted, origin = batch.titles_from_source("paste", text="a\nb", table=None, column=None, csv_name="")
    assert pasted.titles == ["a", "b"] and origin == "the text box"
    df = pd.DataFrame({"name": ["x", "y"]})
    from_csv, origin = batch.titles_from_source("csv", text=None, table=df, column="name", csv_name="t.csv")
    assert from_csv.titles == ["x", "y"] and origin == "CSV 't.csv' column 'name'"
    expected = "No CSV file to read titles from: upload a CSV above, or switch to pasting titles."
    with pytest.raises(ValueError, match=re.escape(expected)):
        batch.titles_from_source("csv", text=None, table=None, column=None, csv_name="")
