"""The Runs page without Streamlit (lychee.ui.runs.logic): names, filtering, the default baseline, captions."""

from __future__ import annotations

from eval.history.compare import RunComparison
from eval.history.store import RunRecord
from lychee.ui.runs import logic


def _run(run_id: int, set_path: str | None = "/sets/shoes.jsonl", **fields) -> RunRecord:
    base = dict(
        id=run_id,
        created="2026-05-01T12:00:00+00:00",
        set_name="shoes.jsonl",
        set_path=set_path,
        set_hash="abc",
        model="default",
        instruction="Given a web search query, retrieve relevant passages that answer the query",
        model_b=None,
        instruction_b=None,
        k=10,
        n_queries=3,
        output_dir=None,
        source="page",
        main=0.8297,
    )
    return RunRecord(**{**base, **fields})


def test_sets_and_runs_are_named_for_people():
    assert logic.set_label(logic.ALL_SETS) == "All sets"
    assert logic.set_label("/sets/shoes.jsonl") == "shoes.jsonl — /sets"
    assert logic.set_label("x.jsonl") == "x.jsonl (upload)"
    assert logic.run_label(_run(3)) == "#3 · 2026-05-01 12:00 · default · ndcg@10 0.8297"
    assert logic.run_label(_run(4, model_b="m2", main=None)) == "#4 · 2026-05-01 12:00 · default (A/B)"


def test_runs_of_a_set_and_the_default_baseline():
    newest, other_set, older = _run(3), _run(2, set_path="/sets/hats.jsonl"), _run(1)
    runs = [newest, other_set, older]
    assert logic.runs_of_set(runs, logic.ALL_SETS) is runs
    assert logic.runs_of_set(runs, "/sets/shoes.jsonl") == [newest, older]
    assert logic.default_baseline(runs) is older  # the run before the newest of the newest set with two runs
    assert logic.default_baseline([other_set]) is other_set
    assert logic.runs_table(runs)["id"].tolist() == [3, 2, 1]


def _comparison(**fields) -> RunComparison:
    base = dict(
        run_a=_run(1),
        run_b=_run(2, model_b="m2", instruction_b="x" * 100),
        system_a="model",
        system_b="model_b",
        metric="ndcg@10",
        qids=["q1", "q2"],
        values_a=[0.5, 0.6],
        values_b=[0.7, 0.6],
        only_a=[],
        only_b=[],
        p_value=0.5,
        counts={"wins": 1, "ties": 1, "losses": 0},
    )
    return RunComparison(**{**base, **fields})


def test_the_comparison_caption_names_each_side():
    assert logic.comparison_caption(_comparison()) == (
        "2 shared queries · A: `default` “Given a web search query\\, retrieve relevant passages that answer the query” "
        "(model) · B: `m2` “" + "x" * 79 + "…” (model_b)"
    )


def test_queries_only_one_run_evaluated_are_named():
    assert logic.left_out_caption(_comparison()) is None
    caption = logic.left_out_caption(_comparison(only_a=[f"a{i}" for i in range(7)], only_b=["b1"]))
    assert caption == "Left out of the comparison: 7 only in run #1 (a0\\, a1\\, a2\\, a3\\, a4…); 1 only in run #2 (b1…)."
