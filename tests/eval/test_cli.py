"""``python -m eval`` for real, in subprocesses: outputs, trec_eval parity of the written files, kill + resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = "eval/data/ecommerce.jsonl"


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k != "LYCHEE_EVAL_KILL_AFTER"}
    full_env.update({"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "eval", *args, "--quiet"],
        cwd=ROOT,
        env=full_env,
        check=False,  # the tests assert on the exit status
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("uninterrupted")
    proc = _cli("--data", DATA, "--model", "default", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_cli_writes_every_output_and_a_summary(uninterrupted):
    for name in ("run.trec", "qrels.txt", "metrics.json", "per_query.csv", "run_bm25.trec", "run_input_order.trec"):
        assert (uninterrupted / name).stat().st_size > 0, name
    metrics = json.loads((uninterrupted / "metrics.json").read_text())
    assert set(metrics["systems"]) == {"model", "input_order", "bm25"}
    assert len(metrics["per_query"]) == 22
    assert metrics["settings"]["systems"]["model"]["model"] == "default"
    # The embedded model ranks this set far better than the shuffled input order (a sanity check of the wiring,
    # not a quality claim: the set was written so that the words of exact matches overlap the query).
    assert metrics["ndcg@10"] > metrics["systems"]["input_order"]["means"]["ndcg@10"]
    rows = (uninterrupted / "per_query.csv").read_text().splitlines()
    assert len(rows) == 23


def test_metrics_json_equals_trec_eval_on_the_written_files(uninterrupted):
    ir_measures = pytest.importorskip("ir_measures")
    pytest.importorskip("pytrec_eval")
    from ir_measures import R, Success, nDCG

    metrics = json.loads((uninterrupted / "metrics.json").read_text())
    qrels = list(ir_measures.read_trec_qrels(str(uninterrupted / "qrels.txt")))
    exp = nDCG(cutoff=10, gains={label: 2**label - 1 for label in range(4)})
    for system, run_file in [("model", "run.trec"), ("bm25", "run_bm25.trec"), ("input_order", "run_input_order.trec")]:
        run = list(ir_measures.read_trec_run(str(uninterrupted / run_file)))
        ref: dict = {}
        for m in ir_measures.pytrec_eval.iter_calc([nDCG @ 10, exp, R @ 10, Success @ 1], qrels, run):
            ref.setdefault(m.measure, {})[m.query_id] = m.value
        ours = metrics["systems"][system]["per_query"]
        assert ours["ndcg@10"] == ref[nDCG @ 10], system
        assert ours["ndcg_exp@10"] == pytest.approx(ref[exp], abs=1e-12), system
        assert ours["recall@10"] == ref[R @ 10], system
        assert ours["hit@1"] == ref[Success @ 1], system
    assert metrics["per_query"] == metrics["systems"]["model"]["per_query"]["ndcg@10"]


def test_killed_run_resumes_to_byte_identical_metrics(uninterrupted, tmp_path):
    out = tmp_path / "resumed"
    killed = _cli("--data", DATA, "--model", "default", "--out", str(out), env={"LYCHEE_EVAL_KILL_AFTER": "9"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    partial = (out / "partial.jsonl").read_text().splitlines()
    assert len(partial) == 1 + 9  # header + the 9 queries finished before the kill
    assert not (out / "metrics.json").exists()

    resumed = _cli("--data", DATA, "--model", "default", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming: 9 of 22 queries already scored" in resumed.stderr
    assert (out / "metrics.json").read_bytes() == (uninterrupted / "metrics.json").read_bytes()
    assert (out / "qrels.txt").read_bytes() == (uninterrupted / "qrels.txt").read_bytes()


def test_image_set_with_the_text_only_default_is_refused_clearly(tmp_path):
    proc = _cli("--data", "eval/data/shapes/shapes.jsonl", "--model", "default", "--out", str(tmp_path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert (
        "error: eval/data/shapes/shapes.jsonl, line 1: candidate 'red-triangle' of query 'shape-01' has an image "
        "('img/red-triangle.png'), but the model 'default' (all-MiniLM-L6-v2) reads text only"
    ) in proc.stderr
    assert not (tmp_path / "metrics.json").exists()


def test_bad_data_is_refused_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": "q1", "query": "x", "candidates": [{"docid": "d", "text": "y", "label": -2}]}\n')
    proc = _cli("--data", str(bad), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert f"error: {bad}, line 1: candidate 'd' (candidate 1) of query 'q1': label must be a non-negative integer, got -2." in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_arguments(tmp_path):
    proc = _cli("--data", DATA, "--out", str(tmp_path), "--k", "0")
    assert proc.returncode == 2
    assert "argument --k: expected a positive integer, got '0'" in proc.stderr
