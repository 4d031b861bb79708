"""The analyst loop in one session (AppTest): A/B a batch, grade it into a set, evaluate the set, compare the runs.

Also the Evaluation page's side of it: saved sets are listed beside the shipped ones, every run is recorded, and a
broken run store is a warning that leaves the evaluation on the page.
"""

from __future__ import annotations

from apphelpers import BATCH, ROOT, errors, exceptions, make_app, shown

from eval.history.labelling import make_record, save_query, set_path
from eval.history.store import RunStore
from lychee.roles import Actor
from lychee.ui.batch import ab, label_view

EVALUATION = ROOT / "pages" / "3_Evaluation.py"
RUNS = ROOT / "pages" / "4_Runs.py"


def _grade_all(at, grade_of) -> None:
    shown = at.data_editor(key=label_view.EDITOR_KEY).value
    rows = {i: {"grade": grade_of(t)} for i, t in enumerate(shown["title"])}
    at.session_state[label_view.EDITOR_KEY] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


def _label_batch(at, query: str, titles: list[str], grade_of, *, new_set: str | None) -> None:
    at.text_area(key="_w_batch_query_text").set_value(query)
    at.text_area(key="_w_batch_titles").set_value("\n".join(titles))
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    if "batch_label_rater_input" in [t.key for t in at.text_input]:  # the rater's name, asked once per session
        at.text_input(key="batch_label_rater_input").set_value("ann")
        at.button(key="batch_label_rater_ok").click().run()
    _grade_all(at, grade_of)
    if new_set is not None:
        if at.radio(key="_w_batch_label_target").value != "new":
            at.radio(key="_w_batch_label_target").set_value("new").run()
        at.text_input(key="_w_batch_label_new_set").set_value(new_set).run()
    else:
        at.radio(key="_w_batch_label_target").set_value("existing").run()
    at.button(key="batch_label_save").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    assert at.success, "the save said nothing"


def _evaluate_saved(at) -> None:
    at.switch_page(str(EVALUATION)).run()
    assert [t.value for t in at.title] == [":material/analytics: Evaluation"]
    at.radio(key="_w_eval_source").set_value("saved").run()
    assert not at.exception, exceptions(at)
    at.button(key="eval_run").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)


def test_ab_label_evaluate_and_compare_runs_in_one_session(workspace, via_home):
    boots = ["Women's waterproof hiking boots", "Coffee mug", "Leather hiking boots", "Kids rain boots"]
    at = via_home(BATCH)
    # 1. A/B two instructions on the batch
    at.toggle(key="_w_batch_ab").set_value(True).run()
    _label_batch(at, "waterproof hiking boots", boots, lambda t: 3 if "hiking" in t else 0, new_set="hiking")
    assert ab.AB_RESULT_KEY in at.session_state
    assert any(m.label == "Kendall's tau" for m in at.metric)
    set_file = workspace / "sets" / "hiking.jsonl"

    # 2-3. evaluate the saved set: it is listed, scored, and recorded
    _evaluate_saved(at)
    assert at.selectbox(key="_w_eval_saved_set").value == str(set_file)
    assert "Recorded as run #1 in the run history: compare it with earlier runs on the **Runs** page." in [
        c.value for c in at.caption
    ]
    first = RunStore().get(1)
    assert (first.source, first.set_path, first.n_queries) == ("page", str(set_file), 1)

    # label one more query into the same set, evaluate again
    at.switch_page(str(BATCH)).run()
    mugs = ["Ceramic coffee mug", "Hiking boots", "Travel mug with lid"]
    _label_batch(at, "coffee mug", mugs, lambda t: 2 if "mug" in t else 0, new_set=None)
    _evaluate_saved(at)
    second = RunStore().get(2)
    assert second.n_queries == 2 and second.set_hash != first.set_hash

    # 4. compare the two runs on the Runs page
    at.switch_page(str(RUNS)).run()
    assert not at.exception, exceptions(at)
    assert (at.selectbox(key="_w_runs_a").value, at.selectbox(key="_w_runs_b").value) == (1, 2)
    assert any("The set changed between run #1 and run #2" in w.value for w in at.warning)
    assert "Left out of the comparison: 1 only in run #2 (coffee-mug…)." in [shown(c.value) for c in at.caption]
    cards = {m.label: m.value for m in at.metric}
    assert cards["A: run #1"] == f"{first.per_query['model']['ndcg@10']['waterproof-hiking-boots']:.4f}"
    # One shared query: no p-value (a test over one query would say 1 and mean nothing), and the page says why; the
    # same scores on it give a delta with no direction.
    assert cards["p-value"] == "—"
    assert any("The two runs share one query" in i.value for i in at.info)
    assert {m.label: m.delta for m in at.metric}["B: run #2"] == "±0.0000"


def test_the_evaluation_page_says_when_no_set_is_saved_yet():
    at = make_app(EVALUATION)
    at.run()
    at.radio(key="_w_eval_source").set_value("saved").run()
    assert not at.exception, exceptions(at)
    assert any("No saved sets yet in" in i.value for i in at.info)
    at.button(key="eval_run").click().run()
    assert errors(at) == [
        "No saved set to evaluate: save graded titles on the Batch rerank page, or pick another source."
    ]


def test_a_broken_run_store_is_a_warning_and_the_evaluation_is_shown(workspace):
    record = make_record(
        qid="q1", text="red shoes", titles=["red running shoes", "blue mug"], grades=[2, 0], rater="ann"
    )
    save_query(record, set_file=set_path("shoes"), actor=Actor("ana@example.com", "editor"))
    (workspace / "runs.sqlite").write_bytes(b"not a database" * 100)
    at = make_app(EVALUATION)
    at.run()
    at.radio(key="_w_eval_source").set_value("saved").run()
    at.button(key="eval_run").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    warnings = [shown(w.value) for w in at.warning]
    assert any(
        w.startswith("The run was not recorded in the run history: run store ") and "not a readable SQLite" in w
        for w in warnings
    ), warnings
    assert at.session_state["eval_result"].report.n_queries == 1
    assert {m.label for m in at.metric} >= {"ndcg@10", "mrr@10"}


def test_shipped_set_runs_are_recorded_with_the_shipped_file():
    at = make_app(EVALUATION)
    at.run()
    at.button(key="eval_run").click().run()
    assert not at.exception, exceptions(at)
    (run,) = RunStore().list()
    assert run.set_path == str(ROOT / "eval" / "data" / "passages.csv")
    assert run.set_name == "eval/data/passages.csv"
    assert run.model == "default"
