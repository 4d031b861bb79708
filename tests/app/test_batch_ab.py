"""Batch A/B on pages/2_Batch_rerank.py (AppTest, CPU, offline): two instructions or two models, side by side."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from apphelpers import BATCH, SINGLE, errors, exceptions, make_app, table_with

import lychee
from lychee.results import Prediction, sigmoid
from lychee.scorers.embedding import EmbeddingScorer
from lychee.ui.batch import ab, titles
from lychee.ui.batch import table as batch_table
from lychee.ui.shell.models import loaded_models
from lychee.ui.shell.settings import Settings

INSTRUCTION_B = "Rank the products a hiker would buy first."
TITLES = [f"title {i:02d}" for i in range(1, 13)]


def _ab_on(at, titles: list[str], instruction_b: str = INSTRUCTION_B):
    at.toggle(key="_w_batch_ab").set_value(True).run()
    at.text_area(key="_w_batch_ab_instruction_b").set_value(instruction_b)
    at.text_area(key="_w_batch_titles").set_value("\n".join(titles))
    return at.button(key="batch_submit").click().run()


def _ab_table(at) -> pd.DataFrame:
    return table_with(at, "rank_b")


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def hand_made_rankings(monkeypatch):
    """The scorer behind the page, replaced at its one method: under the default instruction (A) the titles rank in
    input order; under any other instruction (B) the last title jumps to the top and the rest keep their order.
    Records the instruction of every call."""
    seen: list[str] = []

    def predict_pairs(self, pairs, instruction, *, progress=None):
        seen.append(instruction)
        out = []
        for _, doc in pairs:
            i = TITLES.index(doc.text)
            z = -float(i) if instruction == lychee.DEFAULT_INSTRUCTION else (5.0 if i == 11 else -float(i))
            out.append(Prediction(score=sigmoid(z), log_odds=z))
        return out

    monkeypatch.setattr(EmbeddingScorer, "_predict_pairs", predict_pairs)
    return seen


def test_two_instructions_reach_the_scorer(monkeypatch):
    seen: list[str] = []
    original = EmbeddingScorer._predict_pairs

    def spy(self, pairs, instruction, *, progress=None):
        seen.append(instruction)
        return original(self, pairs, instruction, progress=progress)

    monkeypatch.setattr(EmbeddingScorer, "_predict_pairs", spy)
    at = make_app(BATCH)
    at.run()
    _ab_on(at, ["waterproof boots", "coffee mug"])
    assert not at.exception, exceptions(at)
    assert not errors(at)
    assert seen == [lychee.DEFAULT_INSTRUCTION, INSTRUCTION_B]
    result = at.session_state[ab.AB_RESULT_KEY]
    assert result.instruction_used_b == INSTRUCTION_B
    assert result.a.instruction_used == lychee.DEFAULT_INSTRUCTION
    # the sidebar's edited instruction is A; B keeps its own
    seen.clear()
    at.sidebar.text_area(key="_w_instruction").set_value("Instruction A, edited.").run()
    at.button(key="batch_submit").click().run()
    assert seen == ["Instruction A, edited.", INSTRUCTION_B]


def test_tau_and_overlap_on_a_hand_made_ranking_pair(hand_made_rankings):
    at = make_app(BATCH)
    at.run()
    _ab_on(at, TITLES)
    assert not at.exception, exceptions(at)
    assert hand_made_rankings == [lychee.DEFAULT_INSTRUCTION, INSTRUCTION_B]
    table = _ab_table(at)
    assert table["title"].tolist() == TITLES  # A's order
    assert table["rank_a"].tolist() == list(range(1, 13))
    assert table["rank_b"].tolist() == list(range(2, 13)) + [1]
    assert table["moved"].tolist() == ["↓ 1"] * 11 + ["↑ 11"]
    # B moves title 12 above the 11 others: 11 discordant pairs of 66 -> tau = (66 - 22) / 66 = 2/3.
    # A's top 10 is titles 1-10, B's is title 12 and titles 1-9: 9 shared.
    metrics = _metrics(at)
    assert metrics["Kendall's tau"] == "+0.667"
    assert metrics["Top-10 overlap"] == "9/10"
    assert metrics["Titles that moved"] == "12/12"
    assert metrics["Largest move"] == "11 places"


def test_both_scores_and_bands_are_shown_and_downloads_hold_both(hand_made_rankings):
    at = make_app(BATCH)
    at.run()
    _ab_on(at, TITLES)
    table = _ab_table(at)
    top_b = table[table["rank_b"] == 1].iloc[0]
    assert top_b["score_b"] == pytest.approx(sigmoid(5.0))
    assert top_b["band_b"] == "🟢 strong"
    assert top_b["score_a"] == pytest.approx(sigmoid(-11.0))
    assert top_b["band_a"] == "🔴 weak"

    # the download buttons are built from these (AppTest cannot read a download's bytes)
    result = at.session_state[ab.AB_RESULT_KEY]
    df = result.table(Settings())
    csv = batch_table.to_csv_bytes(df).decode()
    assert csv.splitlines()[0].startswith("rank_a,rank_b,shift,moved,score_a,score_b,band_a,band_b,title")
    meta = json.loads(batch_table.to_json_bytes(df, result.meta(Settings(), df)))
    assert meta["meta"]["a"]["instruction"] == lychee.DEFAULT_INSTRUCTION
    assert meta["meta"]["b"]["instruction"] == INSTRUCTION_B
    assert meta["meta"]["kendall_tau"] == pytest.approx(2 / 3)
    assert meta["meta"]["top10_overlap"] == {"shared": 9, "of": 10, "fraction": 0.9}
    assert len(meta["results"]) == 12
    labels = [b.label for b in at.get("download_button")]
    assert "Download A/B CSV" in labels and "Download A/B JSON" in labels


def test_ab_results_survive_a_page_switch_and_go_when_rerun_without_ab(hand_made_rankings, via_home):
    at = via_home(BATCH)
    _ab_on(at, TITLES)
    before = _ab_table(at)
    at.switch_page(str(SINGLE)).run()
    assert not at.exception, exceptions(at)
    assert [t.value for t in at.title] == [":material/compare_arrows: Single-pair analysis"]
    at.switch_page(str(BATCH)).run()
    assert not at.exception, exceptions(at)
    pd.testing.assert_frame_equal(before, _ab_table(at))
    assert at.toggle(key="_w_batch_ab").value is True
    assert at.text_area(key="_w_batch_ab_instruction_b").value == INSTRUCTION_B

    at.toggle(key="_w_batch_ab").set_value(False).run()
    at.button(key="batch_submit").click().run()
    assert not [df for df in at.dataframe if "rank_b" in df.value.columns]
    assert ab.AB_RESULT_KEY not in at.session_state


def test_an_empty_instruction_b_is_refused_and_a_still_shows():
    at = make_app(BATCH)
    at.run()
    _ab_on(at, ["boots", "mug"], instruction_b="   ")
    assert not at.exception, exceptions(at)
    assert errors(at) == [
        "Instruction B is empty: type the instruction to compare against the sidebar's, or switch the A/B off."
    ]
    assert [df for df in at.dataframe if "original_rank" in df.value.columns and "rank_b" not in df.value.columns]


def test_model_mode_without_a_second_model_says_how_to_load_one():
    # BM25 is always on offer as B (it loads nothing), unless it is the sidebar's model, A.
    at = make_app(BATCH, model="bm25")
    at.run()
    at.toggle(key="_w_batch_ab").set_value(True).run()
    at.radio(key="_w_batch_ab_mode").set_value("model").run()
    assert not at.exception, exceptions(at)
    assert any("Only the sidebar's model" in i.value for i in at.info)
    at.button(key="batch_submit").click().run()
    assert errors(at) == [
        "Model B: no second model is loaded. Load one under **Load another model as B**, then rerank."
    ]
    at.button(key="batch_ab_load").click().run()
    assert errors(at) == [
        "Model B: the box is empty. Type 'default', a checkpoint folder or a hub id, then click Load."
    ]
    at.text_input(key="_w_batch_ab_model_path").set_value("bm25").run()
    at.button(key="batch_ab_load").click().run()
    assert errors(at) == ["Model B: `bm25` is the sidebar's model (A). Type another model to compare against."]


def test_bm25_is_on_offer_as_model_b_and_its_bands_are_greyed():
    at = make_app(BATCH)
    at.run()
    at.toggle(key="_w_batch_ab").set_value(True).run()
    at.radio(key="_w_batch_ab_mode").set_value("model").run()
    assert at.selectbox(key="_w_batch_ab_model_b").value == ("bm25", None, None)
    assert not any("Only the sidebar's model" in i.value for i in at.info)
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    result = at.session_state[ab.AB_RESULT_KEY]
    assert (result.a.model, result.model_b) == ("default", "bm25")
    bm25 = lychee.load_scorer("bm25")
    expected = bm25.predict(titles.EXAMPLE_QUERY, titles.EXAMPLE_TITLES.splitlines())
    assert result.scores == pytest.approx([p.score for p in expected], abs=0)
    shown = table_with(at, "band_b")
    assert set(shown["band_b"].str[0]) == {"⚪"}  # B's scores are not probabilities
    assert not set(shown["band_a"].str[0]) & {"⚪"}  # A (the default, on English titles) keeps its colours
    assert any("Bands of B are greyed" in c.value and "not probabilities" in c.value for c in at.caption)


def test_two_loaded_models_compare_side_by_side(tiny_vlm):
    at = make_app(BATCH)
    at.run()
    at.toggle(key="_w_batch_ab").set_value(True).run()
    at.radio(key="_w_batch_ab_mode").set_value("model").run()
    at.text_input(key="_w_batch_ab_model_path").set_value(tiny_vlm).run()
    at.button(key="batch_ab_load").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    assert at.selectbox(key="_w_batch_ab_model_b").value == (tiny_vlm, None, None)
    at.text_area(key="_w_batch_titles").set_value("red shoes\nblue mug\ngreen tea")
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    result = at.session_state[ab.AB_RESULT_KEY]
    assert (result.a.model, result.model_b) == ("default", tiny_vlm)
    vlm = lychee.load_scorer(tiny_vlm)
    expected = vlm.predict(titles.EXAMPLE_QUERY, ["red shoes", "blue mug", "green tea"])
    assert result.scores == pytest.approx([p.score for p in expected], abs=1e-5)
    # the sidebar's model stayed the session's own: A is still loaded next to B
    loaded = {m.key[0] for m in loaded_models()}
    assert loaded == {"default", tiny_vlm}
    assert len(_ab_table(at)) == 3


def test_lock_model_offers_no_model_b_field(monkeypatch):
    monkeypatch.setenv("LYCHEE_LOCK_MODEL", "1")
    at = make_app(BATCH)
    at.run()
    at.toggle(key="_w_batch_ab").set_value(True).run()
    at.radio(key="_w_batch_ab_mode").set_value("model").run()
    assert not at.exception, exceptions(at)
    assert "_w_batch_ab_model_path" not in [t.key for t in at.text_input]
    assert "batch_ab_load" not in [b.key for b in at.button]
    assert any(ab.LOCKED_MODEL_B in i.value for i in at.info)
    at.button(key="batch_submit").click().run()
    assert errors(at) == [ab.LOCKED_MODEL_B]
