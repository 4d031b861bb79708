"""``python -m eval`` for real, in subprocesses: outputs, trec_eval parity of the written files, kill + resume."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from clihelpers import ENV, ROOT, TIMEOUT_S, kill_mid_run
from clihelpers import run_cli as _cli

DATA = "eval/data/ecommerce.jsonl"
N_QUERIES = 22


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
    # One query per chunk, so queries reach the partial file one by one; SIGKILL from outside after the first.
    killed = kill_mid_run("--data", DATA, "--model", "default", "--chunk-pairs", "1", out=out)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert 1 <= killed.finished < N_QUERIES
    assert not (out / "metrics.json").exists()

    # Resumed with the default chunks: how queries are grouped is not part of the run's fingerprint or its metrics.
    resumed = _cli("--data", DATA, "--model", "default", "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {killed.finished} of {N_QUERIES} queries already scored" in resumed.stderr
    assert len((out / "partial.jsonl").read_text().splitlines()) == 1 + N_QUERIES
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
    assert (
        f"error: {bad}, line 1: candidate 'd' (candidate 1) of query 'q1': label must be a non-negative integer, got -2."
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--k", "0", "argument --k: expected a positive integer, got '0'"),
        ("--chunk-pairs", "-3", "argument --chunk-pairs: expected a positive integer, got '-3'"),
        ("--batch-size", "two", "argument --batch-size: expected a positive integer, got 'two'"),
        ("--medium", "1.5", "argument --medium: expected a number between 0 and 1, got '1.5'"),
    ],
)
def test_bad_arguments(tmp_path, option, value, expected):
    proc = _cli("--data", DATA, "--out", str(tmp_path), option, value)
    assert proc.returncode == 2
    assert expected in proc.stderr


def test_the_cli_warns_when_the_model_does_not_read_the_sets_language(tmp_path):
    data = tmp_path / "zh.jsonl"
    line = {
        "qid": "q1",
        "query": "办公室绿植",
        "candidates": [
            {"docid": "d1", "text": "龟背竹 盆栽 大号 室内绿植", "label": 3},
            {"docid": "d2", "text": "机械键盘 青轴 87键", "label": 0},
        ],
    }
    data.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    proc = _cli("--data", str(data), "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "Chinese" in proc.stderr and "'all-MiniLM-L6-v2'" in proc.stderr


def test_the_progress_bar_draws_each_state_once(tmp_path):
    # The bar once printed every update twice (scoring reports a count after each query and again after each chunk).
    proc = subprocess.run(
        [sys.executable, "-m", "eval", "--data", "eval/data/passages.csv", "--model", "default", "--out", str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, **ENV},
        check=False,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert proc.returncode == 0, proc.stderr
    states = [s.strip() for s in re.split(r"[\r\n]", proc.stderr) if s.strip().startswith("scoring:")]
    counts = [re.search(r"(\d+)/48", s).group(1) for s in states]
    assert counts[0] == "0" and counts[-1] == "48", states
    assert len(counts) == len(set(counts)), states


def test_help_says_runs_are_recorded(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "eval", "--help"],
        cwd=ROOT,
        env={**os.environ, **ENV, "LYCHEE_RUNS_DB": str(tmp_path / "mine.sqlite")},
        check=False,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert f"recorded in the run store {tmp_path / 'mine.sqlite'}" in text
    assert "default data/runs.sqlite" in text
