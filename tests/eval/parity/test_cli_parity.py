"""``python -m eval.parity`` for real, in subprocesses: this project's own server on the same model as the reference
agrees to 1e-5 (exit 0); CONTRACT TESTS against stand-in rerank servers: one answering 0.5 for everything is flagged
"degenerate" with examples (exit 1), one with reversed scores is a "mismatch" (exit 1); bad input exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.lychee.scorers.remote.rerank_contract_server import StandinRerankServer, constant_scores, reversed_scores
from tests.servers import ROOT

DATA = "eval/data/ecommerce.jsonl"
KEYS = ["pairs", "max_abs_diff", "mean_abs_diff", "spearman", "degenerate", "verdict"]


def parity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eval.parity", *args],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
        check=False,  # the tests assert on the exit status
        capture_output=True,
        text=True,
        timeout=300,
    )


def last_json(proc: subprocess.CompletedProcess) -> dict:
    line = proc.stdout.rstrip("\n").splitlines()[-1]
    obj = json.loads(line)
    assert list(obj)[: len(KEYS)] == KEYS
    return obj


def test_this_projects_server_on_the_same_model_agrees(project_server):
    proc = parity("--model", project_server, "--reference", "default", "--data", DATA, "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    got = last_json(proc)
    assert got["pairs"] == 220 and got["verdict"] == "ok" and got["degenerate"] is False
    assert got["max_abs_diff"] < 1e-5 and got["mean_abs_diff"] <= got["max_abs_diff"]
    assert got["max_abs_log_odds_diff"] < 1e-4
    assert got["spearman"] == pytest.approx(1.0, abs=1e-9) and got["top10_agreement"] == 1.0
    assert "verdict: ok — max |Δscore|" in proc.stdout
    assert "warning:" not in proc.stderr  # the load-time probe found a reranker


def test_a_server_answering_one_half_is_degenerate(default_scorer):
    with StandinRerankServer(constant_scores(0.5)) as server:
        proc = parity("--model", server.url, "--reference", "default", "--data", DATA, "--pairs", "30", "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    got = last_json(proc)
    assert (got["pairs"], got["verdict"], got["degenerate"], got["spearman"]) == (30, "degenerate", True, None)
    assert got["served_std"] == 0.0 and got["served_near_half_share"] == 1.0
    text = proc.stdout
    assert "verdict: degenerate — the standard deviation of the served scores is 0 over 30 pairs, below 0.01" in text
    assert "100.0% of the served scores are within 0.5 ± 0.01 (more than 90%)" in text
    examples = [line for line in text.splitlines() if line.startswith("  shoes-01 / ") and "served 0.5000" in line]
    assert len(examples) == 5  # example pairs, with the reference's score beside
    assert "--pairs: scoring 30 of the set's 220 pairs, from 3 of its 22 queries." in text
    assert "answers, but not like a reranker" in proc.stderr  # the load-time probe warned first


def test_reversed_scores_are_a_mismatch(default_scorer):
    with StandinRerankServer(reversed_scores(default_scorer)) as server:
        proc = parity("--model", server.url, "--reference", "default", "--data", DATA, "--json", "--tolerance", "0.05")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    got = last_json(proc)
    assert got["verdict"] == "mismatch" and got["degenerate"] is False and got["tolerance"] == 0.05
    assert got["spearman"] == pytest.approx(-1.0) and got["max_abs_diff"] > 0.5
    assert "verdict: mismatch — max |Δscore|" in proc.stdout and "exceeds the tolerance 0.05" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "http://127.0.0.1:9", "--reference", "http://127.0.0.1:9", "--data", DATA],
         "--reference must be a local model (a checkpoint folder or 'default'), got the URL 'http://127.0.0.1:9'."),
        (["--model", "http://127.0.0.1:9", "--reference", "default", "--data", "missing.jsonl"], "missing.jsonl"),
        (["--model", "http://127.0.0.1:9", "--reference", "default", "--data", DATA, "--pairs", "0"],
         "argument --pairs: expected a positive integer, got '0'"),
        (["--model", "http://127.0.0.1:9", "--reference", "default", "--data", DATA, "--tolerance", "x"],
         "argument --tolerance: expected a P(yes) difference >= 0, e.g. 0.02, got 'x'"),
    ],
)
def test_bad_input_exits_2_with_a_message(args, message):
    proc = parity(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr


def test_a_dead_served_model_says_so():
    proc = parity("--model", "http://127.0.0.1:9", "--reference", "default", "--data", DATA)
    assert proc.returncode == 2 and "remote model http://127.0.0.1:9: no usable answer" in proc.stderr
