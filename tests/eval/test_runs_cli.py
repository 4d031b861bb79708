"""``python -m eval.runs`` for real, in subprocesses: list, list --json, show, delete, bad ids, a corrupt store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from eval.engine.evaluate import evaluate_set
from eval.history.store import RunStore
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set

ROOT = Path(__file__).resolve().parents[2]


def _runs(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eval.runs", "--db", str(db), *args],
        cwd=ROOT,
        env={**os.environ, "LYCHEE_RUNS_DB": "/nonexistent/not-this-one.sqlite"},  # --db wins over the variable
        check=False,  # the tests assert on the exit status
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def metrics():
    from tests.eval.conftest import WordOverlapScorer

    labelled = load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")
    return evaluate_set(labelled, WordOverlapScorer(), k=10).metrics


@pytest.fixture
def db(tmp_path, metrics) -> Path:
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    for source in ("cli", "page"):
        store.record(
            metrics,
            set_name="eval/data/passages.csv",
            set_path=shipped_set_path("passages.csv"),
            output_dir=tmp_path / "out" if source == "cli" else None,
            source=source,
        )
    return path


def test_list_prints_a_table_newest_first(db, metrics):
    proc = _runs("list", db=db)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["id", "created", "set", "model", "instruction", "k", "ndcg@10", "queries"]
    assert [line.split()[0] for line in lines[2:]] == ["2", "1"]
    assert f"{metrics['ndcg@10']:.4f}" in lines[2]


def _display_columns(line: str) -> list[str]:
    """The character at each terminal column of ``line``: a CJK character fills two."""
    out: list[str] = []
    for ch in line:
        out += [ch] * (2 if unicodedata.east_asian_width(ch) in ("F", "W") else 1)
    return out


def test_list_aligns_chinese_set_names_and_instructions_by_display_width(tmp_path, metrics):
    from tests.eval.conftest import WordOverlapScorer

    labelled = load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")
    instruction = "按相关性给商品排序"
    chinese = evaluate_set(labelled, WordOverlapScorer(), instruction=instruction, k=10).metrics
    db = tmp_path / "runs.sqlite"
    store = RunStore(db)
    store.record(chinese, set_name="女鞋评测集.jsonl", set_path=None, output_dir=None, source="page")
    store.record(metrics, set_name="shoes.jsonl", set_path=None, output_dir=None, source="page")
    proc = _runs("list", db=db)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "女鞋评测集.jsonl" in lines[3] and instruction in lines[3]
    dashes = lines[1]
    starts = [i for i, ch in enumerate(dashes) if ch == "-" and (i == 0 or dashes[i - 1] == " ")]
    assert len(starts) == len(lines[0].split())
    for line in lines[2:]:
        columns = _display_columns(line)
        # every cell starts at its column's display position: two spaces before it, its first character on it
        assert all(columns[s - 2 : s] == [" ", " "] and columns[s] != " " for s in starts[1:]), line


def test_list_json_prints_one_line_with_the_documented_keys(db, metrics):
    proc = _runs("list", "--json", db=db)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1
    runs = json.loads(proc.stdout)
    assert [r["id"] for r in runs] == [2, 1]
    for r in runs:
        assert {"id", "created", "set", "model", "instruction", "ndcg@10"} <= set(r)
        assert r["set"] == str(shipped_set_path("passages.csv"))
        assert r["model"] == "word-overlap"
        assert r["ndcg@10"] == metrics["ndcg@10"]
    assert [r["source"] for r in runs] == ["page", "cli"]


def test_list_filters_by_set_and_says_when_empty(db, tmp_path):
    proc = _runs("list", "--set", "nothing.jsonl", db=db)
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"no runs of set 'nothing.jsonl' recorded in {db} yet")
    empty = _runs("list", "--json", db=tmp_path / "empty.sqlite")
    assert (empty.returncode, empty.stdout) == (0, "[]\n")
    assert not (tmp_path / "empty.sqlite").exists()


def test_show_prints_metrics_with_intervals_and_per_query_values(db, metrics):
    proc = _runs("show", "1", db=db)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("run 1 — recorded ")
    low, high = metrics["ci95"]["ndcg@10"]
    assert f"{metrics['ndcg@10']:.4f} [{low:.3f}, {high:.3f}]" in proc.stdout
    for qid, value in metrics["per_query"].items():
        assert any(line.startswith(qid) and f"{value:.4f}" in line for line in proc.stdout.splitlines())
    as_json = json.loads(_runs("show", "1", "--json", db=db).stdout)
    assert as_json["per_query"]["model"]["ndcg@10"] == metrics["per_query"]
    assert as_json["metrics"]["model"]["ndcg@10"] == {"mean": metrics["ndcg@10"], "ci95": [low, high]}


def test_delete_removes_a_run(db):
    proc = _runs("delete", "1", db=db)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("deleted run 1 (")
    assert [r["id"] for r in json.loads(_runs("list", "--json", db=db).stdout)] == [2]
    again = _runs("delete", "1", db=db)
    assert again.returncode == 2
    assert again.stderr == f"error: no run with id 1 in the run store {db}. `python -m eval.runs list` shows the ids.\n"


@pytest.mark.parametrize("command", ["show", "delete"])
def test_bad_ids_are_refused_with_what_was_expected(db, command):
    proc = _runs(command, "abc", db=db)
    assert proc.returncode == 2
    assert (
        "argument id: expected a run id (a positive integer from `python -m eval.runs list`), got 'abc'" in proc.stderr
    )
    missing = _runs(command, "99", db=db)
    assert missing.returncode == 2
    assert (
        missing.stderr == f"error: no run with id 99 in the run store {db}. `python -m eval.runs list` shows the ids.\n"
    )


def test_a_corrupt_store_exits_1_with_the_message(tmp_path):
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"garbage" * 200)
    proc = _runs("list", db=path)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: run store {path} is not a readable SQLite database (file is not a database)")
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [("list",), ("list", "--json"), ("show", "1")])
def test_a_reader_that_stops_early_ends_the_command_quietly(db, args):
    # `python -m eval.runs list --json | head` once ended in a BrokenPipeError traceback. Here the reader has gone
    # before the command writes anything, so every write hits a closed pipe, as a `head` that has read enough does.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "eval.runs", "--db", str(db), *args],
            cwd=ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            check=False,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr  # 128 + SIGPIPE, what a shell reports for `yes | head`
    assert proc.stderr == ""


def test_help_says_where_runs_are_recorded(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "eval.runs", "--help"],
        cwd=ROOT,
        env={**os.environ, "LYCHEE_RUNS_DB": str(tmp_path / "mine.sqlite")},
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())  # argparse wraps the epilog
    assert f"in {tmp_path / 'mine.sqlite'}" in text
    assert "default data/runs.sqlite" in text
