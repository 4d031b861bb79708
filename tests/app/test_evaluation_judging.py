"""The Evaluation page's judging sections (AppTest): Judge the holes — run, queue, grade on the Judge page, run again
with the queue as extra judgments: judged@10 up — and "Could this model pre-grade?"."""

from __future__ import annotations

from apphelpers import JUDGE, exceptions, make_app
from test_evaluation_page import _app, _beir_zip, _run

from eval.judgments.pregrade import check
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.ui.evaluation.judging import model_scores
from lychee.ui.uploads import keep_upload


def _first_stage_run() -> bytes:
    """passages.csv's first stage: a passage the qrels never judged for the query first, then the candidates."""
    labelled = load_labelled_set(shipped_set_path("passages.csv"))
    every = sorted({c.docid for q in labelled.queries for c in q.candidates})
    run = ""
    for q in labelled.queries:
        unjudged = next(d for d in every if d not in {c.docid for c in q.candidates})
        ranking = [unjudged, *(c.docid for c in q.candidates)]
        run += "".join(f"{q.qid} Q0 {docid} {rank} {10 - rank} bm25\n" for rank, docid in enumerate(ranking, 1))
    return run.encode()


def test_judge_the_holes_round_trip_raises_judged_at_10(tmp_path, workspace):
    at = _run(
        _app(
            eval_source="beir",
            eval_top_k=5,
            eval_beir_zip_data=keep_upload("passages.zip", _beir_zip(tmp_path)),
            eval_run_file_data=keep_upload("bm25.trec", _first_stage_run()),
        )
    )
    before = at.session_state["eval_result"]
    holes = before.report.holes
    assert len(holes) == 8 and all(len(d) == 1 for d in holes.values())
    frame = [df.value for df in at.dataframe if "unjudged" in df.value.columns][0]
    assert frame["qid"].tolist() == list(holes) and frame["unjudged"].tolist() == [1] * 8

    at.button(key="eval_judge_holes").click().run()
    assert not at.exception, exceptions(at)
    queue = workspace / "sets" / "passages-holes.jsonl"
    assert any(s.value.startswith(f"Queued 8 documents in `{queue}` (8 queries).") for s in at.success)
    assert at.session_state["judge_set"] == str(queue)

    judge = make_app(JUDGE, judge_set=str(queue))  # the Judge page opens on the queue
    judge.run()
    judge.text_input(key="judge_rater_input").set_value("ann")
    judge.button(key="judge_rater_ok").click().run()
    graded = []
    for qid in list(holes)[:3]:  # ann grades the holes of three queries
        judge.selectbox(key="_w_judge_query").set_value(qid).run()
        select = [s for s in judge.selectbox if s.label.startswith("Grade of title")][0]
        select.set_value(1).run()
        judge.button(key="judge_save").click().run()
        assert not judge.exception, exceptions(judge)
        graded.append(qid)
    assert load_labelled_set(queue).qrels == {q: ({holes[q][0]: 1} if q in graded else {}) for q in holes}

    at.run()  # back on Evaluation: the queue is selected as extra judgments
    assert at.selectbox(key="_w_eval_extra").value == str(queue)
    at.button(key="eval_run").click().run()
    assert not at.exception, exceptions(at)
    after = at.session_state["eval_result"]
    for system in ("model", "input_order", "bm25"):
        assert after.report.systems[system].means["judged@10"] > before.report.systems[system].means["judged@10"]
    for qid in graded:
        assert after.report.systems["input_order"].per_query["judged@10"][qid] == 1.0
    assert set(after.report.holes) == set(holes) - set(graded)


def test_could_this_model_pre_grade(default_scorer):
    at = _run(_app(eval_set="ecommerce.jsonl"))
    result = at.session_state["eval_result"]
    expected = check(result.labelled.queries, model_scores(result), medium=0.55, strong=0.75)
    assert "**Could this model pre-grade?** — the model as a judge, against the people's grades" in [
        m.value for m in at.markdown
    ]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["κ bands"] == f"{expected.kappa_bands:.3f}"
    assert metrics["κ fitted"] == f"{expected.kappa_fitted:.3f}"
    assert metrics["α people"] == "n/a"  # one rater: α needs two
    assert metrics["α + model"] == f"{expected.alpha_with_model:.3f}"
    bands = [df.value for df in at.dataframe if list(df.value.columns) == ["weak", "medium", "strong"]][0]
    assert bands.values.tolist() == expected.confusion_bands
    assert int(bands.values.sum()) == result.labelled.n_pairs
