"""pages/2_Batch_rerank.py on the embedded default model (AppTest, CPU, offline)."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from apphelpers import BATCH, SINGLE, errors, exceptions, html_blocks, make_app, table_with
from PIL import Image

import lychee
from lychee.scorers.embedding import EmbeddingScorer
from lychee.ui.batch import table as batch_table
from lychee.ui.batch import titles, view

QUERY = "waterproof hiking boots"


def _rerank(at, titles: str, query: str = QUERY):
    at.text_area(key="_w_batch_query_text").set_value(query)
    at.text_area(key="_w_batch_titles").set_value(titles)
    return at.button(key="batch_submit").click().run()


def _table(at) -> pd.DataFrame:
    """The results table (the CSV preview, when shown, is another dataframe without a rank column)."""
    return table_with(at, "rank")


def test_example_input_reranks_with_one_click():
    at = make_app(BATCH)
    at.run()
    assert not at.exception, exceptions(at)
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert len(_table(at)) == len(titles.EXAMPLE_TITLES.splitlines())


def test_fifty_titles_give_a_fifty_row_table_in_score_order(default_scorer):
    titles = [f"hiking boot model {i}" if i % 3 else f"kitchen item number {i}" for i in range(50)]
    at = make_app(BATCH)
    at.run()
    _rerank(at, "\n".join(titles))
    assert not at.exception, exceptions(at)
    assert not errors(at)
    table = _table(at)
    assert len(table) == 50
    assert table["rank"].tolist() == list(range(1, 51))
    assert sorted(table["original_rank"].tolist()) == list(range(1, 51))

    expected = default_scorer.rank(QUERY, titles)
    assert table["title"].tolist() == [r.document.text for r in expected]
    assert table["score"].tolist() == pytest.approx([r.score for r in expected])
    assert table["original_rank"].tolist() == [r.index + 1 for r in expected]
    # the band column follows the sidebar thresholds
    assert [b.split()[-1] for b in table["band"]] == [lychee.band(r.score) for r in expected]


def test_fifty_one_titles_are_refused_with_the_count_and_the_limit():
    at = make_app(BATCH)
    at.run()
    _rerank(at, "\n".join(f"title {i}" for i in range(51)))
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        (
            "titles: got 51 titles, but at most 50 can be reranked at once. Remove 1 title or split the list into "
            "batches of 50."
        )
    ]
    assert not [df for df in at.dataframe if "rank" in df.value.columns]
    assert batch_table.RESULT_KEY not in at.session_state


def test_blank_lines_are_reported_and_duplicates_flagged():
    at = make_app(BATCH)
    at.run()
    _rerank(at, "Leather hiking boots\n\nRubber rain boots\n   \nleather  HIKING boots\n")
    assert not at.exception, exceptions(at)
    assert "Skipped 2 blank lines." in [c.value for c in at.caption]
    assert any("1 duplicate title is kept" in w.value for w in at.warning)
    table = _table(at)
    assert len(table) == 3
    dup_row = table[table["original_rank"] == 3].iloc[0]
    assert dup_row["duplicate_of"] == "duplicate of #1"
    assert set(table[table["original_rank"] != 3]["duplicate_of"]) == {""}


def test_csv_upload_with_a_column_picker(default_scorer):
    csv = "sku,name,price\n1,Trail running shoes,80\n2,Waterproof hiking boots for women,120\n3,,5\n4,Coffee mug,9\n"
    at = make_app(BATCH)
    at.run()
    at.radio(key="_w_batch_source").set_value("csv").run()
    assert not at.exception, exceptions(at)
    at.file_uploader(key=view.CSV_UPLOAD_KEY).set_value(("items.csv", csv.encode(), "text/csv")).run()
    assert not at.exception, exceptions(at)
    picker = at.selectbox(key="_w_batch_csv_column")
    assert picker.options == ["sku", "name", "price"]
    assert picker.value == "name"  # guessed from the header
    at.text_area(key="_w_batch_query_text").set_value(QUERY)
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    table = _table(at)
    titles = ["Trail running shoes", "Waterproof hiking boots for women", "Coffee mug"]
    assert table["title"].tolist() == [r.document.text for r in default_scorer.rank(QUERY, titles)]
    assert "Skipped 1 blank row." in [c.value for c in at.caption]

    at.selectbox(key="_w_batch_csv_column").set_value("price").run()
    at.button(key="batch_submit").click().run()
    assert sorted(_table(at)["title"]) == ["120", "5", "80", "9"]


def test_a_non_utf8_csv_shows_what_is_wrong():
    at = make_app(BATCH)
    at.run()
    at.radio(key="_w_batch_source").set_value("csv").run()
    at.file_uploader(key=view.CSV_UPLOAD_KEY).set_value(("latin.csv", b"title\ncaf\xe9\n", "text/csv")).run()
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        (
            "CSV file 'latin.csv': not UTF-8 text (byte 9 is 0xe9). Expected a UTF-8 CSV; re-save it as 'CSV UTF-8' "
            "or paste the titles instead."
        )
    ]


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "<b>x</b>"])
def test_html_in_titles_is_shown_escaped(payload):
    at = make_app(BATCH)
    at.run()
    # The payload title matches the query best, so it is the "Top result" card rendered as HTML.
    _rerank(
        at,
        f"{payload} waterproof hiking boots\ncoffee mug\nstock market news",
        query=f"{payload} waterproof hiking boots",
    )
    assert not at.exception, exceptions(at)
    table = _table(at)
    assert table["title"].iloc[0] == f"{payload} waterproof hiking boots"  # data stays verbatim (not HTML)
    blocks = html_blocks(at)
    card = [b for b in blocks if "Top result" in b]
    assert len(card) == 1
    for block in blocks:
        assert payload not in block and "<script" not in block and "<b>x" not in block
    assert ("&lt;script&gt;" if "script" in payload else "&lt;b&gt;x&lt;/b&gt;") in card[0]


def test_editing_the_instruction_changes_what_the_scorer_receives(monkeypatch):
    seen: list[str] = []
    original = EmbeddingScorer._predict_pairs

    def spy(self, pairs, instruction, *, progress=None):
        seen.append(instruction)
        return original(self, pairs, instruction, progress=progress)

    monkeypatch.setattr(EmbeddingScorer, "_predict_pairs", spy)
    at = make_app(BATCH)
    at.run()
    at.button(key="batch_submit").click().run()
    assert seen == [lychee.DEFAULT_INSTRUCTION]
    seen.clear()
    at.sidebar.text_area(key="_w_instruction").set_value("Rank products a hiker would buy.").run()
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert seen == ["Rank products a hiker would buy."]
    assert at.session_state[batch_table.RESULT_KEY].instruction_used == "Rank products a hiker would buy."
    seen.clear()
    at.sidebar.button(key="sidebar_reset_instruction").click().run()
    at.button(key="batch_submit").click().run()
    assert seen == [lychee.DEFAULT_INSTRUCTION]


def test_query_image_with_the_default_model_is_refused_naming_the_file():
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buf, "PNG")
    at = make_app(BATCH)
    at.run()
    assert any("so an image here is refused" in c.value for c in at.caption)  # said at the uploader first
    at.file_uploader(key="batch_query_image").set_value(("q.png", buf.getvalue(), "image/png"))
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        "The query image 'q.png' cannot be scored: the model 'all-MiniLM-L6-v2' reads text only. Remove the image, or "
        "choose *Checkpoint folder or hub id* in the sidebar and enter a Lychee-rerank-mm or Qwen3-VL-Reranker "
        "checkpoint."
    ]


def test_results_survive_a_page_switch_and_bands_follow_new_thresholds(via_home):
    at = via_home(BATCH)
    _rerank(at, "waterproof hiking boots\nhiking boots\ncoffee mug")
    before = _table(at)
    at.switch_page(str(SINGLE)).run()
    assert not at.exception, exceptions(at)
    assert [t.value for t in at.title] == [":material/compare_arrows: Single-pair analysis"]  # really switched
    at.switch_page(str(BATCH)).run()
    assert not at.exception, exceptions(at)
    after = _table(at)
    pd.testing.assert_frame_equal(before, after)
    assert at.text_area(key="_w_batch_query_text").value == QUERY

    at.sidebar.slider(key="_w_bands").set_value((0.0, 0.01)).run()  # everything is now "strong"
    assert set(_table(at)["band"]) == {"🟢 strong"}


def test_chinese_titles_on_the_english_default_get_a_language_warning_next_to_the_results():
    at = make_app(BATCH)
    at.run()
    _rerank(at, "龟背竹 盆栽 大号 室内绿植\n机械键盘 青轴 87键\n办公桌 收纳盒 桌面整理", query="办公室绿植")
    assert not at.exception, exceptions(at)
    warnings = [w.value for w in at.warning]
    assert any("Chinese" in w and "all-MiniLM-L6-v2" in w for w in warnings), warnings
    # and none for English titles
    _rerank(at, "hiking boots\nrain jacket")
    assert not any("Chinese" in w.value for w in at.warning)


def test_typed_input_survives_toggles_and_page_switches_before_rerank(via_home):
    # Nothing reranked yet: what is typed must not depend on a Rerank click (the form once reset it to the example).
    at = via_home(BATCH)
    pasted = "\n".join(f"title {i}" for i in range(20))
    at.text_area(key="_w_batch_query_text").set_value("wireless earbuds").run()
    at.text_area(key="_w_batch_titles").set_value(pasted).run()
    at.toggle(key="_w_batch_ab").set_value(True).run()
    at.radio(key="_w_batch_source").set_value("csv").run()
    assert not [t for t in at.text_area if t.key == "_w_batch_titles"]  # the box is gone while CSV is chosen
    at.radio(key="_w_batch_source").set_value("paste").run()
    at.switch_page(str(SINGLE)).run()
    at.switch_page(str(BATCH)).run()
    assert not at.exception, exceptions(at)
    assert at.text_area(key="_w_batch_query_text").value == "wireless earbuds"
    assert at.text_area(key="_w_batch_titles").value == pasted
    assert at.toggle(key="_w_batch_ab").value is True
    assert batch_table.RESULT_KEY not in at.session_state
    at.button(key="batch_submit").click().run()
    assert at.session_state[batch_table.RESULT_KEY].titles == pasted.splitlines()


def test_results_of_other_inputs_are_marked_as_the_last_ones():
    at = make_app(BATCH)
    at.run()
    _rerank(at, "hiking boots\nrain jacket\ncoffee mug")
    assert not at.warning
    at.text_area(key="_w_batch_titles").set_value("hiking boots\nrain jacket").run()
    [note] = [w.value for w in at.warning]
    assert note == (
        "These are the last results, for the query “waterproof hiking boots” and 3 titles from the text box. The "
        "inputs above have changed since: click **Rerank** to rerank them."
    )
    at.text_area(key="_w_batch_titles").set_value("hiking boots\n\nrain jacket\ncoffee mug\n").run()
    assert not at.warning  # the same titles once parsed (blank lines are skipped)
    at.text_area(key="_w_batch_titles").set_value("\n" * 3).run()  # no title at all: not the result's inputs
    assert [w.value for w in at.warning] == [note]
