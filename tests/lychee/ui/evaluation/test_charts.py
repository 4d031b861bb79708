"""The Evaluation page's charts (lychee.ui.evaluation.charts), without Streamlit."""

from __future__ import annotations

from eval.engine.evaluate import evaluate_set
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.results import Prediction
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


def _text_marks(spec):
    """Every text mark of a Vega-Lite spec (with its path: 'vconcat.0' ...)."""
    out = []

    def walk(node, path):
        if isinstance(node, dict):
            mark = node.get("mark")
            if mark == "text" or (isinstance(mark, dict) and mark.get("type") == "text"):
                out.append((path, mark))
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}.{i}")

    walk(spec, "")
    return out


def test_calibration_labels_sit_above_the_plot_horizontally_one_row_each():
    result = evaluate_set(load_labelled_set(shipped_set_path("passages.csv")), WordOverlapScorer())
    spec = views.calibration_chart(result, medium=0.55, strong=0.75).to_dict()
    marks = _text_marks(spec)
    assert marks, "no rule labels"
    for path, mark in marks:
        assert path.startswith(".vconcat.0"), path  # the label strip, not the plot with the data line
        assert not (isinstance(mark, dict) and mark.get("angle")), mark
    rules = views.calibration_rules(result, medium=0.55, strong=0.75)
    assert list(rules["level"]) == list(range(len(rules)))
    assert list(rules["threshold"]) == sorted(rules["threshold"])


class ConstantScorer(WordOverlapScorer):
    """Scores every pair 0.5: the best F1 can only call every pair relevant."""

    def _predict_pairs(self, pairs, instruction, *, progress=None):
        return [Prediction(score=0.5, log_odds=0.0) for _ in pairs]


def test_a_best_f1_that_calls_everything_relevant_is_named_trivial():
    labelled = load_labelled_set(shipped_set_path("passages.csv"))
    trivial = evaluate_set(labelled, ConstantScorer())
    assert trivial.report.calibration["model"].best_f1_is_trivial
    rules = views.calibration_rules(trivial, medium=0.55, strong=0.75)
    assert list(rules[rules["rule"].str.startswith("best F1")]["rule"]) == [
        "best F1 model (A) 0.50: trivial, calls every pair relevant"
    ]
    assert "best F1 (trivial: calls every pair relevant)" in set(views.threshold_table(trivial)["rule"])

    real = evaluate_set(labelled, WordOverlapScorer())  # an operating point: 22 of 48 pairs called relevant
    assert not real.report.calibration["model"].best_f1_is_trivial
    rules = views.calibration_rules(real, medium=0.55, strong=0.75)
    assert list(rules[rules["rule"].str.startswith("best F1")]["rule"]) == ["best F1 model (A) 0.26"]


def test_best_f1_is_trivial_only_when_every_pair_is_called_relevant():
    from eval.engine.report import CalibrationReport

    everything = CalibrationReport.of([0.9, 0.8, 0.3, 0.2], [1, 0, 1, 1], medium=0.55, strong=0.75, bins=10)
    assert everything.best_f1.n_predicted == 4 and everything.best_f1_is_trivial
    operating_point = CalibrationReport.of([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0], medium=0.55, strong=0.75, bins=10)
    assert operating_point.best_f1.threshold > 0.3 and not operating_point.best_f1_is_trivial


def _first_stage_set(tmp_path):
    """Two queries whose first-stage run retrieves documents nobody judged (so judged@10 is reported)."""
    from eval.sets.firststage import load_collection

    (tmp_path / "qrels.txt").write_text("q1 0 d1 2\nq1 0 d2 0\nq2 0 d3 1\nq2 0 d4 0\n")
    (tmp_path / "docs.tsv").write_text("d1\tred running shoe\nd2\tblue teapot\nd3\tgreen tea\nd4\ttea cup\nd5\tred hat\n")
    (tmp_path / "queries.tsv").write_text("q1\tred shoes\nq2\tgreen tea\n")
    (tmp_path / "run.trec").write_text(
        "q1 Q0 d5 1 3.0 r\nq1 Q0 d1 2 2.0 r\nq1 Q0 d2 3 1.0 r\nq2 Q0 d4 1 2.0 r\nq2 Q0 d3 2 1.0 r\n"
    )
    return load_collection(
        qrels=tmp_path / "qrels.txt",
        documents=tmp_path / "docs.tsv",
        queries=tmp_path / "queries.tsv",
        run=tmp_path / "run.trec",
    )


def test_cards_give_no_direction_to_a_zero_delta_or_to_judged_coverage(tmp_path):
    result = evaluate_set(_first_stage_set(tmp_path), WordOverlapScorer())
    cards = {c.metric: c for c in views.metric_cards(result)}
    judged = cards["judged@10"]
    assert (judged.delta_color, judged.delta_arrow) == ("off", "off")
    recall = cards["recall@10"]  # every candidate is in the top 10 of both: no difference
    assert recall.delta == "±0.0000 vs BM25"
    assert (recall.delta_color, recall.delta_arrow) == ("off", "off")
    for card in cards.values():
        diff = float(card.delta.split()[0].replace("±", ""))
        if card.metric != "judged@10" and diff != 0:
            assert (card.delta_color, card.delta_arrow) == ("normal", "auto"), card
    assert "Mean over 2 queries;" in recall.help


def test_one_query_gives_no_interval_and_says_so():
    data = b'{"qid": "q1", "query": "red shoes", "candidates": [{"docid": "a", "text": "red shoe", "label": 1}, {"docid": "b", "text": "teapot", "label": 0}]}\n'
    result = evaluate_set(load_labelled_set(data, name="one.jsonl"), WordOverlapScorer())
    cards = views.metric_cards(result)
    assert {c.interval for c in cards} == {views.ONE_QUERY_INTERVAL}
    assert "Mean over 1 query;" in cards[0].help
    table = views.systems_table(result)
    assert set(table["ndcg@10 95% CI"]) == {"—"}
    columns = list(table.columns)
    names = result.report.metric_names
    assert columns[: 1 + len(names)] == ["system", *names]  # every mean before any interval
