"""``python -m eval --gate`` for real, in subprocesses: a served model gated against a local run of the same model
passes (exit 0); a stand-in server whose scores are reversed fails (exit 1, the verdict printed, recorded as failed,
JUnit and Markdown written); ``last-pass`` finds the last accepted run; a BASELINE that cannot be used stops the run
before any scoring (exit 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from eval.history.store import RunStore
from tests.eval.clihelpers import run_cli
from tests.lychee.scorers.remote.rerank_contract_server import StandinRerankServer, reversed_scores

DATA = "eval/data/ecommerce.jsonl"
SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("junit-10.xsd"))))


def _segments(tmp_path: Path) -> Path:
    """The English set's queries in two segments: shoes and kitchen queries, and the rest."""
    qids = [json.loads(line)["qid"] for line in Path(DATA).read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "segments.tsv"
    rows = [f"{q}\t{'shoes+kitchen' if q.startswith(('shoes', 'kitchen')) else 'rest'}" for q in qids]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _verdict_rows(stdout: str) -> list[list[str]]:
    """The printed verdict table's rows, split on runs of spaces (scope, metric, n, ..., verdict)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(r"scope +metric +n +baseline", line))
    rows = []
    for line in lines[start + 2 :]:
        if not line or line.startswith(("Gate ", "note:", "wrote ")):
            break
        rows.append(line.split())
    return rows


def test_a_served_model_passes_against_its_local_run_and_a_reversed_stand_in_fails(
    project_server, default_scorer, tmp_path
):
    base = run_cli("--data", DATA, "--model", "default", "--out", str(tmp_path / "base"))
    assert base.returncode == 0, base.stderr
    (baseline,) = RunStore().list()

    # This project's own server on the same model: the same numbers, so the gate passes.
    same = run_cli(
        "--data", DATA, "--model", project_server, "--out", str(tmp_path / "same"), "--gate", str(baseline.id),
        "--report-md", str(tmp_path / "same.md"), "--junit", str(tmp_path / "same.xml"),
    )  # fmt: skip
    assert same.returncode == 0, same.stdout + same.stderr
    assert f"Gate passed against run #{baseline.id}: no significant drop beyond 0.005." in same.stdout
    (row,) = _verdict_rows(same.stdout)
    assert row[:2] == ["all", "ndcg@10"] and row[-1] == "pass" and row[5] == "+0.0000"
    assert SCHEMA.validate(etree.parse(str(tmp_path / "same.xml")))
    assert (tmp_path / "same.md").read_text(encoding="utf-8").startswith("## ✅ Gate passed")

    # A stand-in server that reverses the model's scores: a significant drop, overall and in each segment.
    with StandinRerankServer(reversed_scores(default_scorer)) as standin:
        worse = run_cli(
            "--data", DATA, "--segments", str(_segments(tmp_path)), "--model", standin.url,
            "--out", str(tmp_path / "worse"), "--gate", "last-pass", "--gate-metric", "ndcg@10",
            "--gate-metric", "mrr@10", "--gate-segments", "--junit", str(tmp_path / "worse.xml"),
        )  # fmt: skip
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "answers, but not like a reranker" in worse.stderr  # the load-time probe saw it too
    rows = _verdict_rows(worse.stdout)
    assert [(r[0], r[1], r[-1]) for r in rows] == [
        ("all", "ndcg@10", "FAIL"),
        ("shoes+kitchen", "ndcg@10", "FAIL"),
        ("rest", "ndcg@10", "FAIL"),
        ("all", "mrr@10", "FAIL"),
        ("shoes+kitchen", "mrr@10", "FAIL"),
        ("rest", "mrr@10", "FAIL"),
    ]
    metrics = json.loads((tmp_path / "worse" / "metrics.json").read_text())
    assert rows[0][4] == f"{metrics['ndcg@10']:.4f}" and rows[0][3] == f"{baseline.main:.4f}"
    runs = RunStore().list()
    assert [(r.id, r.gate) for r in runs] == [(3, "fail"), (2, "pass"), (1, None)]
    # last-pass: the served run that passed; the headline names the worst row and counts the others
    assert "Gate FAILED against run #2: " in worse.stdout and ", and 5 more rows failed." in worse.stdout
    assert RunStore().get(3).details["gate"]["baseline"]["label"] == "run #2"
    junit = etree.parse(str(tmp_path / "worse.xml"))
    assert SCHEMA.validate(junit)
    assert len(junit.findall("testsuite[@name='gate']/testcase/failure")) == 6


def test_an_unusable_baseline_stops_before_any_scoring(tmp_path):
    out = tmp_path / "never"
    proc = run_cli("--data", DATA, "--model", "default", "--out", str(out), "--gate", "7")
    assert proc.returncode == 2
    assert "error: cannot gate: --gate 7: no run with id 7 in the run store" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    proc = run_cli("--data", DATA, "--model", "default", "--out", str(out), "--gate", "last-pass")
    assert proc.returncode == 2 and "--gate last-pass: no gated run of" in proc.stderr and not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--max-drop", "0.01"], "--max-drop go with --gate BASELINE (the run to compare with)."),
        (["--gate-metric", "mrr@10", "--alpha", "0.1"], "--gate-metric, --alpha go with --gate BASELINE"),
        (["--gate", "1", "--max-drop", "-1"], "argument --max-drop: expected a number >= 0 (a drop of the mean"),
        (["--gate", "1", "--alpha", "0"], "argument --alpha: expected a significance level in (0, 1], e.g. 0.05"),
    ],
)
def test_gate_options_are_checked(tmp_path, extra, message):
    proc = run_cli("--data", DATA, "--model", "default", "--out", str(tmp_path / "o"), *extra)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_gate_metric_the_run_does_not_have_is_refused(tmp_path):
    metrics_json = tmp_path / "metrics.json"
    settings = {"data": DATA, "data_sha256": "x", "k": 10, "systems": {"model": {"model": "m", "instruction": "i"}}}
    per_query = {"ndcg@10": {"shoes-01": 1.0}}
    metrics_json.write_text(json.dumps({"settings": settings, "systems": {"model": {"per_query": per_query}}}))
    out = tmp_path / "o"
    proc = run_cli("--data", DATA, "--out", str(out), "--gate", str(metrics_json), "--gate-metric", "ndcg@20")
    assert proc.returncode == 2 and not out.exists()
    expected = "cannot gate: --gate-metric 'ndcg@20' is not a metric of this run; expected one of ['ndcg@10',"
    assert expected in proc.stderr
