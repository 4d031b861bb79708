"""The Evaluation page, run headless with AppTest on the embedded default model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apphelpers import errors, shown
from streamlit.testing.v1 import AppTest

from eval.engine.evaluate import evaluate_set
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.formatting import signed
from lychee.ui.uploads import keep_upload

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
    assert not at.error, errors(at)
    labelled = load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")
    expected = evaluate_set(labelled, default_scorer, model_id="default", k=10).metrics

    shown = at.session_state["eval_result"].metrics
    for system in ("model", "input_order", "bm25"):
        assert shown["systems"][system]["means"] == expected["systems"][system]["means"], system
        assert shown["systems"][system]["per_query"] == expected["systems"][system]["per_query"], system
        assert shown["systems"][system]["ci95"] == expected["systems"][system]["ci95"], system
    cards = {m.label: m for m in at.metric if not m.label.startswith(("κ", "α"))}  # not "Could this model pre-grade?"
    assert list(cards) == ["ndcg@10", "ndcg_exp@10", "mrr@10", "hit@1", "recall@10"]
    captions = [c.value for c in at.caption]
    for name, card in cards.items():
        low, high = expected["ci95"][name]
        assert card.value == f"{expected[name]:.4f}"
        bm25 = expected["systems"]["bm25"]["means"][name]
        assert card.delta == f"{signed(expected[name] - bm25)} vs BM25"
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
    at = _run(_app(eval_source="upload", eval_upload_data=keep_upload(name, data)))
    assert any(message in e for e in errors(at)), errors(at)
    assert "eval_result" not in at.session_state


def test_good_upload_is_evaluated():
    data = Path(shipped_set_path("passages.csv")).read_bytes()
    at = _run(_app(eval_source="upload", eval_upload_data=keep_upload("mine.csv", data)))
    assert not at.error
    assert at.session_state["eval_result"].labelled.name == "mine.csv"


def test_no_upload_says_so():
    at = _run(_app(eval_source="upload"))
    assert any("No file uploaded" in e for e in errors(at))


def test_image_set_with_the_default_model_is_refused_with_a_message():
    at = _run(_app(eval_set="shapes/shapes.jsonl"))
    assert any("reads text only, so this set cannot be evaluated with it" in e for e in errors(at))
    assert "eval_result" not in at.session_state


def test_metrics_json_download_matches_the_result():
    at = _run(_app(eval_k=5))
    result = at.session_state["eval_result"]
    assert result.k == 5 and "ndcg@5" in result.metrics
    from eval.engine.outputs import output_files

    assert json.loads(output_files(result)["metrics.json"]) == result.metrics


def test_unexpected_scoring_failure_is_a_message_not_a_traceback(monkeypatch):
    from lychee.ui.evaluation import view as evaluation_view

    def boom(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(evaluation_view, "evaluate_set", boom)
    at = _run(_app())
    assert any("Scoring failed: RuntimeError: CUDA out of memory" in e for e in errors(at))
    assert "eval_result" not in at.session_state


# --- segments, BEIR folders and first-stage runs ------------------------------------------------------------------------
def _segment_frame(at: AppTest):
    frames = [df.value for df in at.dataframe if "lift vs input order (%)" in df.value.columns]
    assert len(frames) == 1, [list(df.value.columns) for df in at.dataframe]
    return frames[0]


def test_segment_table_and_chart_for_the_chinese_set():
    at = _run(_app(eval_set="ecommerce_zh.jsonl"))
    assert not at.error, errors(at)
    result = at.session_state["eval_result"]
    frame = _segment_frame(at)
    assert list(frame["segment"]) == ["场景化描述", "风格导向", "功能需求", "视觉特征", "all"]
    assert list(frame["queries"]) == [7, 7, 7, 7, 28]
    segments = result.metrics["systems"]
    for i, name in enumerate(frame["segment"][:4]):
        assert frame["model (A)"][i] == segments["model"]["segments"][name]["ndcg@10"]
        assert frame["input order"][i] == segments["input_order"]["segments"][name]["ndcg@10"]
        assert frame["BM25"][i] == segments["bm25"]["segments"][name]["ndcg@10"]
        base = segments["input_order"]["segments"][name]["ndcg@10"]
        assert frame["lift vs input order (%)"][i] == pytest.approx((frame["model (A)"][i] - base) / base * 100)
    assert frame["model (A)"][4] == result.metrics["ndcg@10"]
    assert len(at.get("vega_lite_chart")) == 4  # per-query, scores by label, calibration, per segment
    # The default model reads English: the page says so before the Chinese numbers.
    assert any("is Chinese, but the model 'all-MiniLM-L6-v2' reads English" in w.value for w in at.warning)


def _beir_zip(tmp_path: Path) -> bytes:
    """passages.csv as a zipped BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv under passages/."""
    import io
    import zipfile

    labelled = load_labelled_set(shipped_set_path("passages.csv"))
    docs = {c.docid: c.text for q in labelled.queries for c in q.candidates}
    files = {
        "corpus.jsonl": "".join(json.dumps({"_id": d, "title": "", "text": t}) + "\n" for d, t in docs.items()),
        "queries.jsonl": "".join(json.dumps({"_id": q.qid, "text": q.text}) + "\n" for q in labelled.queries),
        "qrels/test.tsv": "query-id\tcorpus-id\tscore\n"
        + "".join(f"{q.qid}\t{c.docid}\t{c.label}\n" for q in labelled.queries for c in q.candidates),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"passages/{name}", text)
    return buf.getvalue()


def test_beir_zip_with_a_first_stage_run_and_segments(tmp_path):
    labelled = load_labelled_set(shipped_set_path("passages.csv"))
    # The first stage ranks one passage the qrels never judged for the query first, then the candidates reversed.
    every = sorted({c.docid for q in labelled.queries for c in q.candidates})
    run = ""
    for q in labelled.queries:
        unjudged = next(d for d in every if d not in {c.docid for c in q.candidates})
        ranking = [unjudged, *(c.docid for c in reversed(q.candidates))]
        run += "".join(f"{q.qid} Q0 {docid} {rank} {10 - rank} bm25\n" for rank, docid in enumerate(ranking, 1))
    segments = "".join(
        f"{q.qid}\t{'science' if q.qid in ('web-01', 'web-02', 'web-06') else 'other'}\n" for q in labelled.queries
    )
    at = _run(
        _app(
            eval_source="beir",
            eval_top_k=5,
            eval_beir_zip_data=keep_upload("passages.zip", _beir_zip(tmp_path)),
            eval_run_file_data=keep_upload("bm25.trec", run.encode()),
            eval_segments_file_data=keep_upload("segments.tsv", segments.encode()),
        )
    )
    assert not at.error, errors(at)
    result = at.session_state["eval_result"]
    assert result.labelled.first_stage == "bm25.trec, top 5 per query in trec_eval's order"
    assert [len(q.candidates) for q in result.labelled.queries] == [5] * 8
    assert list(_segment_frame(at)["segment"]) == ["science", "other", "all"]
    assert "judged@10" in result.metric_names
    assert result.metrics["systems"]["input_order"]["means"]["judged@10"] == 0.8  # 4 of each top 5 judged
    captions = [shown(c.value) for c in at.caption]
    assert "Input order = the first stage: bm25.trec, top 5 per query in trec_eval's order." in captions
    assert any(c.startswith("judged@10 of model A:") for c in captions)


def test_beir_zip_problems_name_the_archive_and_the_upload(tmp_path):
    at = _run(
        _app(
            eval_source="beir",
            eval_split="dev",
            eval_beir_zip_data=keep_upload("passages.zip", _beir_zip(tmp_path)),
        )
    )
    assert any(
        "passages.zip:passages: not a BEIR folder, missing qrels/dev.tsv (splits there: test" in e
        for e in errors(at)
    ), errors(at)
    at = _run(
        _app(
            eval_source="beir",
            eval_beir_zip_data=keep_upload("passages.zip", _beir_zip(tmp_path / "b")),
            eval_run_file_data=keep_upload("bm25.trec", b"web-01 Q0 w01 1 0.5\n"),
        )
    )
    assert any("bm25.trec, line 1: has 5 columns" in e for e in errors(at)), errors(at)
    assert "eval_result" not in at.session_state
    at = _run(_app(eval_source="beir"))
    assert any("No BEIR folder uploaded" in e for e in errors(at))


def test_a_chinese_set_on_the_english_default_is_flagged_next_to_the_results():
    rows = ["qid,query,docid,document,label"]
    titles = ["龟背竹 盆栽 大号 室内绿植", "机械键盘 青轴 87键", "办公桌 收纳盒 桌面整理", "绿萝 吊兰 办公室 净化空气"]
    for q, query in enumerate(["办公室绿植", "桌面收纳"]):
        rows += [f"q{q},{query},d{i},{t},{int(i == q * 2)}" for i, t in enumerate(titles)]
    data = ("\n".join(rows) + "\n").encode("utf-8")
    at = _run(_app(eval_source="upload", eval_upload_data=keep_upload("zh.csv", data)))
    assert not at.error, errors(at)
    assert any("Chinese" in w.value and "all-MiniLM-L6-v2" in w.value for w in at.warning), [
        w.value for w in at.warning
    ]
    # an English set: no language warning
    english = Path(shipped_set_path("passages.csv")).read_bytes()
    at = _run(_app(eval_source="upload", eval_upload_data=keep_upload("en.csv", english)))
    assert not any("Chinese" in w.value for w in at.warning)


# --- what the page says about its numbers and about results of other inputs ------------------------------------------------
def test_a_zero_delta_has_no_arrow_and_no_colour():
    from streamlit.proto.Metric_pb2 import Metric

    at = _run(_app())
    cards = {m.label: m for m in at.metric}
    zero = [m for m in cards.values() if m.delta.startswith("±")]
    assert zero, [m.delta for m in cards.values()]  # recall@10: both rank every relevant passage in the top 10
    for card in zero:
        assert card.proto.color == Metric.MetricColor.GRAY and card.proto.direction == Metric.MetricDirection.NONE
    moved = [m for m in cards.values() if m.delta and not m.delta.startswith("±")]  # "pre-grade" cards have none
    assert moved and all(m.proto.direction != Metric.MetricDirection.NONE for m in moved)


def test_segment_lift_is_written_as_a_signed_percentage():
    at = _run(_app(eval_set="ecommerce_zh.jsonl"))
    [table] = [df for df in at.dataframe if "lift vs input order (%)" in df.value.columns]
    config = json.loads(table.proto.columns)
    for column in ("lift vs input order (%)", "lift vs BM25 (%)"):
        assert config[column]["type_config"]["format"] == "%+.1f%%", config[column]


def test_one_query_says_no_interval_or_test_can_be_computed():
    data = (
        b'{"qid": "q1", "query": "red shoes", "candidates": [{"docid": "a", "text": "red running shoe", "label": 1}, '
        b'{"docid": "b", "text": "blue teapot", "label": 0}]}\n'
    )
    at = _run(_app(eval_source="upload", eval_upload_data=keep_upload("one.jsonl", data)))
    assert not at.error, [e.value for e in at.error]
    assert any("one.jsonl: 1 query, 2 pairs" == shown(h.value) for h in at.subheader)
    assert any("no interval or significance test can be computed from one query" in i.value for i in at.info)
    assert "95% CI: needs 2 or more queries" in [c.value for c in at.caption]


def test_a_result_of_other_choices_is_marked_as_the_last_evaluation():
    at = _run(_app())
    assert not at.warning
    at.selectbox(key="_w_eval_set").set_value("ecommerce.jsonl").run()  # not evaluated yet
    [note] = [w.value for w in at.warning]
    assert note.startswith("Below is the last evaluation: the sample set passages.csv, k=10, model `default`.")
    at.selectbox(key="_w_eval_set").set_value("passages.csv").run()  # back to what the result is for
    assert not at.warning


def test_a_refused_set_does_not_leave_the_previous_result_looking_like_its_own():
    at = _run(_app())
    at.selectbox(key="_w_eval_set").set_value("shapes/shapes.jsonl").run()
    at.button(key="eval_run").click().run()
    assert any("reads text only, so this set cannot be evaluated with it" in e for e in errors(at))
    assert any(w.value.startswith("Below is the last evaluation: the sample set passages.csv") for w in at.warning)
    assert at.session_state["eval_result"].labelled.name == "eval/data/passages.csv"
