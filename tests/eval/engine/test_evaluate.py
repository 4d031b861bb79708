"""evaluate_set with a deterministic fake scorer: structure of metrics.json, A/B, chunking, resume, errors."""

from __future__ import annotations

import json
import re

import pytest

from eval.engine.evaluate import evaluate_set
from eval.engine.outputs import output_files, write_outputs
from eval.engine.resume import fingerprint
from eval.engine.scored_system import System
from eval.measures.metrics import evaluate, mean
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set


@pytest.fixture
def passages():
    return load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")


def test_metrics_json_structure_and_values(passages, overlap_scorer):
    result = evaluate_set(passages, overlap_scorer, k=5)
    m = result.metrics
    assert set(m["systems"]) == {"model", "input_order", "bm25"}
    assert list(m["per_query"]) == [q.qid for q in passages.queries]
    expected = evaluate(passages.qrels, result.runs["model"], ["ndcg@5"])["ndcg@5"]
    assert m["per_query"] == expected
    assert m["ndcg@5"] == mean(list(expected.values()))
    for name in ("ndcg@5", "ndcg_exp@5", "mrr@10", "hit@1", "recall@5"):
        low, high = m["ci95"][name]
        assert low <= m[name] <= high
    assert m["n_queries_without_relevant"] == 1  # web-08 counts as 0 in every mean
    assert m["systems"]["model"]["per_query"]["ndcg@5"]["web-08"] == 0.0
    assert "comparison" not in m
    assert set(m["calibration"]) == {"model"}
    assert m["settings"]["k"] == 5 and m["settings"]["bands"] == {"medium": 0.55, "strong": 0.75}


def test_instruction_ab_comparison(passages, overlap_scorer):
    result = evaluate_set(passages, overlap_scorer, compare=True, instruction_b="reverse the ranking", k=10)
    c = result.metrics["comparison"]
    assert c["a"] == "model" and c["b"] == "model_b"
    ndcg = c["metrics"]["ndcg@10"]
    assert ndcg["delta"] < 0 and ndcg["mean_b"] < ndcg["mean_a"]
    assert ndcg["wins"] + ndcg["ties"] + ndcg["losses"] == len(passages.queries)
    assert ndcg["ties"] >= 1  # web-08 is 0 for both
    assert 0 < ndcg["p_value"] <= 1


def test_identical_ab_gives_p_one(passages, overlap_scorer):
    result = evaluate_set(passages, overlap_scorer, compare=True, instruction_b=None, k=10)
    for v in result.metrics["comparison"]["metrics"].values():
        assert v["p_value"] == 1.0 and v["wins"] == 0 and v["losses"] == 0


def test_chunking_does_not_change_results(passages, make_overlap_scorer):
    one, many = make_overlap_scorer(), make_overlap_scorer()
    r1 = evaluate_set(passages, one, chunk_pairs=1)
    r2 = evaluate_set(passages, many, chunk_pairs=64)
    assert output_files(r1) == output_files(r2)
    assert one.calls == [6] * 8  # one call per query
    assert many.calls == [48]  # 8 queries x 6 pairs fit in one chunk of >= 64 pairs


def test_progress_reaches_total_and_never_goes_back(passages, overlap_scorer):
    seen = []
    evaluate_set(passages, overlap_scorer, compare=True, progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (96, 96)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_output_files(tmp_path, passages, overlap_scorer):
    result = evaluate_set(passages, overlap_scorer, compare=True, instruction_b="reverse")
    written = write_outputs(result, tmp_path)
    assert sorted(written) == sorted(
        [
            "run.trec",
            "run_b.trec",
            "run_bm25.trec",
            "run_input_order.trec",
            "qrels.txt",
            "metrics.json",
            "per_query.csv",
        ]
    )
    lines = (tmp_path / "run.trec").read_text().splitlines()
    assert len(lines) == passages.n_pairs
    qid, q0, docid, rank, score, tag = lines[0].split()
    assert (q0, rank, tag) == ("Q0", "1", "model")
    assert float(score) == result.runs["model"][qid][docid]
    assert (tmp_path / "qrels.txt").read_text().splitlines()[0].split()[1] == "0"
    assert json.loads((tmp_path / "metrics.json").read_text()) == result.metrics
    header = (tmp_path / "per_query.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["qid", "query", "n_candidates", "n_relevant"]
    assert "model_b:ndcg@10" in header and "bm25:mrr@10" in header


def test_resume_from_partial_file_skips_finished_queries(tmp_path, passages, make_overlap_scorer):
    partial = tmp_path / "partial.jsonl"
    full = evaluate_set(passages, make_overlap_scorer(), partial_path=tmp_path / "other.jsonl")
    lines = (tmp_path / "other.jsonl").read_text().splitlines(keepends=True)
    # Header + 3 finished queries + a torn 4th line, as a kill in the middle of a write leaves it.
    partial.write_text("".join(lines[:4]) + lines[4][:20])
    scorer = make_overlap_scorer()
    resumed = evaluate_set(passages, scorer, partial_path=partial)
    assert sum(scorer.calls) == passages.n_pairs - 3 * 6
    assert output_files(resumed) == output_files(full)
    assert partial.read_text() == "".join(lines)  # torn line dropped, then the rest appended


def test_partial_file_of_another_run_is_started_afresh(tmp_path, passages, overlap_scorer):
    partial = tmp_path / "partial.jsonl"
    evaluate_set(passages, overlap_scorer, partial_path=partial, k=10)
    calls_before = len(overlap_scorer.calls)
    evaluate_set(passages, overlap_scorer, partial_path=partial, k=5)  # k is part of the fingerprint
    assert len(overlap_scorer.calls) > calls_before
    header = json.loads(partial.read_text().splitlines()[0])
    assert header["fingerprint"] == fingerprint(passages, [System("model", overlap_scorer)], 5)


def test_fingerprint_depends_on_instruction_and_model(passages, overlap_scorer):
    base = fingerprint(passages, [System("model", overlap_scorer, None, "default")], 10)
    assert fingerprint(passages, [System("model", overlap_scorer, "other", "default")], 10) != base
    assert fingerprint(passages, [System("model", overlap_scorer, None, "/ckpt")], 10) != base
    assert fingerprint(passages, [System("model", overlap_scorer, None, "default")], 10) == base


def test_text_only_model_refuses_an_image_set_before_scoring(overlap_scorer):
    shapes = load_labelled_set(shipped_set_path("shapes/shapes.jsonl"))
    msg = (
        f"{shapes.name}, line 1: candidate 'red-triangle' of query 'shape-01' has an image ('img/red-triangle.png'), "
        "but the model 'word-overlap' (word-overlap) reads text only, so this set cannot be evaluated with it."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        evaluate_set(shapes, overlap_scorer)
    assert overlap_scorer.calls == []


def test_bad_instruction_is_refused_before_scoring(passages, overlap_scorer):
    with pytest.raises(ValueError, match=re.escape("instruction is empty: expected a sentence telling the model")):
        evaluate_set(passages, overlap_scorer, instruction="   ")
    assert overlap_scorer.calls == []


def test_scorer_errors_name_the_query(tmp_path, make_overlap_scorer):
    class Picky(make_overlap_scorer):
        def _predict_pairs(self, pairs, instruction, *, progress=None):
            self.attempts = [*getattr(self, "attempts", []), len(pairs)]
            if any("teapot" in (q.text or "") for q, _ in pairs):
                raise ValueError("cannot score teapots")
            return super()._predict_pairs(pairs, instruction, progress=progress)

    path = tmp_path / "s.csv"
    path.write_text(
        "qid,query,docid,document,label\nq1,shoes,d1,red shoe,1\nq2,teapot,d1,blue teapot,1\nq3,mug,d2,a mug,1\n"
    )
    labelled = load_labelled_set(path)
    scorer = Picky()
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 3: query 'q2' (model): cannot score teapots")):
        evaluate_set(labelled, scorer, partial_path=tmp_path / "partial.jsonl")
    # The chunk (3 pairs) failed as a whole, then was re-scored query by query up to the culprit.
    assert scorer.attempts == [3, 1, 1]


def test_bad_k(passages, overlap_scorer):
    with pytest.raises(ValueError, match=re.escape("k must be a positive integer, got 0.")):
        evaluate_set(passages, overlap_scorer, k=0)
