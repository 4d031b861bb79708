"""eval.parity: the pairs a check scores (query by query, --pairs said when it cuts), and the figures and verdict of
two models' predictions — differences, log-odds, Spearman, top-10 agreement, the degenerate-score alarm."""

from __future__ import annotations

import math
import re

import pytest

from eval.parity.check import compare_predictions, degenerate_reasons
from eval.parity.pairs import ParityQuery, choose_pairs
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.items import Item
from lychee.results import Prediction


def query(qid: str, n: int) -> ParityQuery:
    return ParityQuery(
        qid=qid,
        query=Item(text=f"query {qid}"),
        docids=tuple(f"{qid}-d{i}" for i in range(n)),
        documents=tuple(Item(text=f"document {i}") for i in range(n)),
    )


def logit(p: float) -> float:
    return math.log(p / (1 - p)) if 0 < p < 1 else math.copysign(math.inf, p - 0.5)


def preds(scores: list[float]) -> list[Prediction]:
    return [Prediction(score=s, log_odds=logit(s)) for s in scores]


def test_identical_predictions_are_ok():
    queries = [query("a", 3), query("b", 2)]
    scores = [0.9, 0.2, 0.6, 0.7, 0.1]
    report = compare_predictions(queries, preds(scores), preds(scores))
    assert (report.max_abs_diff, report.mean_abs_diff, report.max_abs_log_odds_diff) == (0.0, 0.0, 0.0)
    assert report.spearman == pytest.approx(1.0) and report.top10 == 1.0
    assert report.verdict == "ok" and not report.degenerate
    assert [(q.qid, q.n, q.spearman) for q in report.queries] == [("a", 3, pytest.approx(1.0)), ("b", 2, 1.0)]


def test_differences_spelled_out_and_a_mismatch_beyond_the_tolerance():
    queries = [query("a", 2), query("b", 2)]
    reference = preds([0.9, 0.2, 0.6, 0.4])
    served = preds([0.8, 0.2, 0.6, 0.43])
    report = compare_predictions(queries, reference, served, tolerance=0.05)
    assert report.max_abs_diff == pytest.approx(0.1)
    assert report.mean_abs_diff == pytest.approx((0.1 + 0 + 0 + 0.03) / 4)
    lo_diff = abs(math.log(0.8 / 0.2) - math.log(0.9 / 0.1))
    assert report.max_abs_log_odds_diff == pytest.approx(lo_diff)
    assert report.verdict == "mismatch"
    assert [(p.qid, p.docid) for p in report.worst(2)] == [("a", "a-d0"), ("b", "b-d1")]
    assert compare_predictions(queries, reference, served, tolerance=0.1).verdict == "ok"  # not more than it


def test_top10_agreement_with_more_than_ten_candidates():
    q = query("a", 12)
    reference = [0.99 - 0.05 * i for i in range(12)]  # document 0 best ... 11 worst
    served = list(reference)
    served[0], served[11] = reference[11], reference[0]  # the best and the worst swap places
    report = compare_predictions([q], preds(reference), preds(served))
    assert report.queries[0].top10 == pytest.approx(9 / 10)  # the served top 10 lost the reference's best
    assert report.spearman < 1.0


def test_infinite_log_odds_are_counted_not_averaged():
    queries = [query("a", 2)]
    report = compare_predictions(queries, preds([1.0, 0.5]), preds([0.99, 0.5]))
    assert report.infinite_log_odds == 1 and report.max_abs_log_odds_diff == 0.0
    assert report.summary()["infinite_log_odds"] == 1


@pytest.mark.parametrize(
    ("scores", "std_low", "near_half"),
    [
        ([0.5] * 20, True, True),
        ([0.5 + 0.005 * (-1) ** i for i in range(20)], True, True),
        ([0.2, 0.8] * 10, False, False),
        ([0.5] * 19 + [0.9], False, True),  # 95% near 0.5, std 0.087: the near-0.5 rule alone
        ([0.7] * 20, True, False),  # constant, not near 0.5: the std rule alone
    ],
)
def test_the_degenerate_rules(scores, std_low, near_half):
    reasons, std, share = degenerate_reasons(scores)
    assert any("standard deviation" in r for r in reasons) is std_low
    assert any("within 0.5 ± 0.01" in r for r in reasons) is near_half


def test_degenerate_wins_over_mismatch_and_names_why():
    queries = [query("a", 5), query("b", 5)]
    reference = preds([0.9, 0.1, 0.8, 0.3, 0.6, 0.95, 0.05, 0.7, 0.2, 0.4])
    report = compare_predictions(queries, reference, preds([0.5] * 10))
    assert report.verdict == "degenerate" and report.degenerate and report.spearman is None
    assert report.degenerate_reasons == (
        "the standard deviation of the served scores is 0 over 10 pairs, below 0.01: they carry no ranking",
        "100.0% of the served scores are within 0.5 ± 0.01 (more than 90%): the model answers 'undecided' for "
        "nearly every pair",
    )
    line = report.summary()
    assert list(line)[:6] == ["pairs", "max_abs_diff", "mean_abs_diff", "spearman", "degenerate", "verdict"]
    assert (line["pairs"], line["degenerate"], line["verdict"], line["spearman"]) == (10, True, "degenerate", None)


def test_predictions_must_match_the_pairs():
    mismatched = "one reference and one served prediction per pair: 2 pairs, 2 and 1"
    with pytest.raises(ValueError, match=re.escape(mismatched)):
        compare_predictions([query("a", 2)], preds([0.1, 0.2]), preds([0.1]))
    with pytest.raises(ValueError, match=re.escape("tolerance must be a number >= 0 (a P(yes) difference), got -1")):
        compare_predictions([query("a", 1)], preds([0.1]), preds([0.1]), tolerance=-1)


def test_pairs_are_whole_queries_until_the_limit_and_the_cut_is_said():
    labelled = load_labelled_set(shipped_set_path("ecommerce.jsonl"))
    every = choose_pairs(labelled)
    assert every.n_pairs == labelled.n_pairs == 220 and every.note is None
    some = choose_pairs(labelled, 25)
    assert [len(q.documents) for q in some.queries] == [10, 10, 5] and some.last_cut
    assert some.note == (
        "--pairs: scoring 25 of the set's 220 pairs, from 3 of its 22 queries (the last one only in part)."
    )
    whole = choose_pairs(labelled, 20)
    assert whole.note == "--pairs: scoring 20 of the set's 220 pairs, from 2 of its 22 queries."
    assert whole.queries[0].query is not None and whole.queries[0].docids[0] == labelled.queries[0].candidates[0].docid
    with pytest.raises(ValueError, match=re.escape("pairs must be a positive integer, got 0.")):
        choose_pairs(labelled, 0)
