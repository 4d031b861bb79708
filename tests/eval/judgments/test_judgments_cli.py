"""``python -m eval.judgments``: agreement (its JSON line against the reference packages), disagreements, export,
and the holes round trip — run -> queue -> grades -> re-run with ``--qrels-extra``: judged@10 up."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys

import krippendorff
import numpy as np
import pytest
from clihelpers import ENV, ROOT, TIMEOUT_S, run_cli
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from eval.history.labelling import make_record, save_query
from eval.history.store import RunStore
from eval.judgments.__main__ import main
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.roles import local_actor
from tests.eval.helpers import write_beir

RATERS = ["ann", "bob", "cy"]


def judgments(*args: str) -> subprocess.CompletedProcess:
    """``python -m eval.judgments ARGS`` in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "eval.judgments", *args],
        cwd=ROOT,
        env={**__import__("os").environ, **ENV},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


@pytest.fixture
def graded_set(tmp_path):
    """A JSONL set of 6 queries x 8 candidates graded by three raters, each grade missing with probability 0.25."""
    rng = random.Random(7)
    lines = []
    for q in range(6):
        candidates = []
        for d in range(8):
            truth = rng.randint(0, 3)
            grades = {r: min(3, max(0, truth + rng.choice([-1, 0, 0, 1]))) for r in RATERS if rng.random() > 0.25}
            candidate = {"docid": f"d{d}", "text": f"title {q} {d}"}
            if grades:
                candidate["grades"] = grades
            candidates.append(candidate)
        lines.append({"qid": f"q{q}", "query": {"text": f"query {q}"}, "candidates": candidates})
    path = tmp_path / "graded.jsonl"
    path.write_text("".join(json.dumps(o) + "\n" for o in lines), encoding="utf-8")
    return path, lines


def test_agreement_json_is_one_line_equal_to_the_reference_packages(graded_set):
    path, lines = graded_set
    proc = judgments("agreement", "--data", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1
    got = json.loads(proc.stdout)
    assert list(got) == [
        "raters",
        "items",
        "krippendorff_alpha_ordinal",
        "fleiss_kappa",
        "fleiss_items",
        "cohen_kappa_quadratic",
        "exact_agreement",
    ]
    items = [c.get("grades", {}) for line in lines for c in line["candidates"]]
    assert got["raters"] == RATERS
    assert got["items"] == sum(len(g) >= 2 for g in items)
    matrix = np.array([[g.get(r, np.nan) for g in items] for r in RATERS], dtype=float)
    assert abs(got["krippendorff_alpha_ordinal"] - krippendorff.alpha(matrix, level_of_measurement="ordinal")) < 1e-12
    complete = [[g[r] for r in RATERS] for g in items if len(g) == 3]
    assert got["fleiss_items"] == len(complete)
    assert abs(got["fleiss_kappa"] - fleiss_kappa(aggregate_raters(np.array(complete))[0])) < 1e-12
    assert list(got["cohen_kappa_quadratic"]) == ["ann|bob", "ann|cy", "bob|cy"]
    for a, b in itertools.combinations(RATERS, 2):
        both = [(g[a], g[b]) for g in items if a in g and b in g]
        expected = cohen_kappa_score(*zip(*both), weights="quadratic", labels=[0, 1, 2, 3])
        assert abs(got["cohen_kappa_quadratic"][f"{a}|{b}"] - expected) < 1e-12
    pairable = [list(g.values()) for g in items if len(g) >= 2]
    assert got["exact_agreement"] == sum(len(set(u)) == 1 for u in pairable) / len(pairable)


def test_agreement_text_and_per_query(graded_set, capsys):
    path, _ = graded_set
    assert main(["agreement", "--data", str(path), "--per-query"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("raters: ann, bob, cy\ncandidates graded by 2+ raters: ")
    assert "Cohen's kappa, quadratic, ann|bob: " in out
    assert out.count("\nquery q") == 6


def test_a_single_rater_set_says_agreement_needs_two(capsys):
    assert main(["agreement", "--data", str(shipped_set_path("passages.csv")), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == {
        "raters": ["(original)"],
        "items": 0,
        "krippendorff_alpha_ordinal": None,
        "fleiss_kappa": None,
        "fleiss_items": 0,
        "cohen_kappa_quadratic": {},
        "exact_agreement": None,
    }


def test_disagreements_lists_grades_that_span_two_or_more(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    candidates = [
        {"docid": "d1", "text": "boots", "grades": {"ann": 3, "bob": 0}},
        {"docid": "d2", "text": "mug", "grades": {"ann": 1, "bob": 2}},
        {"docid": "d3", "text": "rain boots", "grades": {"ann": 0, "bob": 2}, "adjudicated": {"grade": 1, "by": "cy"}},
    ]
    path.write_text(json.dumps({"qid": "q1", "query": "boots", "candidates": candidates}) + "\n", encoding="utf-8")
    assert main(["disagreements", "--data", str(path), "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [(d["docid"], d["span"], d["label"], d["adjudicated"]) for d in got] == [("d1", 3, 2, None), ("d3", 2, 1, 1)]
    assert main(["disagreements", "--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"2 candidate(s) of {path} whose grades span 2 or more:"
    assert "  q1 d3 span 2: ann=0, bob=2 -> label 1; adjudicated 1 by cy | rain boots" in out


def test_export_writes_trec_qrels_by_the_rule(graded_set, tmp_path):
    path, _ = graded_set
    out = tmp_path / "out" / "qrels.txt"
    assert main(["export", "--data", str(path), "--qrels", str(out), "--aggregate", "max"]) == 0
    labelled = load_labelled_set(path, aggregate="max")
    expected = [f"{q.qid} 0 {c.docid} {c.label}" for q in labelled.queries for c in q.candidates if c.judged]
    assert out.read_text().splitlines() == expected
    assert all(line.split()[1] == "0" for line in expected)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["agreement", "--data", "nope.jsonl"], "nope.jsonl: file not found."),
        (["holes", "--run", "99", "--out", "q.jsonl"], "no run with id 99 in the run store"),
    ],
)
def test_bad_input_is_a_message_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


# --- holes: run -> queue -> grades -> re-run ------------------------------------------------------------------------
TOP_K = 8


@pytest.fixture
def beir_with_holes(tmp_path):
    """ecommerce.jsonl as a BEIR folder, whose first stage ranks two unjudged products (another query's) first."""
    labelled = load_labelled_set(shipped_set_path("ecommerce.jsonl"))
    labelled = type(labelled)(labelled.name, labelled.queries[:6], labelled.content_hash)  # 6 queries: quick
    folder = write_beir(tmp_path / "beir", labelled)
    every = sorted({c.docid for q in labelled.queries for c in q.candidates})
    lines = []
    for q in labelled.queries:
        own = [c.docid for c in q.candidates]
        ranking = [d for d in every if d not in own][:2] + own
        lines += [f"{q.qid} Q0 {d} {rank} {100 - rank} bm25" for rank, d in enumerate(ranking, start=1)]
    run = tmp_path / "first_stage.trec"
    run.write_text("\n".join(lines) + "\n")
    return folder, run


def test_holes_round_trip_raises_judged_at_10(beir_with_holes, tmp_path, workspace):
    folder, run = beir_with_holes
    first = run_cli("--data", str(folder), "--run", str(run), "--top-k", str(TOP_K), "--model", "default",
                    "--out", str(tmp_path / "r1"))  # fmt: skip
    assert first.returncode == 0, first.stderr
    metrics = json.loads((tmp_path / "r1" / "metrics.json").read_text())
    before = metrics["systems"]["input_order"]["means"]["judged@10"]
    assert before == 0.75  # two unjudged of the first stage's top 8
    assert metrics["holes"]["k"] == 10 and len(metrics["holes"]["queries"]) == 6
    (run_id,) = [r.id for r in RunStore().list()]

    queue = tmp_path / "queue.jsonl"
    proc = judgments("holes", "--run", str(run_id), "--out", str(queue))
    assert proc.returncode == 0, proc.stderr
    queued = load_labelled_set(queue)
    assert [q.qid for q in queued.queries] == list(metrics["holes"]["queries"])
    assert all(not c.judged for q in queued.queries for c in q.candidates)
    assert {q.qid: [c.docid for c in q.candidates] for q in queued.queries} == metrics["holes"]["queries"]
    assert all(c.text for q in queued.queries for c in q.candidates)  # the texts come with the queue

    for q in queued.queries:  # a rater grades every hole (as the Judge page saves)
        record = make_record(
            qid=q.qid, text=q.text, titles=[c.text for c in q.candidates], grades=[0] * len(q.candidates),
            rater="ann", docids=[c.docid for c in q.candidates],
        )  # fmt: skip
        save_query(record, set_file=queue, actor=local_actor())
    second = run_cli("--data", str(folder), "--run", str(run), "--top-k", str(TOP_K), "--model", "default",
                     "--qrels-extra", str(queue), "--out", str(tmp_path / "r2"))  # fmt: skip
    assert second.returncode == 0, second.stderr
    after = json.loads((tmp_path / "r2" / "metrics.json").read_text())
    for system in ("model", "input_order", "bm25"):
        assert after["systems"][system]["means"]["judged@10"] > metrics["systems"][system]["means"]["judged@10"]
    assert after["systems"]["input_order"]["means"]["judged@10"] == 1.0
    assert after["settings"]["notes"][-1].startswith(f"extra judgments {queue}: ")
    # judged as not relevant, the holes leave every metric where the unjudged convention put it
    assert after["systems"]["model"]["means"]["ndcg@10"] == metrics["systems"]["model"]["means"]["ndcg@10"]


def test_holes_of_a_run_without_any(tmp_path, capsys):
    proc = run_cli("--data", str(shipped_set_path("passages.csv")), "--model", "default", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    (run_id,) = [r.id for r in RunStore().list()]
    assert main(["holes", "--run", str(run_id), "--out", str(tmp_path / "q.jsonl")]) == 2
    assert f"run {run_id} has no unjudged documents in its systems' top 10" in capsys.readouterr().err
    assert not (tmp_path / "q.jsonl").exists()


def test_python_m_eval_aggregate_overrides_the_sets_rule(graded_set, tmp_path):
    path, _ = graded_set
    proc = run_cli("--data", str(path), "--aggregate", "max", "--model", "default", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["settings"]["aggregate"] == "max"
    labelled = load_labelled_set(path, aggregate="max")
    expected = [f"{q.qid} 0 {c.docid} {c.label}" for q in labelled.queries for c in q.candidates if c.judged]
    assert (tmp_path / "r" / "qrels.txt").read_text().splitlines() == expected
    assert "judged@10" in metrics  # some candidates nobody graded


def test_aggregate_on_qrels_without_extra_judgments_is_refused(beir_with_holes, tmp_path, capsys):
    from eval.__main__ import main as eval_main

    folder, _ = beir_with_holes
    with pytest.raises(SystemExit) as exit_info:
        eval_main(["--data", str(folder), "--aggregate", "median", "--out", str(tmp_path / "r")])
    assert exit_info.value.code == 2
    assert (
        "--aggregate median turns several raters' grades into labels: it applies to a labelled set (--data "
        "FILE.jsonl) or to --qrels-extra, not to qrels." in capsys.readouterr().err
    )
