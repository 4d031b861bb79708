"""pages/4_Runs.py (AppTest): the run history, its set filter, and two runs compared query by query."""

from __future__ import annotations

import json

import pytest
from apphelpers import HOME, ROOT, errors, exceptions, make_app, shown, table_with

from eval.engine.evaluate import evaluate_set
from eval.history.store import RunStore
from eval.measures.stats import randomization_test, wins_ties_losses
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.formatting import escape_markdown
from lychee.roles import Actor

RUNS = ROOT / "pages" / "4_Runs.py"
PASSAGES = shipped_set_path("passages.csv")


@pytest.fixture(scope="module")
def evaluations():
    """Two evaluations of the passages set that rank differently (plain, and an A/B whose B reverses the order)."""
    from tests.eval.conftest import WordOverlapScorer

    labelled = load_labelled_set(PASSAGES, name="eval/data/passages.csv")
    plain = evaluate_set(labelled, WordOverlapScorer(), instruction="plain", k=10).metrics
    ab = evaluate_set(labelled, WordOverlapScorer(), compare=True, instruction_b="reverse", k=10).metrics
    return plain, ab


@pytest.fixture
def store(evaluations) -> RunStore:
    plain, ab = evaluations
    store = RunStore()  # LYCHEE_RUNS_DB points into this test's temporary workspace
    store.record(plain, set_name="eval/data/passages.csv", set_path=PASSAGES, output_dir=None, source="cli")
    store.record(ab, set_name="eval/data/passages.csv", set_path=PASSAGES, output_dir=None, source="page")
    store.record(plain, set_name="mine.jsonl", set_path=None, output_dir=None, source="page")
    return store


def _table(at):
    """The runs table (the only one with an instruction column)."""
    return table_with(at, "instruction")


def test_an_empty_store_says_how_to_fill_it():
    at = make_app(RUNS)
    at.run()
    assert not at.exception, exceptions(at)
    assert any("No evaluation recorded yet" in i.value for i in at.info)


def test_the_table_lists_every_run_and_filters_by_set(store):
    at = make_app(RUNS)
    at.run()
    assert not at.exception, exceptions(at)
    assert _table(at)["id"].tolist() == [3, 2, 1]
    at.selectbox(key="_w_runs_set").set_value(str(PASSAGES)).run()
    assert not at.exception, exceptions(at)
    table = _table(at)
    assert table["id"].tolist() == [2, 1]
    assert table["model B"].tolist() == ["word-overlap", ""]
    assert table["instruction B"].tolist() == ["reverse", ""]


def test_two_runs_of_a_set_are_compared_with_the_randomization_test(store, evaluations):
    plain, ab = evaluations
    at = make_app(RUNS)
    at.run()
    # the newest set with two runs (mine.jsonl has one): its older run is A, the newer B
    assert at.selectbox(key="_w_runs_a").value == 1
    assert at.selectbox(key="_w_runs_b").value == 2
    at.selectbox(key="_w_runs_set").set_value(str(PASSAGES)).run()
    at.selectbox(key="_w_runs_b").set_value(1).run()
    assert any("same run and system" in i.value for i in at.info)
    at.selectbox(key="_w_runs_b").set_value(2).run()
    at.radio(key="_w_runs_system_b").set_value("model_b").run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    a = list(plain["systems"]["model"]["per_query"]["ndcg@10"].values())
    b = list(ab["systems"]["model_b"]["per_query"]["ndcg@10"].values())
    shown = {m.label: m.value for m in at.metric}
    assert shown["A: run #1"] == f"{sum(a) / len(a):.4f}"
    assert shown["B: run #2"] == f"{sum(b) / len(b):.4f}"
    assert shown["p-value"] == f"{randomization_test(a, b):.4g}"
    counts = wins_ties_losses(b, a)
    assert shown["B wins / ties / losses"] == f"{counts['wins']} / {counts['ties']} / {counts['losses']}"
    per_query = [df.value for df in at.dataframe if "b - a" in df.value.columns]
    assert len(per_query) == 1
    assert per_query[0]["a"].tolist() == a and per_query[0]["b"].tolist() == b

    # another metric of the same two runs
    at.selectbox(key="_w_runs_metric").set_value("mrr@10").run()
    mrr_a = list(plain["systems"]["model"]["per_query"]["mrr@10"].values())
    mrr_b = list(ab["systems"]["model_b"]["per_query"]["mrr@10"].values())
    assert {m.label: m.value for m in at.metric}["p-value"] == f"{randomization_test(mrr_a, mrr_b):.4g}"


def test_a_set_that_changed_is_compared_on_the_shared_queries(evaluations):
    plain, _ = evaluations
    grown = {**plain, "settings": {**plain["settings"], "data_sha256": "another-hash"}}
    systems = {k: dict(v) for k, v in plain["systems"].items()}
    per_query = {m: {**v, "web-09": 1.0} for m, v in systems["model"]["per_query"].items()}
    systems["model"] = {**systems["model"], "per_query": per_query}
    grown["systems"] = systems
    store = RunStore()
    store.record(plain, set_name="s.jsonl", set_path=None, output_dir=None, source="page")
    store.record(grown, set_name="s.jsonl", set_path=None, output_dir=None, source="page")
    at = make_app(RUNS)
    at.run()
    assert not at.exception, exceptions(at)
    assert any("The set changed between run #1 and run #2" in w.value for w in at.warning)
    assert "Left out of the comparison: 1 only in run #2 (web-09…)." in [shown(c.value) for c in at.caption]
    assert {m.label: m.value for m in at.metric}["p-value"] == "1"


def test_a_single_run_of_a_set_says_what_to_do(store):
    at = make_app(RUNS)
    at.run()
    at.selectbox(key="_w_runs_set").set_value("mine.jsonl").run()
    assert not at.exception, exceptions(at)
    assert any("is the only run of mine.jsonl (upload)" in shown(i.value) for i in at.info)


def test_a_corrupt_store_is_a_message_not_a_traceback(workspace):
    (workspace / "runs.sqlite").write_bytes(b"not a database" * 100)
    at = make_app(RUNS)
    at.run()
    assert not at.exception, exceptions(at)
    assert errors(at)[0].startswith(f"run store {workspace / 'runs.sqlite'} is not a readable SQLite database")


def test_home_links_the_runs_page():
    at = make_app(HOME)
    at.run()
    assert "Runs" in {p.label for p in at.get("page_link")}


def test_a_run_is_deleted_only_after_the_confirmation(store):
    at = make_app(RUNS)
    at.run()
    assert at.button(key="runs_delete_button").disabled  # nothing is deleted on one click
    at.selectbox(key="runs_delete_id").set_value(2).run()
    at.checkbox(key="runs_delete_confirm_2").check().run()
    assert not at.button(key="runs_delete_button").disabled
    at.button(key="runs_delete_button").click().run()
    assert not at.exception, exceptions(at)
    assert [r.id for r in store.list()] == [3, 1]
    assert _table(at)["id"].tolist() == [3, 1]
    assert any("Deleted #2 · " in shown(s.value) and "from the history" in s.value for s in at.success)
    # the confirmation belongs to one run: choosing another asks again
    at.selectbox(key="runs_delete_id").set_value(1).run()
    assert at.button(key="runs_delete_button").disabled


def test_deleting_the_last_run_leaves_the_empty_page(store):
    for run in store.list():
        if run.id != 1:
            store.delete(run.id, actor=Actor("ana@example.com", "editor"))
    at = make_app(RUNS)
    at.run()
    at.checkbox(key="runs_delete_confirm_1").check().run()
    at.button(key="runs_delete_button").click().run()
    assert not at.exception, exceptions(at)
    assert store.list() == []
    assert any("Deleted #1 · " in shown(s.value) for s in at.success)
    assert any("No evaluation recorded yet" in i.value for i in at.info)


def test_the_trend_of_a_set_marks_gated_runs(evaluations):
    plain, ab = evaluations
    store = RunStore()
    args = {"set_name": "eval/data/passages.csv", "set_path": PASSAGES, "output_dir": None, "source": "cli"}
    store.record(plain, **args)
    store.record(plain, gate={"verdict": "pass"}, **args)
    store.record(ab, gate={"verdict": "fail"}, **args)
    store.record(plain, set_name="mine.jsonl", set_path=None, output_dir=None, source="page")  # the newest run
    at = make_app(RUNS)
    at.run()
    assert not at.exception, exceptions(at)
    # every set shown: the trend of the newest run's set (one run, not gated)
    assert "Showing mine.jsonl (upload), the set of the newest run; pick a set above to see another's." in [
        c.value for c in at.caption
    ]
    at.selectbox(key="_w_runs_set").set_value(str(PASSAGES)).run()
    assert not at.exception, exceptions(at)
    captions = [c.value for c in at.caption]
    assert any(c.startswith("3 runs of this set, oldest first; 2 gated (1 failed)") for c in captions), captions
    assert _table(at)["gate"].tolist() == ["failed", "passed", ""]
    chart = next(c for c in at.get("vega_lite_chart") if "gate" in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "rule", "point", "point"]
    at.selectbox(key="_w_runs_trend_metric").set_value("mrr@10").run()
    assert not at.exception, exceptions(at)
    assert any('"mrr@10 (mean, 95% interval)"' in c.proto.spec for c in at.get("vega_lite_chart"))
def test_run_store_text_is_shown_as_typed_never_as_markdown(evaluations):
    import copy

    plain, _ = evaluations
    hostile = copy.deepcopy(plain)
    hostile["settings"]["systems"]["model"]["model"] = "m`x` [click](http://evil.example)"
    hostile["settings"]["systems"]["model"]["instruction"] = "![beacon](http://evil.example/p.png) **shout** :red[x]"
    store = RunStore()
    store.record(plain, set_name="s.jsonl", set_path=None, output_dir=None, source="page")
    store.record(hostile, set_name="s.jsonl", set_path=None, output_dir=None, source="page")
    at = make_app(RUNS)
    at.run()
    assert not at.exception, exceptions(at)
    (caption,) = [c.value for c in at.caption if "shared queries" in c.value]
    assert "`` m`x` [click](http://evil.example) ``" in caption  # the model as a code span: shown literally
    instruction = "![beacon](http://evil.example/p.png) **shout** :red[x]"
    assert escape_markdown(instruction) in caption and instruction not in caption
    assert instruction in shown(caption)
