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
    assert logic.progress_label("gradient") == "Explaining (gradient)"


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
    assert [t.text for t in logic.biggest_effects(e)] == ["red", "shoe", "red"]  # |1.2|, |-0.7|, |0.5|
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
