"""``python -m eval`` end to end on a BEIR folder with a first-stage run and segments (the default model, in a
subprocess), the numbers against trec_eval, and the options that do not go together."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clihelpers import run_cli

from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from tests.eval.helpers import trec_eval, write_beir

pytest.importorskip("pytrec_eval", reason="trec_eval parity needs pytrec-eval-terrier (requirements-test.txt)")
pytest.importorskip("ir_measures")
from ir_measures import Judged, R, nDCG  # noqa: E402

TOP_K = 8


@pytest.fixture(scope="module")
def beir_run(tmp_path_factory) -> dict[str, Path]:
    """ecommerce.jsonl as a BEIR folder; a first stage that ranks two unjudged products first, then the candidates
    in file order (so the last ones fall below its top 8); segments by product family."""
    tmp = tmp_path_factory.mktemp("beir_cli")
    labelled = load_labelled_set(shipped_set_path("ecommerce.jsonl"))
    folder = write_beir(tmp / "ecommerce", labelled)
    every = sorted({c.docid for q in labelled.queries for c in q.candidates})
    lines = []
    for q in labelled.queries:
        own = [c.docid for c in q.candidates]
        ranking = [d for d in every if d not in own][:2] + own
        lines += [f"{q.qid} Q0 {d} {rank} {100 - rank} bm25" for rank, d in enumerate(ranking, start=1)]
    run = tmp / "first_stage.trec"
    run.write_text("\n".join(lines) + "\n")
    segments = tmp / "segments.tsv"
    segments.write_text("qid\tsegment\n" + "".join(f"{q.qid}\t{q.qid.split('-')[0]}\n" for q in labelled.queries))
    out = tmp / "out"
    proc = run_cli(
        "--data", str(folder), "--run", str(run), "--top-k", str(TOP_K), "--segments", str(segments),
        "--model", "default", "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return {"folder": folder, "run": run, "out": out, "stdout": proc.stdout, "stderr": proc.stderr}


def test_beir_folder_with_run_and_segments_end_to_end(beir_run):
    metrics = json.loads((beir_run["out"] / "metrics.json").read_text())
    assert metrics["n_queries"] == 22 and metrics["n_pairs"] == 22 * TOP_K
    assert metrics["settings"]["first_stage"] == f"{beir_run['run']}, top {TOP_K} per query in trec_eval's order"
    assert metrics["systems"]["input_order"]["description"]["baseline"].startswith("the first stage: ")
    segments = ["shoes", "audio", "kitchen", "tech", "home", "outdoor", "kids", "pets", "beauty"]
    assert list(metrics["segments"]) == segments
    for system in metrics["systems"].values():
        assert list(system["segments"]) == segments
        assert sum(entry["n"] for entry in system["segments"].values()) == 22
    # Two unjudged products in every top 8: judged@10 of the first stage is 6/8.
    assert metrics["systems"]["input_order"]["means"]["judged@10"] == 0.75

    out = beir_run["out"]
    # The model, BM25 and input-order runs against the written qrels, and the first stage on its own file (cut at
    # its top 8, i.e. trec_eval -M 8) against the BEIR qrels: the same numbers as trec_eval's.
    folder = beir_run["folder"]
    original = out.parent / "original_qrels.txt"
    rows = (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]
    original.write_text("".join(f"{q} 0 {d} {lab}\n" for q, d, lab in (r.split("\t") for r in rows)))
    cut = out.parent / "first_stage_top.trec"
    by_query: dict[str, list[str]] = {}
    for line in beir_run["run"].read_text().splitlines():
        by_query.setdefault(line.split()[0], []).append(line)
    cut.write_text("".join(line + "\n" for lines in by_query.values() for line in lines[:TOP_K]))
    checks = [
        ("model", out / "qrels.txt", out / "run.trec"),
        ("bm25", out / "qrels.txt", out / "run_bm25.trec"),
        ("input_order", out / "qrels.txt", out / "run_input_order.trec"),
        ("input_order", original, cut),
    ]
    for system, qrels_path, run_path in checks:
        ref = trec_eval(qrels_path, run_path, [nDCG @ 10, R @ 10, Judged @ 10])
        ours = metrics["systems"][system]["per_query"]
        for qid in ours["ndcg@10"]:
            assert ours["ndcg@10"][qid] == pytest.approx(ref[nDCG @ 10][qid], abs=1e-12), (system, run_path, qid)
            assert ours["recall@10"][qid] == pytest.approx(ref[R @ 10][qid], abs=1e-12), (system, run_path, qid)
            assert ours["judged@10"][qid] == pytest.approx(ref[Judged @ 10][qid], abs=1e-12), (system, run_path, qid)


def test_cli_prints_the_segment_table(beir_run):
    stdout = beir_run["stdout"]
    assert "ndcg@10 per segment (input order = the first stage;" in stdout
    table = stdout[stdout.index("ndcg@10 per segment") :].splitlines()
    assert table[1].split() == [
        "segment",
        "n",
        "input",
        "order",
        "BM25",
        "model",
        "lift",
        "vs",
        "input",
        "order",
        "lift",
        "vs",
        "BM25",
    ]
    metrics = json.loads((beir_run["out"] / "metrics.json").read_text())
    shoes = next(line for line in table if line.startswith("shoes"))
    cells = shoes.split()
    seg = {key: s["segments"]["shoes"]["ndcg@10"] for key, s in metrics["systems"].items()}
    assert cells[:5] == ["shoes", "3", f"{seg['input_order']:.4f}", f"{seg['bm25']:.4f}", f"{seg['model']:.4f}"]
    assert cells[5] == f"{(seg['model'] - seg['input_order']) / seg['input_order'] * 100:+.1f}%"
    assert any(line.startswith("all ") for line in table)
    assert "judged@10" in stdout.splitlines()[1]  # the systems table has the judged column
    assert "recorded as run" in stdout


def test_trec_files_without_a_beir_folder(tmp_path):
    labelled = load_labelled_set(shipped_set_path("passages.csv"))
    (tmp_path / "qrels.txt").write_text(
        "".join(f"{q.qid} 0 {c.docid} {c.label}\n" for q in labelled.queries for c in q.candidates)
    )
    (tmp_path / "docs.tsv").write_text(
        "".join(f"{c.docid}\t{c.text}\n" for q in labelled.queries for c in q.candidates[:1])
    )
    (tmp_path / "queries.tsv").write_text("".join(f"{q.qid}\t{q.text}\n" for q in labelled.queries))
    proc = run_cli(
        "--qrels", str(tmp_path / "qrels.txt"), "--documents", str(tmp_path / "docs.tsv"),
        "--queries", str(tmp_path / "queries.tsv"), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    # Only each query's first passage is in the documents file: the rest of the judged ones are unknown.
    assert proc.returncode == 2
    missing = labelled.queries[0].candidates[1].docid
    assert (
        f"{tmp_path / 'qrels.txt'}, line 2: document {missing!r} (query 'web-01') is not in the documents file"
        in proc.stderr
    )
    assert not (tmp_path / "out" / "metrics.json").exists()
    # With every passage there, and a first-stage run, it evaluates and is recorded in the run history.
    passages = {c.docid: c.text for q in labelled.queries for c in q.candidates}  # passages recur across queries
    (tmp_path / "docs.tsv").write_text("".join(f"{d}\t{t}\n" for d, t in passages.items()))
    run = "".join(
        f"{q.qid} Q0 {c.docid} {rank} {10 - rank} first\n"
        for q in labelled.queries
        for rank, c in enumerate(q.candidates, 1)
    )
    (tmp_path / "first.trec").write_text(run)
    proc = run_cli(
        "--qrels", str(tmp_path / "qrels.txt"), "--documents", str(tmp_path / "docs.tsv"),
        "--queries", str(tmp_path / "queries.tsv"), "--run", str(tmp_path / "first.trec"), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "recorded as run" in proc.stdout
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["n_pairs"] == labelled.n_pairs and "judged@10" not in metrics


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x"], "give either --data (a labelled set or a BEIR folder) or --qrels"),
        (["--data", "eval/data/passages.csv", "--qrels", "q", "--out", "x"], "give either --data"),
        (["--qrels", "q.txt", "--out", "x"], "--qrels needs --documents and --queries"),
        (["--data", "eval/data/passages.csv", "--top-k", "5", "--out", "x"], "--top-k 5 needs --run"),
        (["--data", "eval/data/passages.csv", "--run", "r.trec", "--out", "x"], "--run needs judgments"),
        (["--data", "eval/data/passages.csv", "--split", "dev", "--out", "x"], "--split dev goes with a BEIR folder"),
        (
            ["--data", "eval/data/passages.csv", "--documents", "d.tsv", "--out", "x"],
            "--documents and --queries go with --qrels",
        ),
        (
            ["--data", "eval/data", "--out", "x"],
            "eval/data: not a BEIR folder, missing corpus.jsonl; queries.jsonl; qrels/test.tsv",
        ),
        (
            ["--data", "eval/data/passages.csv", "--segments", "nope.tsv", "--out", "x"],
            "nope.tsv: file not found; expected a segments file",
        ),
    ],
)
def test_options_that_do_not_go_together_exit_2(args, message, tmp_path):
    proc = run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr, proc.stderr
