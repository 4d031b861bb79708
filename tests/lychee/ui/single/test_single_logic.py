"""Single-pair analysis without Streamlit (lychee.ui.single.logic): exports, frame tables, the words shown."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from lychee.explanation import Explanation, TokenWeight, VideoSalience
from lychee.ui.shell.settings import Settings
from lychee.ui.single import logic


def test_explanation_exports_carry_every_token_weight(default_scorer):
    expl = default_scorer.explain("red shoes", "a red shoe")
    result = logic.SingleResult(explanation=expl, model="default", instruction=None, seconds=0.1)
    doc = json.loads(logic.explanation_json(result))
    assert doc["score"] == pytest.approx(expl.score) and doc["log_odds"] == pytest.approx(expl.log_odds)
    assert [t["text"] for t in doc["query"]["tokens"]] == ["red", "shoes"]
    assert [t["weight"] for t in doc["document"]["tokens"]] == pytest.approx([t.weight for t in expl.document_tokens])
    assert doc["query"]["image_grid"] is None
    lines = logic.explanation_csv(expl).decode().splitlines()
    assert lines[0] == "side,position,token,start,end,weight"
    assert lines[1].startswith("query,1,red,0,3,")
    assert len(lines) == 1 + 2 + 3


def test_frame_rows_give_each_frame_its_unit_weight():
    salience = VideoSalience(weights=np.array([0.5, -1.0]), units=((0, 1), (2, 3)), timestamps=(0.0, 1.0, 2.0, 3.0))
    rows = logic.frame_rows("document", salience)
    assert [(r["frame"], r["unit"], r["weight"]) for r in rows] == [
        (1, 1, 0.5),
        (2, 1, 0.5),
        (3, 2, -1.0),
        (4, 2, -1.0),
    ]
    assert logic.frame_rows("query", None) == []
    buf = io.BytesIO()
    logic.frame_table(
        type("E", (), {"query_video": None, "document_video": salience})()  # any object with the two fields
    ).to_csv(buf, index=False)
    assert buf.getvalue().decode().splitlines()[0] == "side,frame,time_s,unit,weight"


def _explanation(**overrides) -> Explanation:
    fields = dict(
        score=0.8,
        log_odds=1.386,
        query_text="red shoes",
        document_text="a red shoe",
        query_tokens=[TokenWeight("red", 0, 3, 0.5), TokenWeight("shoes", 4, 9, -0.1)],
        document_tokens=[TokenWeight("a", 0, 1, 0.0), TokenWeight("red", 2, 5, 1.2), TokenWeight("shoe", 6, 10, -0.7)],
        instruction="Given a web search query, retrieve relevant passages that answer the query",
        n_evaluations=6,
    )
    return Explanation(**{**fields, **overrides})


def test_the_words_shown_name_the_method_and_its_cost():
    occlusion = _explanation()
    assert logic.salience_name(occlusion) == "Occlusion"
    assert logic.salience_how(occlusion) == (
        "each word removed / each image cell or clip frame greyed: 6 scored variants in one batch"
    )
    gradient = _explanation(method="gradient", n_evaluations=1)
    assert logic.salience_name(gradient) == "Gradient × input"
    assert logic.salience_how(gradient) == "gradient × input on the input embeddings: one forward and one backward pass"
    assert logic.progress_label("occlusion") == "Scoring the pair and its occlusion variants"
    assert logic.progress_label("gradient") == "Explaining (gradient × input)"
    shapley = _explanation(method="shapley", n_samples=25, seed=0, n_evaluations=180)
    assert logic.salience_name(shapley) == "Shapley (sampled)"
    assert logic.salience_how(shapley) == (
        "Shapley value sampling (Captum), 25 permutations, seed 0: 180 scored coalitions in one batch"
    )
    ig = _explanation(method="ig", steps=32, convergence_delta=-0.00012, n_evaluations=34)
    assert logic.salience_how(ig) == (
        "integrated gradients (Captum) on the input embeddings, 32 steps: convergence delta -0.0001"
    )


def test_the_legend_says_what_a_weight_is_for_each_method():
    # only occlusion's weights are measured log-odds changes (issue 22, item 10)
    assert logic.legend_label(_explanation()) == "log-odds change when the unit is removed"
    for method in ("gradient", "ig", "shapley"):
        assert "log-odds change" not in logic.legend_label(_explanation(method=method))
    assert "a linear estimate, not a measured change" in logic.legend_label(_explanation(method="gradient"))


def test_the_caption_shortens_a_long_instruction():
    result = logic.SingleResult(explanation=_explanation(), model="default", instruction=None, seconds=1.25)
    assert logic.result_caption(result) == (
        "Model `default` · instruction: “Given a web search query\\, retrieve relevant passages that answer the query” · "
        "each word removed / each image cell or clip frame greyed: 6 scored variants in one batch · 1.2 s"
    )
    long = logic.SingleResult(explanation=_explanation(instruction="x" * 300), model="m", instruction="x", seconds=0)
    assert "“" + "x" * 137 + "…”" in logic.result_caption(long)


def test_biggest_effects_and_tabs():
    e = _explanation()
    # |1.2|, |-0.7|, |0.5|: each named with its side (issue 22, item 10)
    assert [(side, t.text) for side, t in logic.biggest_effects(e)] == [
        ("document", "red"),
        ("document", "shoe"),
        ("query", "red"),
    ]
    assert (
        logic.biggest_effects_line(e)
        == "Biggest effects: document “red” +1.20, document “shoe” -0.70, query “red” +0.50"
    )
    assert logic.biggest_effects_line(_explanation(query_tokens=[], document_tokens=[])) is None
    assert logic.tab_names(e) == ["Text highlights", "Weights table & download"]
    clip = VideoSalience(weights=np.array([0.5]), units=((0,),), timestamps=(0.0,))
    assert logic.tab_names(_explanation(document_video=clip)) == [
        "Text highlights",
        "Clip frames",
        "Weights table & download",
    ]
    assert logic.frame_weights_csv(_explanation(document_video=clip)).decode().splitlines() == [
        "side,frame,time_s,unit,weight",
        "document,1,0.0,1,0.5",
    ]


def test_a_result_is_outdated_once_the_model_or_instruction_changes():
    result = logic.SingleResult(explanation=_explanation(), model="default", instruction=None, seconds=0.1)
    assert not result.outdated(Settings())
    assert result.outdated(Settings(instruction="Rank shoes."))


# --- the deletion curve and modality shares as the page shows them ---------------------------------------------------
def _faithfulness(**overrides):
    from lychee.explanation import Faithfulness

    fields = dict(
        side="document",
        n_units=10,
        ks=(1, 1, 1, 2, 5),
        base=2.75,
        removed=(1.0, 1.0, 1.0, -0.8, -2.0),
        kept=(0.5, 0.5, 0.5, 1.0, 2.0),
        random_removed=(2.5, 2.5, 2.5, 2.0, 1.0),
        random_kept=(-1.0, -1.0, -1.0, -0.5, 0.5),
        comprehensiveness=2.9,
        sufficiency=1.2,
        random_comprehensiveness=0.65,
        random_sufficiency=3.35,
    )
    return Faithfulness(**{**fields, **overrides})


def test_the_curve_has_the_full_input_then_one_point_per_distinct_k():
    from lychee.results import sigmoid
    from lychee.ui.single import evidence

    frame = evidence.curve_frame(_faithfulness())
    top = frame[frame["order"] == "most highlighted first"]
    assert top["units_removed"].tolist() == [0, 1, 2, 5]
    assert top["log_odds"].tolist() == [2.75, 1.0, -0.8, -2.0]
    assert top["p_yes"].tolist() == pytest.approx([sigmoid(v) for v in (2.75, 1.0, -0.8, -2.0)])
    assert frame[frame["order"] == "random order"]["log_odds"].tolist() == [2.75, 2.5, 2.0, 1.0]
    chart = evidence.curve_chart(_faithfulness()).to_dict()
    assert chart["encoding"]["y"]["field"] == "p_yes"
    assert evidence.curve_chart(_faithfulness(side="gap"), gap=True).to_dict()["encoding"]["y"]["field"] == "log_odds"


def test_the_sentence_reads_the_20_percent_bin():
    from lychee.ui.single import evidence

    assert evidence.faithfulness_sentence(_faithfulness()) == (
        "Removing the 2 most highlighted words drops P(yes) from 0.94 to 0.31; removing 2 random words: to 0.88 "
        "(mean of 5 random orders)."
    )
    one = _faithfulness(ks=(1, 1, 1, 1, 2))
    assert evidence.faithfulness_sentence(one).startswith("Removing the most highlighted word drops P(yes) from 0.94")
    assert evidence.faithfulness_verdict(_faithfulness()).startswith("The highlights beat a random order on both")
    worse = _faithfulness(comprehensiveness=0.1)
    assert (
        evidence.faithfulness_verdict(worse)
        == "The highlights do no better than a random order here: read them with care."
    )


def test_shares_are_listed_largest_first_with_their_parts_named():
    from lychee.explanation import ModalityShares
    from lychee.ui.single import evidence

    shares = ModalityShares(
        parts=("query_text", "document_text", "document_image"),
        values=(0.4, 0.2, 1.4),
        full_log_odds=2.0,
        empty_log_odds=0.0,
    )
    frame = evidence.shares_frame(shares)
    assert frame["label"].tolist() == ["document image", "query text", "document text"]
    assert frame["share"].tolist() == pytest.approx([0.7, 0.2, 0.1])
    assert evidence.shares_sentence(shares).startswith("70% document image, 20% query text, 10% document text")
    doc = evidence.shares_json(shares)
    assert doc["parts"]["document_image"] == {"share": pytest.approx(0.7), "log_odds": 1.4}
    assert evidence.shares_note(shares) is None
    below = ModalityShares(
        parts=("query_text", "document_text"), values=(-1.0, -2.0), full_log_odds=1.5, empty_log_odds=4.5
    )
    assert evidence.shares_note(below).startswith("With every part removed this model scores higher than the pair")


def test_the_json_download_carries_the_curve_and_the_shares(default_scorer):
    expl = default_scorer.explain("red shoes", "a red shoe")
    shares = default_scorer.modality_shares("red shoes", "a red shoe")
    result = logic.SingleResult(explanation=expl, model="default", instruction=None, seconds=0.1, shares=shares)
    doc = json.loads(logic.explanation_json(result))
    f = expl.faithfulness
    assert doc["faithfulness"]["comprehensiveness"] == pytest.approx(f.comprehensiveness)
    assert doc["faithfulness"]["random_sufficiency"] == pytest.approx(f.random_sufficiency)
    assert doc["faithfulness"]["ks"] == list(f.ks) and doc["faithfulness"]["side"] == "document"
    assert set(doc["modality_shares"]["parts"]) == {"query_text", "document_text"}
