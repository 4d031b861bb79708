"""The Evaluation page, run headless with AppTest on the embedded default model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from eval.labelled import shipped_set_path
from eval.loader import load_labelled_set
from eval.runner import evaluate_set

PAGE = Path(__file__).resolve().parents[2] / "pages" / "3_Evaluation.py"


def _app(**state) -> AppTest:
    at = AppTest.from_file(str(PAGE), default_timeout=120)
    at.session_state["model"] = "default"
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    at.button(key="eval_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_page_metrics_equal_the_library_on_the_small_shipped_set(default_scorer):
    at = _run(_app())
    assert not at.error, [e.value for e in at.error]
    labelled = load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")
    expected = evaluate_set(labelled, default_scorer, model_id="default", k=10).metrics

    shown = at.session_state["eval_result"].metrics
    for system in ("model", "input_order", "bm25"):
        assert shown["systems"][system]["means"] == expected["systems"][system]["means"], system
        assert shown["systems"][system]["per_query"] == expected["systems"][system]["per_query"], system
        assert shown["systems"][system]["ci95"] == expected["systems"][system]["ci95"], system
    cards = {m.label: m for m in at.metric}
    assert list(cards) == ["ndcg@10", "ndcg_exp@10", "mrr@10", "hit@1", "recall@10"]
    captions = [c.value for c in at.caption]
    for name, card in cards.items():
        low, high = expected["ci95"][name]
        assert card.value == f"{expected[name]:.4f}"
        bm25 = expected["systems"]["bm25"]["means"][name]
        assert card.delta == f"{expected[name] - bm25:+.4f} vs BM25"
        assert f"95% CI [{low:.3f}, {high:.3f}]" in captions
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3  # per-query, scores by label, calibration
    # The downloads carry the same metrics.json as the CLI would write.
    downloads = {b.label: b for b in at.get("download_button")}
    assert set(downloads) == {"run.trec", "metrics.json", "per_query.csv", "qrels.txt"}


def test_instruction_ab_shows_the_comparison_and_warns_for_the_default_model():
    at = _run(_app(eval_compare=True, eval_instruction_b="Find the passage that answers the question."))
    assert "comparison" in at.session_state["eval_result"].metrics
    assert any("ignores instructions" in w.value for w in at.warning)
    assert len(at.dataframe) >= 2  # systems table and A/B table


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "bad.jsonl",
            b'{"qid": "q1", "query": "x", "candidates": [{"docid": "d", "text": "y", "label": 1.5}]}\n',
            "bad.jsonl, line 1: candidate 'd' (candidate 1) of query 'q1': label must be a non-negative integer, got 1.5 (float).",
        ),
        (
            "with_images.jsonl",
            b'{"qid": "q1", "query": "x", "candidates": [{"docid": "d", "image": "a.png", "label": 1}]}\n',
            "image paths cannot be resolved relative to an uploaded file. Upload a .zip",
        ),
        ("bad.csv", b"qid,query\nq1,x\n", "bad.csv, line 1: missing column(s) ['docid', 'document', 'label']"),
    ],
)
def test_bad_uploads_show_the_loaders_message(name, data, message):
    at = _run(_app(eval_source="upload", eval_upload_data={"name": name, "data": data}))
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert "eval_result" not in at.session_state


def test_good_upload_is_evaluated():
    data = Path(shipped_set_path("passages.csv")).read_bytes()
    at = _run(_app(eval_source="upload", eval_upload_data={"name": "mine.csv", "data": data}))
    assert not at.error
    assert at.session_state["eval_result"].labelled.name == "mine.csv"


def test_no_upload_says_so():
    at = _run(_app(eval_source="upload"))
    assert any("No file uploaded" in e.value for e in at.error)


def test_image_set_with_the_default_model_is_refused_with_a_message():
    at = _run(_app(eval_set="shapes/shapes.jsonl"))
    assert any("reads text only, so this set cannot be evaluated with it" in e.value for e in at.error)
    assert "eval_result" not in at.session_state


def test_metrics_json_download_matches_the_result():
    at = _run(_app(eval_k=5))
    result = at.session_state["eval_result"]
    assert result.k == 5 and "ndcg@5" in result.metrics
    from eval.outputs import output_files

    assert json.loads(output_files(result)["metrics.json"]) == result.metrics


def test_unexpected_scoring_failure_is_a_message_not_a_traceback(monkeypatch):
    from lychee.ui import evaluation_view

    def boom(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(evaluation_view, "evaluate_set", boom)
    at = _run(_app())
    assert any("Scoring failed: RuntimeError: CUDA out of memory" in e.value for e in at.error)
    assert "eval_result" not in at.session_state


def test_a_chinese_set_on_the_english_default_is_flagged_next_to_the_results():
    rows = ["qid,query,docid,document,label"]
    titles = ["龟背竹 盆栽 大号 室内绿植", "机械键盘 青轴 87键", "办公桌 收纳盒 桌面整理", "绿萝 吊兰 办公室 净化空气"]
    for q, query in enumerate(["办公室绿植", "桌面收纳"]):
        rows += [f"q{q},{query},d{i},{t},{int(i == q * 2)}" for i, t in enumerate(titles)]
    data = ("\n".join(rows) + "\n").encode("utf-8")
    at = _run(_app(eval_source="upload", eval_upload_data={"name": "zh.csv", "data": data}))
    assert not at.error, [e.value for e in at.error]
    assert any("Chinese" in w.value and "all-MiniLM-L6-v2" in w.value for w in at.warning), [w.value for w in at.warning]
    # an English set: no language warning
    english = Path(shipped_set_path("passages.csv")).read_bytes()
    at = _run(_app(eval_source="upload", eval_upload_data={"name": "en.csv", "data": english}))
    assert not any("Chinese" in w.value for w in at.warning)
