"""eval.gate.verdict: the gate's rule — a drop larger than max_drop AND paired randomization p < alpha fails — over
every shared query and within each segment, on hand-made per-query values."""

from __future__ import annotations

import re

import pytest

from eval.gate.baseline import Baseline
from eval.gate.verdict import GateSpec, judge
from eval.measures.stats import randomization_test


def baseline(per_query: dict[str, dict[str, float]], *, set_hash: str = "h1") -> Baseline:
    return Baseline(
        label="run #1",
        run_id=1,
        model="default",
        instruction="i",
        set_name="shoes.jsonl",
        set_hash=set_hash,
        k=10,
        per_query=per_query,
    )


def qids(n: int, prefix: str = "q") -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(n)]


def test_a_significant_drop_beyond_max_drop_fails_with_the_numbers():
    ids = qids(20)
    base = {q: 1.0 for q in ids}
    cand = {q: 0.5 for q in ids}
    verdict = judge(GateSpec(baseline({"ndcg@10": base})), {"ndcg@10": cand}, candidate_hash="h1")
    (row,) = verdict.rows
    assert (row.scope, row.metric, row.n) == ("all", "ndcg@10", 20)
    assert (row.baseline, row.candidate, row.delta) == (1.0, 0.5, -0.5)
    assert row.p_value == randomization_test([1.0] * 20, [0.5] * 20)
    assert row.p_value < 0.001  # all 20 queries lost 0.5: only 2 of 2**20 sign patterns are as extreme
    assert (row.wins, row.ties, row.losses) == (0, 0, 20)
    assert row.failed and not verdict.passed and verdict.verdict == "fail"
    assert verdict.failed_rows == [row]


def test_a_drop_within_max_drop_passes_even_when_significant():
    ids = qids(20)
    spec = GateSpec(baseline({"ndcg@10": {q: 1.0 for q in ids}}), max_drop=0.5)
    verdict = judge(spec, {"ndcg@10": {q: 0.5 for q in ids}}, candidate_hash="h1")
    assert verdict.rows[0].delta == -0.5 and verdict.rows[0].p_value < 0.05  # exactly max_drop: not more than it
    assert verdict.passed


def test_a_large_drop_that_is_noise_passes():
    # Two queries of four get much worse, one much better: the mean drops by 0.25, but the sign flips say noise.
    base = {"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.5}
    cand = {"a": 0.0, "b": 0.5, "c": 0.5, "d": 0.5}
    verdict = judge(GateSpec(baseline({"ndcg@10": base})), {"ndcg@10": cand}, candidate_hash="h1")
    row = verdict.rows[0]
    assert row.delta == pytest.approx(-0.25) and row.p_value >= 0.05
    assert (row.wins, row.ties, row.losses) == (1, 1, 2)
    assert verdict.passed


def test_identical_runs_pass_with_p_one():
    values = {q: v for q, v in zip(qids(5), [0.1, 0.9, 0.4, 0.7, 0.3])}
    verdict = judge(GateSpec(baseline({"ndcg@10": values})), {"ndcg@10": dict(values)}, candidate_hash="h1")
    row = verdict.rows[0]
    assert (row.delta, row.p_value, row.ties) == (0.0, 1.0, 5)
    assert verdict.passed and verdict.notes == []


def test_a_regression_confined_to_one_segment_warns_and_fails_only_when_segments_are_gated():
    # 30 queries of one segment unchanged, 10 of another each 0.2 worse: the mean drops 0.05 (within max_drop
    # 0.06), but that segment drops 0.2 with p ~ 2/1024.
    a_ids, b_ids = qids(30, "a"), qids(10, "b")
    base = {q: 0.8 for q in a_ids + b_ids}
    cand = {**{q: 0.8 for q in a_ids}, **{q: 0.6 for q in b_ids}}
    segments = {"风格导向": a_ids, "视觉特征": b_ids}
    spec = GateSpec(baseline({"ndcg@10": base}), max_drop=0.06)
    verdict = judge(spec, {"ndcg@10": cand}, candidate_hash="h1", segments=segments)
    rows = {row.scope: row for row in verdict.rows}
    assert list(rows) == ["all", "风格导向", "视觉特征"]
    assert rows["all"].delta == pytest.approx(-0.05) and not rows["all"].failed
    assert rows["风格导向"].delta == 0.0 and not rows["风格导向"].failed
    visual = rows["视觉特征"]
    assert visual.delta == pytest.approx(-0.2) and visual.n == 10 and visual.failed
    # The rule: the mean over all shared queries decides; the segment's drop is a warning.
    assert verdict.verdict == "pass" and verdict.failed_rows == [] and verdict.warned_rows == [visual]
    gated = judge(
        GateSpec(baseline({"ndcg@10": base}), max_drop=0.06, segments=True),
        {"ndcg@10": cand},
        candidate_hash="h1",
        segments=segments,
    )
    assert gated.verdict == "fail" and [r.scope for r in gated.failed_rows] == ["视觉特征"]


def test_several_metrics_each_get_their_rows():
    ids = qids(12)
    base = {"ndcg@10": {q: 1.0 for q in ids}, "mrr@10": {q: 1.0 for q in ids}}
    cand = {"ndcg@10": {q: 1.0 for q in ids}, "mrr@10": {q: 0.5 for q in ids}}
    verdict = judge(GateSpec(baseline(base), metrics=("ndcg@10", "mrr@10")), cand, candidate_hash="h1")
    assert [(r.metric, r.failed) for r in verdict.rows] == [("ndcg@10", False), ("mrr@10", True)]


def test_a_changed_set_is_compared_on_the_shared_queries_with_a_note():
    base = {"q1": 0.5, "q2": 0.5, "old": 1.0}
    cand = {"q1": 0.5, "q2": 0.5, "new1": 0.0, "new2": 0.0}
    verdict = judge(GateSpec(baseline({"ndcg@10": base})), {"ndcg@10": cand}, candidate_hash="h2")
    assert verdict.shared == 2 and verdict.rows[0].n == 2 and verdict.rows[0].delta == 0.0
    assert (verdict.only_candidate, verdict.only_baseline, verdict.same_set) == (("new1", "new2"), ("old",), False)
    assert verdict.notes == [
        "The set changed since the baseline (its content hash differs): compared on the 2 queries both runs "
        "evaluated; 2 only in this run, 1 only in the baseline, and a shared query's labels may differ."
    ]
    recorded = verdict.as_dict()
    assert recorded["verdict"] == "pass" and recorded["only_baseline"] == ["old"]
    assert recorded["rows"][0]["scope"] == "all" and recorded["baseline"]["label"] == "run #1"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_drop": -0.1}, "--max-drop must be a number >= 0 (a drop of the mean), got -0.1."),
        ({"max_drop": float("nan")}, "--max-drop must be a number >= 0"),
        ({"alpha": 0.0}, "--alpha must be a significance level in (0, 1], e.g. 0.05; got 0.0."),
        ({"alpha": 1.5}, "--alpha must be a significance level in (0, 1]"),
        ({"metrics": ()}, "the gate needs at least one metric, e.g. --gate-metric ndcg@10."),
    ],
)
def test_bad_thresholds_are_refused(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        GateSpec(baseline({"ndcg@10": {"q": 1.0}}), **options)


def test_the_check_before_scoring_names_what_is_missing():
    spec = GateSpec(baseline({"ndcg@10": {"q1": 1.0}}), metrics=("ndcg@10",))
    spec.check(["q1", "q2"], ["ndcg@10", "mrr@10"])  # fine: q1 is shared
    missing = "--gate-metric 'ndcg@10' is not a metric of this run; expected one of ['ndcg@5']"
    with pytest.raises(ValueError, match=re.escape(missing)):
        spec.check(["q1"], ["ndcg@5"])
    with pytest.raises(ValueError, match=re.escape("this run's 1 queries and the baseline run #1's 1 share none")):
        spec.check(["zz"], ["ndcg@10"])
    mrr = GateSpec(baseline({"ndcg@10": {"q1": 1.0}}), metrics=("mrr@10",))
    not_in_baseline = "--gate-metric 'mrr@10' is not in the baseline run #1 (k=10); it has ['ndcg@10']"
    with pytest.raises(ValueError, match=re.escape(not_in_baseline)):
        mrr.check(["q1"], ["ndcg@10", "mrr@10"])
