"""Unjudged documents: they count as non-relevant, judged@k says how many there were — both equal to trec_eval
(pytrec_eval through ir_measures) and to ir_measures' own ``Judged@k``."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("pytrec_eval", reason="trec_eval parity needs pytrec-eval-terrier (requirements-test.txt)")
pytest.importorskip("ir_measures")
from ir_measures import Judged, P, R, nDCG

from eval.measures.metrics import evaluate, judged_at_k
from eval.sets.trec import read_qrels
from tests.eval.helpers import trec_eval, write_qrels_and_run


def test_judged_at_k_spelled_out():
    qrel = {"a": 0, "b": 2, "c": 1}
    run = {"a": 0.9, "x": 0.8, "b": 0.7, "y": 0.6, "c": 0.5}  # a(judged) x b(judged) y c(judged)
    assert judged_at_k(qrel, run, 1) == 1.0
    assert judged_at_k(qrel, run, 2) == 0.5
    assert judged_at_k(qrel, run, 4) == 2 / 4
    assert judged_at_k(qrel, run, 10) == 3 / 5  # fewer than k ranked: the denominator is what was ranked
    assert judged_at_k({}, run, 10) == 0.0
    assert evaluate({"q": qrel}, {"q": run}, ["judged@2"]) == {"judged@2": {"q": 0.5}}


def _unjudged_case(seed: int, *, ties: bool) -> tuple[dict, dict]:
    """Runs with unjudged documents, and qrels with relevant documents the run never retrieved."""
    rng = random.Random(seed)
    qrels, run = {}, {}
    for q in range(30):
        pool = [f"d{rng.randint(0, 300)}" for _ in range(40)]
        pool = list(dict.fromkeys(pool))
        retrieved = pool[: rng.randint(3, 25)]
        judged = [d for d in pool if rng.random() < 0.6]  # some retrieved, some not
        if not judged:
            judged = [pool[-1]]
        qrels[f"q{q}"] = {d: rng.choice([-1, 0, 0, 1, 2, 3]) for d in judged}
        if ties:
            run[f"q{q}"] = {d: rng.choice([0.0, 0.5, 1.0]) for d in retrieved}
        else:
            run[f"q{q}"] = {d: rng.random() for d in retrieved}
    return qrels, run


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("k", [1, 5, 10, 20])
def test_judged_equals_ir_measures_judged(tmp_path, seed, k):
    qrels, run = _unjudged_case(seed, ties=False)  # ir_measures breaks ties by docid ascending, trec_eval descending
    qrels_path, run_path = write_qrels_and_run(tmp_path, qrels, run)
    ref = trec_eval(qrels_path, run_path, [Judged @ k])
    read = read_qrels(qrels_path)
    ours = evaluate({q: read.labels(q) for q in qrels}, run, [f"judged@{k}"])
    assert any(v < 1.0 for v in ours[f"judged@{k}"].values())  # the case has unjudged documents in the top k
    for qid in qrels:
        assert ours[f"judged@{k}"][qid] == pytest.approx(ref[Judged @ k][qid], abs=1e-15), qid


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("k", [1, 5, 10])
def test_judged_equals_trec_eval_precision_over_all_judgments_with_ties(tmp_path, seed, k):
    """trec_eval has no judged measure, but P@k over qrels where every judgment is relevant counts the judged
    documents of the top k in trec_eval's own tie order; it divides by k, judged@k by min(k, ranked)."""
    qrels, run = _unjudged_case(seed, ties=True)
    all_relevant = {q: {d: 1 for d in by} for q, by in qrels.items()}
    qrels_path, run_path = write_qrels_and_run(tmp_path, all_relevant, run)
    ref = trec_eval(qrels_path, run_path, [P @ k])
    ours = evaluate(qrels, run, [f"judged@{k}"])
    for qid in qrels:
        assert ours[f"judged@{k}"][qid] == pytest.approx(ref[P @ k][qid] * k / min(k, len(run[qid])), abs=1e-12), qid


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unjudged_documents_count_as_non_relevant_like_trec_eval(tmp_path, seed):
    """Documents of the run without a judgment are non-relevant; judged relevant documents the run missed still count
    in the ideal DCG and in recall; negative labels are judged non-relevant — all as trec_eval computes them."""
    qrels, run = _unjudged_case(seed, ties=True)
    qrels_path, run_path = write_qrels_and_run(tmp_path, qrels, run)
    read = read_qrels(qrels_path)
    assert read.notes and "negative label" in read.notes[0]
    labels = {q: read.labels(q) for q in qrels}
    assert min(v for by in labels.values() for v in by.values()) == 0
    ref = trec_eval(qrels_path, run_path, [nDCG @ 10, R @ 10])
    ours = evaluate(labels, run, ["ndcg@10", "recall@10"])
    for qid in qrels:
        assert ours["ndcg@10"][qid] == ref[nDCG @ 10][qid], qid
        assert ours["recall@10"][qid] == pytest.approx(ref[R @ 10][qid], abs=1e-15), qid
