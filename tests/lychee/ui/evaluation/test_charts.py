"""The Evaluation page's charts (lychee.ui.evaluation.charts), without Streamlit."""

from __future__ import annotations

from eval.engine.evaluate import evaluate_set
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.ui.evaluation import charts as views
from tests.helpers import WordOverlapScorer


def test_per_query_chart_keeps_the_worst_queries_when_there_are_many():
    result = evaluate_set(load_labelled_set(shipped_set_path("passages.csv")), WordOverlapScorer())
    full = views.per_query_chart(result).to_dict()
    assert len({row["qid"] for row in full["datasets"][next(iter(full["datasets"]))]}) == 8
    capped = views.per_query_chart(result, max_queries=3).to_dict()
    rows = capped["datasets"][next(iter(capped["datasets"]))]
    a = result.metrics["systems"]["model"]["per_query"]["ndcg@10"]
    worst = sorted(a, key=lambda q: (a[q], q))[:3]
    assert {row["qid"] for row in rows} == set(worst)
    assert len(rows) == 3 * 3  # model, input order, BM25
