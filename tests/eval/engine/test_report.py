"""The typed report: metrics.json is its as_dict(), and segments (subsets of queries) recompute means and intervals."""

from __future__ import annotations

import re

import pytest

from eval.engine.evaluate import evaluate_set
from eval.engine.report import compare
from eval.measures import stats
from eval.measures.metrics import mean
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set


@pytest.fixture
def result(overlap_scorer):
    passages = load_labelled_set(shipped_set_path("passages.csv"), name="eval/data/passages.csv")
    return evaluate_set(passages, overlap_scorer, compare=True, instruction_b="reverse the ranking")


def test_metrics_json_is_the_report_as_dict(result):
    report, m = result.report, result.metrics
    assert m == report.as_dict()
    a = report.primary
    assert m["ndcg@10"] == a.means["ndcg@10"]
    assert m["ci95"]["ndcg@10"] == list(a.ci95["ndcg@10"])
    assert m["systems"]["bm25"]["per_query"] == report.systems["bm25"].per_query
    c = report.comparison.metrics["ndcg@10"]
    assert m["comparison"]["metrics"]["ndcg@10"] == {
        "mean_a": c.mean_a, "mean_b": c.mean_b, "delta": c.delta, "p_value": c.p_value,
        "wins": c.wins, "ties": c.ties, "losses": c.losses,
    }  # fmt: skip
    cal = report.calibration["model"]
    assert m["calibration"]["model"]["best_f1"]["threshold"] == cal.best_f1.threshold
    assert [b["n"] for b in m["calibration"]["model"]["bins"]] == [b.n for b in cal.bins]
    assert report.bands == {"medium": 0.55, "strong": 0.75}


def test_restricting_to_every_query_changes_nothing(result):
    a = result.report.primary
    assert a.restricted(list(a.qids)) == a


def test_a_segment_recomputes_means_intervals_and_the_comparison(result):
    a, b = result.report.systems["model"], result.report.systems["model_b"]
    segment = ["web-01", "web-03", "web-05"]
    sa, sb = a.restricted(segment), b.restricted(segment)
    assert sa.qids == tuple(segment)
    values = [a.per_query["ndcg@10"][q] for q in segment]
    assert sa.means["ndcg@10"] == mean(values)
    assert sa.ci95["ndcg@10"] == stats.bootstrap_ci(values)
    assert set(sa.per_query["mrr@10"]) == set(segment)
    c = compare(sa, sb).metrics["ndcg@10"]
    assert c.delta == sb.means["ndcg@10"] - sa.means["ndcg@10"]
    assert c.wins + c.ties + c.losses == 3


def test_bad_segments_are_refused(result):
    a, b = result.report.systems["model"], result.report.systems["model_b"]
    with pytest.raises(ValueError, match=re.escape("qids ['nope'] are not in the report of 'model'")):
        a.restricted(["web-01", "nope"])
    with pytest.raises(
        ValueError, match=re.escape("cannot compare 'model' and 'model_b': they cover different queries")
    ):
        compare(a.restricted(["web-01"]), b)
