"""``python -m eval`` records every finished evaluation in the run store, and a broken store never costs the files."""

from __future__ import annotations

import json

from clihelpers import run_cli

from eval.history.store import RunStore
from eval.sets.labelled import shipped_set_path


def test_the_cli_records_the_run_it_wrote(workspace, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("--data", "eval/data/passages.csv", "--model", "default", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "recorded as run 1 in the run history (python -m eval.runs show 1)" in proc.stdout
    run = RunStore(workspace / "runs.sqlite").get(1)
    metrics = json.loads((out / "metrics.json").read_text())
    assert (run.source, run.set_name, run.set_path, run.output_dir) == (
        "cli",
        "eval/data/passages.csv",
        str(shipped_set_path("passages.csv")),
        str(out.resolve()),
    )
    assert (run.model, run.k, run.n_queries) == ("default", 10, 8)
    assert run.instruction == metrics["settings"]["systems"]["model"]["instruction"]
    assert run.main == metrics["ndcg@10"]
    assert run.per_query["model"]["ndcg@10"] == metrics["per_query"]
    assert run.metrics["bm25"]["mrr@10"] == (
        metrics["systems"]["bm25"]["means"]["mrr@10"],
        *metrics["systems"]["bm25"]["ci95"]["mrr@10"],
    )


def test_a_corrupt_store_is_a_warning_and_the_evaluation_still_writes_its_files(workspace, tmp_path):
    store = workspace / "runs.sqlite"
    store.write_bytes(b"not a database" * 100)
    out = tmp_path / "out"
    proc = run_cli("--data", "eval/data/passages.csv", "--model", "default", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    for name in ("run.trec", "qrels.txt", "metrics.json", "per_query.csv"):
        assert (out / name).stat().st_size > 0, name
    assert (
        f"warning: The run was not recorded in the run history: run store {store} is not a readable SQLite database"
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr
    assert store.read_bytes() == b"not a database" * 100
