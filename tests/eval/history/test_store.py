"""eval.history.store: recording evaluations in SQLite (WAL, transactions), several writer processes, locked and corrupt files."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from eval.engine.evaluate import evaluate_set
from eval.history.compare import compare_runs, shared_metrics
from eval.history.store import SCHEMA_VERSION, RunNotFoundError, RunStore, RunStoreError, record_evaluation
from eval.measures.stats import randomization_test
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.roles import Actor, PermissionDeniedError
from tests.servers import ROOT

EDITOR = Actor("ana@example.com", "editor")

SET_PATH = shipped_set_path("passages.csv")


@pytest.fixture(scope="module")
def passages():
    return load_labelled_set(SET_PATH, name="eval/data/passages.csv")


@pytest.fixture(scope="module")
def metrics(passages):
    from tests.eval.conftest import WordOverlapScorer

    return evaluate_set(passages, WordOverlapScorer(), instruction="plain", k=10).metrics


@pytest.fixture(scope="module")
def ab_metrics(passages):
    from tests.eval.conftest import WordOverlapScorer

    return evaluate_set(passages, WordOverlapScorer(), compare=True, instruction_b="reverse it", k=10).metrics


def _record(store, metrics, **kw):
    args = {"set_name": "eval/data/passages.csv", "set_path": SET_PATH, "output_dir": None, "source": "cli"}
    args.update(kw)
    return store.record(metrics, **args)


def test_the_store_follows_the_environment(workspace):
    assert RunStore().path == workspace / "runs.sqlite"


def test_a_recorded_run_holds_every_metric_interval_and_per_query_value(tmp_path, metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    when = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
    run_id = _record(store, metrics, output_dir=tmp_path / "out", created=when)
    run = store.get(run_id)
    assert (run.id, run.created, run.source) == (run_id, "2026-05-01T12:00:00+00:00", "cli")
    assert (run.set_name, run.set_path, run.set) == ("eval/data/passages.csv", str(SET_PATH), str(SET_PATH))
    assert run.set_hash == metrics["settings"]["data_sha256"]
    assert (run.model, run.instruction, run.model_b, run.instruction_b) == ("word-overlap", "plain", None, None)
    assert (run.k, run.n_queries, run.output_dir) == (10, 8, str(tmp_path / "out"))
    assert set(run.metrics) == {"model", "input_order", "bm25"}
    for system, report in metrics["systems"].items():
        for name, mean in report["means"].items():
            assert run.metrics[system][name] == (mean, *report["ci95"][name])
            assert run.per_query[system][name] == report["per_query"][name]
    assert run.main == metrics["ndcg@10"]
    assert run.details["settings"] == metrics["settings"]


def test_an_ab_run_records_both_systems(tmp_path, ab_metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    run = store.get(_record(store, ab_metrics))
    assert run.model_b == "word-overlap" and run.instruction_b == "reverse it"
    assert run.systems == ["model", "model_b"]
    assert run.details["comparison"] == ab_metrics["comparison"]


def test_list_is_newest_first_filters_by_set_and_summarises(tmp_path, metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    first = _record(store, metrics)
    upload = _record(store, metrics, set_name="mine.jsonl", set_path=None, source="page")
    assert [r.id for r in store.list()] == [upload, first]
    assert [r.id for r in store.list(of_set="mine.jsonl")] == [upload]
    assert store.sets() == ["mine.jsonl", str(SET_PATH)]
    summary = store.list()[1].summary()
    assert {"id", "created", "set", "model", "instruction", "ndcg@10"} <= set(summary)
    assert summary["ndcg@10"] == metrics["ndcg@10"]


def test_delete_removes_the_run_everywhere(tmp_path, metrics):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    keep, gone = _record(store, metrics), _record(store, metrics)
    assert store.delete(gone, actor=EDITOR).id == gone
    assert [r.id for r in store.list()] == [keep]
    with sqlite3.connect(path) as conn:
        for table in ("metrics", "per_query"):
            assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", (gone,)).fetchone()[0] == 0
            assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", (keep,)).fetchone()[0] > 0
    with pytest.raises(RunNotFoundError, match=re.escape(f"no run with id {gone} in the run store {path}.")):
        store.delete(gone, actor=EDITOR)


def test_reading_an_absent_store_creates_nothing(tmp_path):
    store = RunStore(tmp_path / "nowhere" / "runs.sqlite")
    assert store.list() == []
    with pytest.raises(RunNotFoundError, match=re.escape("`python -m eval.runs list` shows the ids.")):
        store.get(1)
    assert not (tmp_path / "nowhere").exists()


def test_the_store_runs_in_wal_mode(tmp_path, metrics):
    path = tmp_path / "runs.sqlite"
    _record(RunStore(path), metrics)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


#: A writer process: records N runs of the metrics in FILE into the store at PATH (argv: PATH FILE N).
WRITER = """
import json, sys
from eval.history.store import RunStore
store = RunStore(sys.argv[1], timeout=60)
metrics = json.loads(open(sys.argv[2], encoding="utf-8").read())
for _ in range(int(sys.argv[3])):
    store.record(metrics, set_name="s.jsonl", set_path=None, output_dir=None, source="cli")
"""


def test_several_processes_recording_at_once_lose_nothing(tmp_path, metrics):
    # Fresh interpreters, not multiprocessing: a spawned child re-runs the parent's __main__, which after an AppTest
    # in the same session is a dashboard page.
    path = tmp_path / "runs.sqlite"
    metrics_file = tmp_path / "metrics.json"
    metrics_file.write_text(json.dumps(metrics), encoding="utf-8")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(metrics_file), "8"], cwd=ROOT, stderr=subprocess.PIPE
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=180)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    store = RunStore(path)
    runs = store.list()
    assert len(runs) == 32 and len({r.id for r in runs}) == 32
    per_run = sum(len(v) for report in metrics["systems"].values() for v in report["per_query"].values())
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = conn.execute("SELECT run_id, COUNT(*) FROM per_query GROUP BY run_id").fetchall()
    assert sorted(c for _, c in counts) == [per_run] * 32  # every transaction landed whole


def test_a_corrupt_store_gives_a_clear_message_and_is_left_alone(tmp_path, metrics):
    path = tmp_path / "runs.sqlite"
    path.write_bytes(b"this is not a database, just some bytes that someone wrote here " * 20)
    before = path.read_bytes()
    store = RunStore(path)
    expected = (
        f"run store {path} is not a readable SQLite database (file is not a database) while listing runs. Move it "
        f"aside (mv {path} {path}.broken) and a new store starts with the next evaluation, or point LYCHEE_RUNS_DB at "
        "another file."
    )
    with pytest.raises(RunStoreError, match=re.escape(expected)):
        store.list()
    run_id, message = record_evaluation(
        metrics, set_name="s.jsonl", set_path=None, output_dir=None, source="cli", store=store
    )
    assert run_id is None
    assert message.startswith("The run was not recorded in the run history: run store ")
    assert "is not a readable SQLite database" in message
    assert path.read_bytes() == before


def test_a_locked_store_gives_a_clear_message(tmp_path, metrics):
    path = tmp_path / "runs.sqlite"
    _record(RunStore(path), metrics)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        store = RunStore(path, timeout=0.2)
        assert len(store.list()) == 1  # WAL: readers are not blocked by a writer
        run_id, message = record_evaluation(
            metrics, set_name="s.jsonl", set_path=None, output_dir=None, source="cli", store=store
        )
        assert run_id is None
        assert message == (
            f"The run was not recorded in the run history: run store {path} is locked by another process (waited "
            "0.2 s) while recording a run. Try again in a moment; if it stays locked, close the program holding it "
            "(a sqlite3 shell?)."
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(RunStore(path).list()) == 1


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(
        RunStoreError, match=re.escape(f"has schema version 99, newer than this program's {SCHEMA_VERSION}")
    ):
        RunStore(path).list()


def test_metrics_without_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match=re.escape("metrics lacks 'settings'; expected the metrics.json object")):
        RunStore(tmp_path / "r.sqlite").record({}, set_name="x", set_path=None, output_dir=None, source="cli")
    with pytest.raises(ValueError, match=re.escape("source must be one of ['cli', 'page'], got 'web'.")):
        RunStore(tmp_path / "r.sqlite").record({}, set_name="x", set_path=None, output_dir=None, source="web")


def test_two_runs_of_a_set_compare_per_query_with_the_randomization_test(tmp_path, metrics, ab_metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    a, b = store.get(_record(store, metrics)), store.get(_record(store, ab_metrics))
    comparison = compare_runs(a, b, metric="ndcg@10", system_b="model_b")
    values_a = metrics["systems"]["model"]["per_query"]["ndcg@10"]
    values_b = ab_metrics["systems"]["model_b"]["per_query"]["ndcg@10"]
    assert comparison.qids == list(values_a)
    assert comparison.values_a == list(values_a.values())
    assert comparison.values_b == [values_b[q] for q in values_a]
    assert comparison.p_value == randomization_test(list(values_a.values()), [values_b[q] for q in values_a])
    assert comparison.delta == pytest.approx(ab_metrics["systems"]["model_b"]["means"]["ndcg@10"] - metrics["ndcg@10"])
    assert comparison.same_content and not comparison.only_a and not comparison.only_b
    assert shared_metrics(a, b) == ["ndcg@10", "ndcg_exp@10", "mrr@10", "hit@1", "recall@10"]


def test_runs_of_different_sets_or_missing_systems_are_not_compared(tmp_path, metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    a = store.get(_record(store, metrics))
    other = store.get(_record(store, metrics, set_name="other.jsonl", set_path=None))
    with pytest.raises(ValueError, match=re.escape("needs two runs of the same set")):
        compare_runs(a, other)
    with pytest.raises(ValueError, match=re.escape(f"run {a.id} has no system 'model_b'")):
        compare_runs(a, a, system_b="model_b")
    with pytest.raises(ValueError, match=re.escape("metric 'ndcg@5' is not in both runs")):
        compare_runs(a, a, metric="ndcg@5")


# --- schemas 2 and 3: the gate mark and the author, migrated additively --------------------------------------------------------------------
# The version-1 schema as it shipped, written out here so the test does not depend on the store's own copy of it.
V1_RUNS = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, set_name TEXT NOT NULL, set_path TEXT,
    set_hash TEXT NOT NULL, model TEXT NOT NULL, instruction TEXT NOT NULL, model_b TEXT, instruction_b TEXT,
    k INTEGER NOT NULL, n_queries INTEGER NOT NULL, output_dir TEXT, source TEXT NOT NULL, details TEXT NOT NULL);
CREATE TABLE metrics (run_id INTEGER NOT NULL, system TEXT NOT NULL, metric TEXT NOT NULL, mean REAL NOT NULL,
    ci_low REAL NOT NULL, ci_high REAL NOT NULL, PRIMARY KEY (run_id, system, metric));
CREATE TABLE per_query (run_id INTEGER NOT NULL, system TEXT NOT NULL, metric TEXT NOT NULL, qid TEXT NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (run_id, system, metric, qid));
INSERT INTO runs VALUES (1, '2026-01-01T00:00:00+00:00', 'old.jsonl', NULL, 'h', 'default', 'i', NULL, NULL, 10, 1,
    NULL, 'cli', '{"settings": {}, "comparison": null}');
INSERT INTO metrics VALUES (1, 'model', 'ndcg@10', 0.5, 0.4, 0.6);
INSERT INTO per_query VALUES (1, 'model', 'ndcg@10', 'q1', 0.5);
PRAGMA user_version = 1;
"""


def _v1_store(path):
    conn = sqlite3.connect(path)
    conn.executescript(V1_RUNS)
    conn.close()
    return path


def test_a_version_1_store_is_read_as_it_is_and_migrated_by_the_next_write(tmp_path, metrics):
    path = _v1_store(tmp_path / "runs.sqlite")
    store = RunStore(path)
    (old,) = store.list()
    assert (old.id, old.set_name, old.main, old.gate, old.created_by) == (1, "old.jsonl", 0.5, None, None)
    assert store.get(1).per_query == {"model": {"ndcg@10": {"q1": 0.5}}}
    with sqlite3.connect(path) as conn:  # reading changed nothing
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert "gate" not in {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    gated = {"verdict": "fail", "rows": []}
    new_id = _record(store, metrics, gate=gated)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert {"gate", "created_by"} <= {row[1] for row in conn.execute("PRAGMA table_info(runs)")}
    assert [(r.id, r.gate) for r in store.list()] == [(new_id, "fail"), (1, None)]
    assert store.get(1).per_query == {"model": {"ndcg@10": {"q1": 0.5}}}  # the old run is intact
    assert store.get(new_id).details["gate"] == gated


def test_gated_runs_carry_their_mark_and_verdict(tmp_path, metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    plain = _record(store, metrics)
    passed = _record(store, metrics, gate={"verdict": "pass", "baseline": {"label": "run #1"}})
    assert [r.gate for r in store.list()] == ["pass", None]
    assert store.get(passed).summary()["gate"] == "pass"
    assert "gate" not in store.get(plain).details
    with pytest.raises(ValueError, match=re.escape("gate['verdict'] must be one of ['pass', 'fail'], got 'maybe'.")):
        _record(store, metrics, gate={"verdict": "maybe"})
    assert len(store.list()) == 2  # the refused run was not recorded
    run_id, message = record_evaluation(
        metrics, set_name="s.jsonl", set_path=None, output_dir=None, source="cli", store=store, gate={"verdict": "fail"}
    )
    assert message is None and store.get(run_id).gate == "fail"


def test_metric_of_runs_reads_one_metric_of_every_run_of_a_set(tmp_path, metrics, ab_metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    first, second = _record(store, metrics), _record(store, ab_metrics)
    _record(store, metrics, set_name="other.jsonl", set_path=None)
    got = store.metric_of_runs("mrr@10", of_set=str(SET_PATH))
    assert got == {
        first: (metrics["mrr@10"], *metrics["ci95"]["mrr@10"]),
        second: (ab_metrics["mrr@10"], *ab_metrics["ci95"]["mrr@10"]),
    }
    b = ab_metrics["systems"]["model_b"]
    assert store.metric_of_runs("mrr@10", of_set=str(SET_PATH), system="model_b") == {
        second: (b["means"]["mrr@10"], *b["ci95"]["mrr@10"])
    }
    assert store.metric_of_runs("ndcg@5", of_set=str(SET_PATH)) == {}
    assert RunStore(tmp_path / "absent.sqlite").metric_of_runs("ndcg@10", of_set="x") == {}


# --- who ran it, who deletes it -----------------------------------------------------------------------------------------
def test_a_run_records_who_ran_it(tmp_path, metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    mine = _record(store, metrics, created_by="ana@example.com")
    unknown = _record(store, metrics)
    assert store.get(mine).created_by == "ana@example.com" and store.get(unknown).created_by is None
    assert [r.created_by for r in store.list()] == [None, "ana@example.com"]
    assert store.list()[1].summary()["created_by"] == "ana@example.com"
    run_id, problem = record_evaluation(
        metrics, set_name="s", set_path=None, output_dir=None, source="page", store=store, created_by="token"
    )
    assert problem is None and store.get(run_id).created_by == "token"


def test_a_viewer_cannot_delete_a_run(tmp_path, metrics):
    store = RunStore(tmp_path / "runs.sqlite")
    run_id = _record(store, metrics)
    message = "li@example.com is a viewer: only editors may delete runs."
    with pytest.raises(PermissionDeniedError, match=re.escape(message)):
        store.delete(run_id, actor=Actor("li@example.com", "viewer"))
    with pytest.raises(PermissionDeniedError, match="no actor was given"):
        store.delete(run_id, actor=None)
    assert [r.id for r in store.list()] == [run_id]


def _as_version_1(path):
    """Turn a store into what version 1 wrote: no gate or created_by column, user_version 1."""
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE runs DROP COLUMN created_by")
        conn.execute("ALTER TABLE runs DROP COLUMN gate")
        conn.execute("PRAGMA user_version = 1")


def test_a_version_1_store_is_read_as_it_is_and_upgraded_by_the_next_write(tmp_path, metrics):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    old = _record(store, metrics)
    before = store.get(old)
    _as_version_1(path)
    read = store.get(old)
    assert read.created_by is None and (read.metrics, read.per_query, read.main) == (
        before.metrics,
        before.per_query,
        before.main,
    )
    with sqlite3.connect(path) as conn:  # reading changed nothing in the file
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    new = _record(store, metrics, created_by="ana@example.com")
    assert [(r.id, r.created_by) for r in store.list()] == [(new, "ana@example.com"), (old, None)]
    assert store.get(old).metrics == before.metrics
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
