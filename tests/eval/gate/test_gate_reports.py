"""eval.gate.reports: the Markdown summary and the JUnit XML of a run, gated or not. The XML is validated against the
Jenkins xunit plugin's JUnit schema (``junit-10.xsd`` beside this file) with lxml, as CI tools read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from eval.engine.evaluate import evaluate_set
from eval.gate.baseline import from_metrics
from eval.gate.reports import junit_report, markdown_report, write_reports
from eval.gate.verdict import GateSpec, judge
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from eval.sets.segments import assign_segments, segment_groups

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("junit-10.xsd"))))


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """The English sample set, its queries in two segments by the qid's category (shoes|kitchen vs the rest)."""
    base = load_labelled_set(shipped_set_path("ecommerce.jsonl"), name="eval/data/ecommerce.jsonl")
    segments = tmp_path_factory.mktemp("seg") / "segments.tsv"
    lines = [f"{q}\t{'shoes | kitchen' if q.startswith(('shoes', 'kitchen')) else 'rest'}" for q in base.qids]
    segments.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return assign_segments(base, segments)


@pytest.fixture(scope="module")
def runs(labelled):
    """The word-overlap scorer as it is (the baseline) and with its order reversed (a regression)."""
    from tests.helpers import WordOverlapScorer

    good = evaluate_set(labelled, WordOverlapScorer(), instruction="plain", k=10).metrics
    bad = evaluate_set(labelled, WordOverlapScorer(), instruction="reverse it", k=10).metrics
    return good, bad


def _verdict(labelled, baseline_metrics, candidate_metrics, *, segments_gated=True):
    spec = GateSpec(
        from_metrics(baseline_metrics, "runs/base/metrics.json"), metrics=("ndcg@10", "mrr@10"), segments=segments_gated
    )
    per_query = candidate_metrics["systems"]["model"]["per_query"]
    return judge(spec, per_query, candidate_hash=labelled.content_hash, segments=segment_groups(labelled))


def _valid(xml: bytes) -> etree._Element:
    doc = etree.fromstring(xml)
    assert SCHEMA.validate(doc), SCHEMA.error_log
    return doc


def test_a_failed_gate_is_junit_with_failures_carrying_the_numbers(labelled, runs):
    good, bad = runs
    verdict = _verdict(labelled, good, bad)
    assert not verdict.passed
    doc = _valid(junit_report(bad, verdict))
    (gate,) = doc.findall("testsuite[@name='gate']")
    cases = gate.findall("testcase")
    # one case per gated metric and scope: all, then each segment in the set's order (shoes come first)
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("gate.all", "ndcg@10"),
        ("gate.segment.shoes | kitchen", "ndcg@10"),
        ("gate.segment.rest", "ndcg@10"),
        ("gate.all", "mrr@10"),
        ("gate.segment.shoes | kitchen", "mrr@10"),
        ("gate.segment.rest", "mrr@10"),
    ]
    failed = [(c, row) for c, row in zip(cases, verdict.rows) if row.failed]
    assert failed and int(gate.get("failures")) == len(failed) == int(doc.get("failures"))
    for case, row in failed:
        failure = case.find("failure")
        message = failure.get("message")
        assert f"baseline {row.baseline:.4f}, candidate {row.candidate:.4f}, delta {row.delta:+.4f}" in message
        assert f"p = {row.p_value:.4g}" in message and "fails when a mean drops by more than 0.005" in message
        assert "baseline: runs/base/metrics.json" in failure.text
    for case, row in zip(cases, verdict.rows):
        assert (case.find("failure") is None) == (not row.failed)
    props = {p.get("name"): p.get("value") for p in gate.find("properties")}
    assert (props["verdict"], props["baseline"], props["max_drop"]) == ("fail", "runs/base/metrics.json", "0.005")


def test_without_gate_segments_a_segments_drop_is_a_warning_not_a_junit_failure(labelled, runs):
    good, bad = runs
    verdict = _verdict(labelled, good, bad, segments_gated=False)
    doc = _valid(junit_report(bad, verdict))
    (gate,) = doc.findall("testsuite[@name='gate']")
    cases = gate.findall("testcase")
    warned = [(c, row) for c, row in zip(cases, verdict.rows) if row.failed and row.scope != "all"]
    assert warned and verdict.warned_rows == [row for _, row in warned]
    for case, row in warned:
        assert case.find("failure") is None
        assert "a warning, not a failure (--gate-segments gates segments)" in case.find("system-out").text
    overall_failures = sum(r.failed for r in verdict.rows if r.scope == "all")
    assert int(gate.get("failures")) == len(verdict.failed_rows) == overall_failures


def test_an_ungated_run_is_junit_with_a_passing_case_per_metric_and_segment(labelled, runs):
    good, _ = runs
    doc = _valid(junit_report(good))
    assert [s.get("name") for s in doc.findall("testsuite")] == ["metrics"]
    cases = doc.findall("testsuite/testcase")
    names = list(good["systems"]["model"]["means"])
    assert len(cases) == len(names) * 3 and doc.get("failures") == "0"
    first = cases[0]
    low, high = good["ci95"]["ndcg@10"]
    assert first.find("system-out").text == (
        f"ndcg@10 = {good['ndcg@10']:.4f} [95% CI {low:.4f}, {high:.4f}] over {good['n_queries']} queries"
    )
    classes = {c.get("classname") for c in cases}
    assert classes == {"metrics.all", "metrics.segment.rest", "metrics.segment.shoes | kitchen"}


def test_the_schema_check_can_fail():
    # a testcase without its required name, and a testsuite without its counts
    broken = b"<testsuites><testsuite name='x'><testcase/></testsuite></testsuites>"
    assert not SCHEMA.validate(etree.fromstring(broken))


def test_the_markdown_summary_leads_with_the_verdict_and_its_table(labelled, runs):
    good, bad = runs
    verdict = _verdict(labelled, good, bad)
    text = markdown_report(bad, verdict)
    lines = text.splitlines()
    assert lines[0].startswith("## ❌ Gate FAILED against runs/base/metrics.json: ")
    assert "| scope | metric | n | baseline | candidate | delta | p | wins / ties / losses | verdict |" in lines
    worst = verdict.rows[0]
    assert (
        f"| all | ndcg@10 | 22 | {worst.baseline:.4f} | {worst.candidate:.4f} | {worst.delta:+.4f} | "
        f"{worst.p_value:.4g} | {worst.wins} / {worst.ties} / {worst.losses} | FAIL |"
    ) in lines
    assert "| shoes \\| kitchen | ndcg@10 |" in text  # a pipe in a segment name does not break the table
    assert "### This run" in lines and "Per segment (model):" in lines
    passed = markdown_report(good, _verdict(labelled, good, good))
    assert passed.startswith("## ✅ Gate passed against runs/base/metrics.json: no significant drop beyond 0.005.")
    ungated = markdown_report(good)
    assert ungated.startswith("## Evaluation of `word-overlap` on `eval/data/ecommerce.jsonl`")
    assert "Gate" not in ungated


def test_write_reports_writes_what_was_asked(tmp_path, labelled, runs):
    good, _ = runs
    written = write_reports(good, None, markdown=tmp_path / "ci" / "summary.md", junit=None)
    assert written == [tmp_path / "ci" / "summary.md"]
    assert (tmp_path / "ci" / "summary.md").read_text(encoding="utf-8") == markdown_report(good)
    assert not (tmp_path / "ci" / "junit.xml").exists()


def test_the_headline_names_the_whole_sets_drop_before_a_segments():
    from eval.gate.baseline import Baseline
    from eval.gate.reports import headline

    a, b = [f"a{i:02d}" for i in range(20)], [f"b{i:02d}" for i in range(10)]
    base = {q: 0.8 for q in a + b}
    cand = {**{q: 0.7 for q in a}, **{q: 0.4 for q in b}}  # the set drops 0.2 on average, segment B 0.4
    baseline = Baseline("run #7", 7, "m", "i", "s.jsonl", "h", 10, {"ndcg@10": base})
    segments = {"A": a, "B": b}
    gated = judge(GateSpec(baseline, segments=True), {"ndcg@10": cand}, candidate_hash="h", segments=segments)
    assert [r.failed for r in gated.rows] == [True, True, True]
    assert headline(gated) == (
        "Gate FAILED against run #7: ndcg@10 dropped by 0.2000 (0.8000 -> 0.6000, p = 9.999e-05) on all shared "
        "queries, and 2 more rows failed."
    )
    overall = judge(GateSpec(baseline), {"ndcg@10": cand}, candidate_hash="h", segments=segments)
    assert headline(overall) == (
        "Gate FAILED against run #7: ndcg@10 dropped by 0.2000 (0.8000 -> 0.6000, p = 9.999e-05) on all shared "
        "queries."
    )


def test_a_passed_gate_with_a_segments_drop_says_so():
    from eval.gate.baseline import Baseline
    from eval.gate.reports import headline

    a, b = [f"a{i:02d}" for i in range(30)], [f"b{i:02d}" for i in range(10)]
    base = {q: 0.8 for q in a + b}
    cand = {**{q: 0.8 for q in a}, **{q: 0.6 for q in b}}  # the set drops 0.05, segment B 0.2
    baseline = Baseline("run #7", 7, "m", "i", "s.jsonl", "h", 10, {"ndcg@10": base})
    verdict = judge(GateSpec(baseline, max_drop=0.06), {"ndcg@10": cand}, candidate_hash="h", segments={"A": a, "B": b})
    assert verdict.passed and headline(verdict) == (
        "Gate passed against run #7: no significant drop beyond 0.06 over all shared queries; warning: a significant "
        "drop within segment B."
    )
