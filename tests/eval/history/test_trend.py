"""eval.history.trend and ``python -m eval.runs trend``: a set's metric over its runs, oldest first, with intervals,
models, instructions and gate marks — the JSON equal to what the store holds."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from eval.engine.evaluate import evaluate_set
from eval.history.store import RunStore
from eval.history.trend import resolve_set, set_trend
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from tests.servers import ROOT

SET = shipped_set_path("passages.csv")
START = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def evaluations():
    """Two runs of the passages set that rank differently: plain, and with B reversing the order."""
    from tests.helpers import WordOverlapScorer

    labelled = load_labelled_set(SET, name="eval/data/passages.csv")
    plain = evaluate_set(labelled, WordOverlapScorer(), instruction="plain", k=10).metrics
    other = evaluate_set(labelled, WordOverlapScorer(), instruction="other", k=5).metrics
    return plain, other


def _record(store, metrics, day, **kw):
    args = {"set_name": "eval/data/passages.csv", "set_path": SET, "output_dir": None, "source": "cli"}
    return store.record(metrics, created=START + timedelta(days=day), **{**args, **kw})


@pytest.fixture
def store(tmp_path, evaluations) -> RunStore:
    plain, other_k = evaluations
    store = RunStore(tmp_path / "runs.sqlite")
    _record(store, plain, 0)
    _record(store, plain, 1, gate={"verdict": "pass"})
    _record(store, other_k, 2)  # k=5: no ndcg@10
    _record(store, plain, 3, gate={"verdict": "fail"})
    _record(store, plain, 4, set_name="upload.jsonl", set_path=None, source="page")  # another set
    return store


def test_the_trend_is_the_sets_runs_oldest_first_with_gate_marks(store, evaluations):
    plain, other_k = evaluations
    trend = set_trend(store, str(SET))
    assert [p.run_id for p in trend.points] == [1, 2, 4]
    assert [p.gate for p in trend.points] == [None, "pass", "fail"]
    assert trend.without_metric == (3,)
    first = trend.points[0]
    assert (first.mean, first.ci95) == (plain["ndcg@10"], tuple(plain["ci95"]["ndcg@10"]))
    assert (first.model, first.instruction, first.created) == ("word-overlap", "plain", "2026-05-01T12:00:00+00:00")
    mrr = set_trend(store, str(SET), metric="mrr@10")  # mrr@10 does not depend on k: every run has it
    assert [p.run_id for p in mrr.points] == [1, 2, 3, 4] and mrr.without_metric == ()
    assert [p.mean for p in mrr.points] == [plain["mrr@10"], plain["mrr@10"], other_k["mrr@10"], plain["mrr@10"]]


def test_unknown_sets_and_metrics_say_what_there_is(store):
    with pytest.raises(ValueError, match=re.escape("no run of set 'nope.jsonl' is recorded in")) as info:
        set_trend(store, "nope.jsonl")
    assert str(SET) in str(info.value) and "upload.jsonl" in str(info.value)
    with pytest.raises(ValueError, match=re.escape("has the metric 'ndcg@3'; its newest run (#4) has ['ndcg@10',")):
        set_trend(store, str(SET), metric="ndcg@3")


def test_a_relative_path_names_the_set_as_runs_record_it(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert resolve_set("eval/data/passages.csv") == str(SET)
    assert resolve_set("upload.jsonl") == "upload.jsonl"  # no such file: an upload's name, as typed


def _trend_cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eval.runs", "--db", str(db), "trend", *args],
        cwd=ROOT,
        env=dict(os.environ),
        check=False,  # the tests assert on the exit status
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_trend_json_matches_the_store(store):
    proc = _trend_cli("--set", "eval/data/passages.csv", "--json", db=store.path)
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 1
    got = json.loads(proc.stdout)
    assert (got["set"], got["metric"], got["without_metric"]) == (str(SET), "ndcg@10", [3])
    for point in got["points"]:
        run = store.get(point["run_id"])
        mean, low, high = run.metrics["model"]["ndcg@10"]
        assert (point["mean"], point["ci95"]) == (mean, [low, high])
        assert (point["created"], point["model"], point["instruction"]) == (run.created, run.model, run.instruction)
        assert (point["gate"], point["n_queries"], point["set_hash"]) == (run.gate, run.n_queries, run.set_hash)
    assert [p["gate"] for p in got["points"]] == [None, "pass", "fail"]


def _columns(lines: list[str]) -> list[dict[str, str]]:
    """The rows of a printed table as dicts, cut at the columns its line of dashes marks."""
    header, dashes, *rows = lines
    spans, start = [], None
    for i, ch in enumerate(dashes + " "):
        if ch == "-" and start is None:
            start = i
        elif ch != "-" and start is not None:
            spans.append((start, i))
            start = None
    names = [header[a:b].strip() for a, b in spans]
    ends = [a for a, _ in spans[1:]] + [None]
    return [{n: row[a:e].strip() for n, (a, _), e in zip(names, spans, ends)} for row in rows]


def test_trend_text_marks_gates_and_changes(store, evaluations):
    plain, _ = evaluations
    proc = _trend_cli("--set", str(SET), db=store.path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"ndcg@10 of {SET}, 3 runs, oldest first (gate: gated runs only)"
    rows = _columns(lines[2:7])
    got = [(r["id"], r["gate"], r["change"]) for r in rows]
    assert got == [("1", "-", ""), ("2", "pass", "+0.0000"), ("4", "FAIL", "+0.0000")]
    assert rows[0]["ndcg@10"] == f"{plain['ndcg@10']:.4f}"
    assert "runs without ndcg@10 (another k), left out: 3" in proc.stdout


def test_trend_of_an_unknown_set_exits_2_with_the_known_sets(store):
    proc = _trend_cli("--set", "missing.jsonl", db=store.path)
    assert proc.returncode == 2
    assert "error: no run of set 'missing.jsonl' is recorded" in proc.stderr and "upload.jsonl" in proc.stderr
    assert "Traceback" not in proc.stderr
