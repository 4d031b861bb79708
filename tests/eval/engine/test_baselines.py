"""The baselines: input order and BM25 (with its tokenizer)."""

from __future__ import annotations

from eval.engine.baselines import bm25_run, input_order_run, tokenize
from eval.sets.loader import load_labelled_set


def test_tokenize_strips_plurals_and_stop_words():
    assert tokenize("Red Shoes for the kids, with batteries & boxes") == ["red", "shoe", "kid", "battery", "box"]
    assert tokenize(None) == []


def test_input_order_and_bm25_baselines(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "qid,query,docid,document,label\n"
        "q1,red running shoes,d1,blue teapot,0\n"
        "q1,red running shoes,d2,red running shoe by Nike,3\n"
        "q1,red running shoes,d3,running socks,1\n"
        "q2,teapot,d1,blue teapot,2\n"
        "q2,teapot,d4,coffee mug,0\n",
        encoding="utf-8",
    )
    labelled = load_labelled_set(path)
    assert input_order_run(labelled) == {"q1": {"d1": 3.0, "d2": 2.0, "d3": 1.0}, "q2": {"d1": 2.0, "d4": 1.0}}
    run = bm25_run(labelled)
    assert max(run["q1"], key=run["q1"].get) == "d2"
    assert run["q1"]["d2"] > run["q1"]["d3"] > run["q1"]["d1"] == 0.0
    assert run["q2"]["d1"] > run["q2"]["d4"] == 0.0
