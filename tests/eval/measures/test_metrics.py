"""Metric formulas with the expected values spelled out (house style from ranx's tests)."""

from __future__ import annotations

import math
import re

import pytest

from eval.measures.metrics import (
    default_metrics,
    evaluate,
    hit_at_k,
    mean,
    mrr_at_k,
    ndcg_at_k,
    parse_metric,
    recall_at_k,
    trec_order,
)

QREL = {"a": 3, "b": 2, "c": 0, "d": 1}


def test_ndcg_linear_gain_spelled_out():
    run = {"a": 0.9, "c": 0.8, "b": 0.7, "d": 0.1}  # ranks: a(3) c(0) b(2) d(1)
    dcg = 3 / math.log2(2) + 0 + 2 / math.log2(4) + 1 / math.log2(5)
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(QREL, run, 10) == pytest.approx(dcg / idcg, abs=1e-15)


def test_ndcg_cut_at_k_uses_ideal_cut_at_k():
    run = {"b": 0.9, "a": 0.8, "d": 0.7, "c": 0.1}  # b(2) a(3)
    expected = (2 / math.log2(2) + 3 / math.log2(3)) / (3 / math.log2(2) + 2 / math.log2(3))
    assert ndcg_at_k(QREL, run, 2) == pytest.approx(expected, abs=1e-15)


def test_ndcg_exponential_gain_spelled_out():
    run = {"b": 0.9, "a": 0.8, "d": 0.7, "c": 0.1}
    dcg = (2**2 - 1) / math.log2(2) + (2**3 - 1) / math.log2(3) + (2**1 - 1) / math.log2(4)
    idcg = (2**3 - 1) / math.log2(2) + (2**2 - 1) / math.log2(3) + (2**1 - 1) / math.log2(4)
    assert ndcg_at_k(QREL, run, 10, gain="exp") == pytest.approx(dcg / idcg, abs=1e-15)


def test_ideal_dcg_counts_relevant_documents_missing_from_the_run():
    # trec_eval builds the ideal ranking from the qrels, not from the retrieved documents (sklearn's ndcg_score does not).
    run = {"d": 1.0, "c": 0.5}
    expected = (1 / math.log2(2)) / (3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4))
    assert ndcg_at_k(QREL, run, 10) == pytest.approx(expected, abs=1e-15)


def test_all_irrelevant_query_scores_zero_everywhere():
    qrel = {"x": 0, "y": 0}
    run = {"x": 0.9, "y": 0.1}
    assert ndcg_at_k(qrel, run, 10) == 0.0
    assert ndcg_at_k(qrel, run, 10, gain="exp") == 0.0
    assert mrr_at_k(qrel, run, 10) == 0.0
    assert hit_at_k(qrel, run, 1) == 0.0
    assert recall_at_k(qrel, run, 10) == 0.0


def test_perfect_ranking_scores_one():
    run = {"a": 4.0, "b": 3.0, "d": 2.0, "c": 1.0}
    assert ndcg_at_k(QREL, run, 10) == 1.0
    assert ndcg_at_k(QREL, run, 3, gain="exp") == 1.0


def test_ties_broken_by_docid_descending_like_trec_eval():
    assert trec_order({"a": 1.0, "b": 1.0, "c": 1.0, "z": 0.5}) == ["c", "b", "a", "z"]
    # Lexicographic, not numeric: "d9" > "d10" > "d1".
    assert trec_order({"d1": 0.0, "d10": 0.0, "d9": 0.0}) == ["d9", "d10", "d1"]
    # All tied: the order is d, c, b, a, i.e. labels 1, 0, 2, 3.
    tied = {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.5}
    dcg = 1 / math.log2(2) + 0 + 2 / math.log2(4) + 3 / math.log2(5)
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(QREL, tied, 10) == pytest.approx(dcg / idcg, abs=1e-15)


def test_mrr_hit_recall_spelled_out():
    run = {"c": 0.9, "b": 0.8, "a": 0.7, "d": 0.6}  # c(0) b(2) a(3) d(1)
    assert mrr_at_k(QREL, run, 10) == 1 / 2
    assert mrr_at_k(QREL, run, 1) == 0.0  # first relevant is at rank 2, beyond the cutoff
    assert hit_at_k(QREL, run, 1) == 0.0
    assert hit_at_k(QREL, run, 2) == 1.0
    assert recall_at_k(QREL, run, 2) == 1 / 3  # b of {a, b, d}
    assert recall_at_k(QREL, run, 3) == 2 / 3
    assert recall_at_k(QREL, run, 10) == 1.0


def test_label_one_is_relevant_for_binary_metrics():
    assert mrr_at_k({"x": 1, "y": 0}, {"y": 0.9, "x": 0.1}, 10) == 1 / 2
    assert hit_at_k({"x": 1}, {"x": 0.1}, 1) == 1.0


def test_documents_missing_from_qrels_are_non_relevant():
    assert mrr_at_k({"a": 1}, {"unjudged": 0.9, "a": 0.5}, 10) == 1 / 2


def test_evaluate_returns_per_query_values_and_mean_counts_empty_queries():
    qrels = {"q1": {"a": 1, "b": 0}, "q2": {"c": 0}}
    run = {"q1": {"a": 0.2, "b": 0.9}, "q2": {"c": 1.0}}
    out = evaluate(qrels, run, ["mrr@10", "ndcg@10"])
    assert out["mrr@10"] == {"q1": 0.5, "q2": 0.0}
    assert out["ndcg@10"]["q1"] == pytest.approx((1 / math.log2(3)) / 1.0, abs=1e-15)
    assert mean(list(out["mrr@10"].values())) == 0.25


def test_evaluate_refuses_a_run_missing_a_query():
    msg = "run has no scores for 1 query of the qrels (e.g. ['q2']); expected a ranking for every judged query."
    with pytest.raises(ValueError, match=re.escape(msg)):
        evaluate({"q1": {"a": 1}, "q2": {"b": 1}}, {"q1": {"a": 1.0}}, ["ndcg@10"])


def test_non_finite_scores_are_refused():
    with pytest.raises(ValueError, match=re.escape("run score of document 'a' must be a finite number, got nan.")):
        ndcg_at_k({"a": 1}, {"a": float("nan")}, 10)


@pytest.mark.parametrize("name", ["ndcg", "ndcg@0", "map@10", "NDCG@10", "ndcg@-1", 10])
def test_unknown_metric_names_are_refused(name):
    with pytest.raises(ValueError, match="expected '<name>@<k>'"):
        parse_metric(name)


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_bad_k_is_refused(k):
    with pytest.raises(ValueError, match=re.escape(f"k must be a positive integer, got {k!r}.")):
        ndcg_at_k({"a": 1}, {"a": 1.0}, k)


def test_default_metrics_names():
    assert default_metrics(5) == ["ndcg@5", "ndcg_exp@5", "mrr@10", "hit@1", "recall@5"]
    assert parse_metric("ndcg_exp@20") == ("ndcg_exp", 20)


def test_scores_equal_in_float32_are_ties_like_trec_eval():
    # trec_eval stores scores as C float: 0.5 + 2**-30 is 0.5 there, so the docid decides ("z" above "a").
    assert trec_order({"a": 0.5 + 2**-30, "z": 0.5}) == ["z", "a"]
    # A float32-visible difference still decides.
    assert trec_order({"a": 0.5 + 2**-20, "z": 0.5}) == ["a", "z"]
