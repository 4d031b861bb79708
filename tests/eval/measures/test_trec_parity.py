"""Per-query values equal trec_eval's (pytrec_eval through ir_measures) on the run.trec / qrels.txt we write.

The runs are built to stress the conventions: many tied scores (trec_eval orders them by docid descending), docids
that sort differently as strings and as numbers, queries with no positive label, relevant documents at every depth,
and scores that differ only in the last bits of the double (so the run file must keep full precision).
"""

from __future__ import annotations

import random

import pytest

pytest.importorskip("pytrec_eval", reason="trec_eval parity needs pytrec-eval-terrier (requirements-test.txt)")
pytest.importorskip("ir_measures")
from ir_measures import RR, R, Success, nDCG

from eval.engine.outputs import run_trec_text
from eval.measures.metrics import evaluate
from tests.eval.helpers import trec_eval, write_qrels_and_run


def _make(seed: int) -> tuple[dict, dict]:
    rng = random.Random(seed)
    qrels, run = {}, {}
    for q in range(40):
        qid = f"q{q}"
        n = rng.randint(1, 25)
        docs = [f"d{rng.randint(0, 200)}" for _ in range(n)]
        docs = list(dict.fromkeys(docs))
        if q % 7 == 0:
            labels = [0] * len(docs)  # a query without any positive label
        else:
            labels = [rng.choice([0, 0, 0, 1, 2, 3]) for _ in docs]
        qrels[qid] = dict(zip(docs, labels))
        scores = {}
        for d in docs:
            kind = rng.random()
            if kind < 0.4:
                scores[d] = rng.choice([0.0, 0.5, 1.0])  # heavy ties
            elif kind < 0.5:
                scores[d] = 0.5 + rng.choice([1, -1]) * 2.0**-52  # differs from 0.5 only in the last bit
            else:
                scores[d] = rng.random()
        run[qid] = scores
    return qrels, run


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3, 5, 10, 20])
def test_ndcg_recall_hit_equal_trec_eval(tmp_path, seed, k):
    qrels, run = _make(seed)
    qrels_path, run_path = write_qrels_and_run(tmp_path, qrels, run)
    exp_gains = {lab: 2**lab - 1 for lab in range(4)}
    ref = trec_eval(qrels_path, run_path, [nDCG @ k, nDCG(cutoff=k, gains=exp_gains), R @ k, Success @ 1, RR])
    ours = evaluate(qrels, run, [f"ndcg@{k}", f"ndcg_exp@{k}", f"recall@{k}", "hit@1", "mrr@10"])
    for qid in qrels:
        # Exact equality: same sums in the same order as trec_eval's C loop.
        assert ours[f"ndcg@{k}"][qid] == ref[nDCG @ k][qid], qid
        assert ours[f"ndcg_exp@{k}"][qid] == pytest.approx(ref[nDCG(cutoff=k, gains=exp_gains)][qid], abs=1e-12), qid
        assert ours[f"recall@{k}"][qid] == pytest.approx(ref[R @ k][qid], abs=1e-15), qid
        assert ours["hit@1"][qid] == ref[Success @ 1][qid], qid
        # trec_eval's recip_rank has no cutoff: RR@10 is RR where the first relevant is in the top 10, else 0.
        rr = ref[RR][qid]
        assert ours["mrr@10"][qid] == (rr if rr >= 1 / 10 else 0.0), qid


def test_all_tied_query_follows_trec_eval_docid_order(tmp_path):
    qrels = {"q": {"d1": 3, "d2": 0, "d10": 0, "d9": 1}}
    run = {"q": {"d1": 0.5, "d2": 0.5, "d10": 0.5, "d9": 0.5}}
    qrels_path, run_path = write_qrels_and_run(tmp_path, qrels, run)
    ref = trec_eval(qrels_path, run_path, [nDCG @ 2, nDCG @ 4])
    ours = evaluate(qrels, run, ["ndcg@2", "ndcg@4"])
    assert ours["ndcg@2"]["q"] == ref[nDCG @ 2]["q"]
    assert ours["ndcg@4"]["q"] == ref[nDCG @ 4]["q"]
    # d9 (1) d2 (0) d10 (0) d1 (3): trec_eval puts the best document last.
    assert ours["ndcg@2"]["q"] == pytest.approx(1.0 / (3 + 1 / __import__("math").log2(3)), abs=1e-15)


def test_run_file_keeps_order_of_scores_one_ulp_apart(tmp_path):
    a, b = 0.1, 0.1 + 2.0**-56  # distinct doubles whose 17-digit renderings differ only at the end
    assert a != b
    run = {"q": {"x": a, "y": b}}
    text = run_trec_text(run, "t")
    parsed = [line.split() for line in text.splitlines()]
    assert [p[2] for p in parsed] == ["y", "x"]
    assert [float(p[4]) for p in parsed] == [b, a]
