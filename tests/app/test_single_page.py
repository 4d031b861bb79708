"""pages/1_Single_pair.py on the embedded default model (AppTest, CPU, offline)."""

from __future__ import annotations

import re

import pytest
from apphelpers import BATCH, SINGLE, errors, exceptions, html_blocks, make_app
from PIL import Image

import lychee
from lychee.items import load_image
from lychee.scorers.embedding import EmbeddingScorer
from lychee.ui.single import logic
from tests.helpers import encode_image

BLUE_PNG = encode_image(Image.new("RGB", (32, 24), (10, 120, 200)))


def _score(at, query: str, document: str):
    at.text_area(key="_w_single_query_text").set_value(query)
    at.text_area(key="_w_single_document_text").set_value(document)
    return at.button(key="single_score").click().run()


def test_scores_and_shows_highlights(default_scorer):
    at = make_app(SINGLE)
    at.run()
    assert not at.exception, exceptions(at)
    _score(at, "red running shoes", "Nike red running shoe for road races")
    assert not at.exception, exceptions(at)
    assert not errors(at)

    expected = default_scorer.predict("red running shoes", ["Nike red running shoe for road races"])[0]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["P(yes)"] == f"{expected.score:.3f}"
    assert metrics["Log-odds"] == f"{expected.log_odds:+.2f}"
    band = lychee.band(expected.score)
    assert any(f">{band.upper()}</span>" in block for block in html_blocks(at))

    # One highlighted span per word of query and document, each with its weight in the tooltip.
    blocks = [b for b in html_blocks(at) if "log-odds" in b and "<span title=" in b]
    assert len(blocks) == 2
    query_block, doc_block = blocks
    assert re.findall(r'<span title="([^:"]+):', query_block) == ["red", "running", "shoes"]
    assert re.findall(r'<span title="([^:"]+):', doc_block) == [
        "Nike",
        "red",
        "running",
        "shoe",
        "for",
        "road",
        "races",
    ]
    assert any("log-odds change" in b for b in html_blocks(at))  # the colour legend
    assert at.session_state[logic.RESULT_KEY].explanation.score == pytest.approx(expected.score)


def test_result_table_and_downloads_are_offered():
    at = make_app(SINGLE)
    at.run()
    _score(at, "blue teapot", "ceramic teapot, blue glaze")
    table = at.dataframe[0].value
    assert table["token"].tolist() == ["blue", "teapot", "ceramic", "teapot,", "blue", "glaze"]
    assert table["side"].tolist() == ["query"] * 2 + ["document"] * 4
    assert {b.label for b in at.get("download_button")} == {
        "Download explanation (JSON)",
        "Download token weights (CSV)",
    }


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", "<b>x</b>"])
def test_user_text_is_escaped_in_html(payload):
    at = make_app(SINGLE)
    at.run()
    _score(at, f"shoes {payload}", f"running shoes {payload} sale")
    assert not at.exception, exceptions(at)
    blocks = html_blocks(at)
    assert blocks, "no HTML output to check"
    for block in blocks:
        assert payload not in block
        assert "<script" not in block and "<b>x" not in block
    assert any("&lt;script&gt;" in b or "&lt;b&gt;" in b for b in blocks)


def test_editing_the_instruction_changes_what_the_scorer_receives(monkeypatch):
    seen: list[str] = []
    original = EmbeddingScorer._predict_pairs

    def spy(self, pairs, instruction, *, progress=None):
        seen.append(instruction)
        return original(self, pairs, instruction, progress=progress)

    monkeypatch.setattr(EmbeddingScorer, "_predict_pairs", spy)
    at = make_app(SINGLE)
    at.run()
    at.button(key="single_score").click().run()
    assert seen and set(seen) == {lychee.DEFAULT_INSTRUCTION}

    seen.clear()
    at.sidebar.text_area(key="_w_instruction").set_value("Find shoes a runner would buy.").run()
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert seen and set(seen) == {"Find shoes a runner would buy."}

    seen.clear()
    at.sidebar.selectbox(key="_w_instruction_preset").set_value("E-commerce product search").run()
    at.button(key="single_score").click().run()
    assert set(seen) == {ui_presets()["E-commerce product search"]}


def ui_presets() -> dict[str, str]:
    from lychee import ui

    return ui.PRESETS


def test_an_image_on_the_text_only_default_is_refused_naming_the_file_and_the_sidebar_field():
    at = make_app(SINGLE)
    at.run()
    notes = [c.value for c in at.caption if "so an image here is refused" in c.value]
    assert len(notes) == 2  # at both image uploaders, before anything is uploaded
    at.file_uploader(key="single_document_image").set_value(("shoe.png", BLUE_PNG, "image/png"))
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        "The document image 'shoe.png' cannot be scored: the model 'all-MiniLM-L6-v2' reads text only. Remove the "
        "image, or choose *Checkpoint folder or hub id* in the sidebar and enter a Lychee-rerank-mm or "
        "Qwen3-VL-Reranker checkpoint."
    ]
    assert logic.RESULT_KEY not in at.session_state
    assert not [i for i in at.info if "Score and explain" in i.value]  # no "click Score" hint under the error


def test_an_error_clears_the_previous_result_instead_of_sitting_over_it():
    at = make_app(SINGLE)
    at.run()
    at.button(key="single_score").click().run()
    assert at.session_state[logic.RESULT_KEY].explanation.document_text == logic.EXAMPLE_DOCUMENT
    at.text_area(key="_w_single_document_text").set_value("Women's trail running shoe, red")
    at.file_uploader(key="single_document_image").set_value(("shoe.png", BLUE_PNG, "image/png"))
    at.button(key="single_score").click().run()
    assert len(errors(at)) == 1
    assert logic.RESULT_KEY not in at.session_state
    assert not [m for m in at.metric if m.label == "P(yes)"]  # the old 0.8xx is gone


def test_a_result_of_other_inputs_is_marked_as_the_last_one():
    at = make_app(SINGLE)
    at.run()
    at.button(key="single_score").click().run()
    assert not at.warning
    at.text_area(key="_w_single_document_text").set_value("Blue ceramic teapot").run()
    [note] = [w.value for w in at.warning]
    assert note.startswith("This is the last result, for query “red running shoes for women”; document “Nike Women")
    assert "The inputs above have changed since" in note
    at.text_area(key="_w_single_document_text").set_value(logic.EXAMPLE_DOCUMENT).run()
    assert not at.warning  # the inputs are the result's again


def test_a_corrupt_image_shows_the_decoding_message(tiny_vlm):
    # A model that reads images (the text-only default refuses any image before decoding it).
    data = b"\x89PNG\r\n\x1a\nnot really"
    with pytest.raises(ValueError) as library:
        load_image(data, what="query 'broken.png' image")
    at = make_app(SINGLE, model=tiny_vlm)
    at.run()
    at.file_uploader(key="single_query_image").set_value(("broken.png", data, "image/png"))
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert str(library.value) in errors(at)  # on Score; the upload preview reports it too
    assert str(library.value).startswith("query 'broken.png' image (18 bytes): ")
    assert logic.RESULT_KEY not in at.session_state


def test_empty_query_shows_the_library_message():
    at = make_app(SINGLE)
    at.run()
    _score(at, "   ", "some document")
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        "query is empty: got no text, no image and no video. Give the query text, an image, a clip, or a mix."
    ]


def test_result_and_inputs_survive_a_page_switch(via_home):
    at = via_home(SINGLE)
    _score(at, "wool socks", "merino wool hiking socks")
    p_yes = {m.label: m.value for m in at.metric}["P(yes)"]
    at.switch_page(str(BATCH)).run()
    assert not at.exception, exceptions(at)
    assert [t.value for t in at.title] == [":material/format_list_numbered: Batch rerank"]  # really switched
    at.switch_page(str(SINGLE)).run()
    assert not at.exception, exceptions(at)
    assert at.text_area(key="_w_single_query_text").value == "wool socks"
    assert {m.label: m.value for m in at.metric}["P(yes)"] == p_yes


def test_a_chinese_pair_on_the_english_default_is_flagged():
    at = make_app(SINGLE)
    at.run()
    _score(at, "办公室绿植", "龟背竹 盆栽 大号 室内绿植 客厅办公室")
    assert not at.exception, exceptions(at)
    assert any("Chinese" in w.value and "Qwen3-VL-Reranker" in w.value for w in at.warning)
    _score(at, "red running shoes", "Nike red running shoe")
    assert not any("Chinese" in w.value for w in at.warning)


# --- how far to trust the highlights, where the score comes from, the labels (issues 19 and 22) -----------------------
def test_the_page_shows_the_deletion_curve_its_numbers_and_the_shares():
    at = make_app(SINGLE)
    at.run()
    _score(at, "red running shoes", "Nike red running shoe for road races")
    assert not at.exception, exceptions(at)
    result = at.session_state[logic.RESULT_KEY]
    f = result.explanation.faithfulness
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Comprehensiveness"] == f"{f.comprehensiveness:+.2f}"
    assert metrics["Sufficiency"] == f"{f.sufficiency:+.2f}"
    captions = [c.value for c in at.caption]
    assert any(c.startswith(f"Removing the {f.ks[3]} most highlighted") for c in captions), captions
    charts = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any('"p_yes"' in spec and "most highlighted first" in spec for spec in charts)
    # the shares: both texts, in a bar and a sentence
    assert result.shares is not None and result.shares.parts == ("query_text", "document_text")
    assert any("query text" in spec and "document text" in spec and '"share"' in spec for spec in charts)
    assert any("exact Shapley value on the log-odds" in c for c in captions)
    # the biggest effects name their side
    effects = next(c for c in captions if c.startswith("Biggest effects: "))
    assert all(part.split(" ")[0] in ("query", "document") for part in effects[len("Biggest effects: ") :].split(", "))


def test_shapley_runs_from_the_page_with_its_permutations():
    at = make_app(SINGLE)
    at.run()
    at.radio(key="_w_single_method").set_value("shapley").run()
    at.slider(key="_w_single_n_samples").set_value(5).run()
    at.toggle(key="_w_single_shares").set_value(False).run()
    _score(at, "blue teapot", "ceramic teapot, blue glaze")
    assert not at.exception, exceptions(at)
    assert not errors(at)
    result = at.session_state[logic.RESULT_KEY]
    assert result.explanation.method == "shapley" and result.explanation.n_samples == 5
    assert result.shares is None
    assert {m.label: m.value for m in at.metric}["Salience"] == "Shapley (sampled)"
    assert "Comprehensiveness" in {m.label for m in at.metric}
