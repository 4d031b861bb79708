"""eval.gate.baseline: what ``--gate BASELINE`` names — a run id, ``last-pass``, an output folder, a metrics.json —
read into the baseline's per-query values, and every unusable BASELINE refused with what was expected."""

from __future__ import annotations

import json
import re

import pytest

from eval.engine.evaluate import evaluate_set
from eval.gate.baseline import load_baseline
from eval.history.store import RunStore
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set

SET = shipped_set_path("passages.csv")


@pytest.fixture(scope="module")
def metrics():
    from tests.helpers import WordOverlapScorer

    labelled = load_labelled_set(SET, name="eval/data/passages.csv")
    return evaluate_set(labelled, WordOverlapScorer(), instruction="plain", k=10).metrics


@pytest.fixture
def store(tmp_path) -> RunStore:
    return RunStore(tmp_path / "runs.sqlite")


def _record(store, metrics, **kw):
    args = {"set_name": "eval/data/passages.csv", "set_path": SET, "output_dir": None, "source": "cli"}
    return store.record(metrics, **{**args, **kw})


def _same_values(baseline, metrics):
    assert baseline.per_query == metrics["systems"]["model"]["per_query"]
    assert (baseline.model, baseline.instruction, baseline.k) == ("word-overlap", "plain", 10)
    assert baseline.set_hash == metrics["settings"]["data_sha256"]


def test_a_run_id(store, metrics):
    run_id = _record(store, metrics)
    baseline = load_baseline(str(run_id), store=store, set_key=str(SET))
    _same_values(baseline, metrics)
    assert (baseline.label, baseline.run_id) == (f"run #{run_id}", run_id)


def test_an_output_folder_or_its_metrics_json(tmp_path, store, metrics):
    out = tmp_path / "out"
    out.mkdir()
    (out / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    for spec in (str(out), str(out / "metrics.json")):
        baseline = load_baseline(spec, store=store, set_key=str(SET))
        _same_values(baseline, metrics)
        assert baseline.label == str(out / "metrics.json") and baseline.run_id is None


def test_last_pass_is_the_newest_run_of_the_set_that_passed(store, metrics):
    with pytest.raises(ValueError, match=re.escape("--gate last-pass: no gated run of")) as info:
        load_baseline("last-pass", store=store, set_key=str(SET))
    assert "Gate against a run id, an output folder or a metrics.json once" in str(info.value)
    _record(store, metrics, gate={"verdict": "pass"})
    passed = _record(store, metrics, gate={"verdict": "pass"})
    _record(store, metrics, gate={"verdict": "fail"})  # newer, but failed
    _record(store, metrics)  # newer, but not gated
    _record(store, metrics, set_name="other.jsonl", set_path=None, gate={"verdict": "pass"})  # another set
    assert load_baseline("last-pass", store=store, set_key=str(SET)).run_id == passed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "--gate is empty; expected a run id, last-pass, an output folder or a metrics.json file."),
        ("99", "--gate 99: no run with id 99 in the run store"),
        ("nightly", "--gate 'nightly' is neither a run id of the run store (a positive integer from"),
        ("0", "--gate '0' is neither a run id"),
    ],
)
def test_unusable_names_say_what_was_expected(store, metrics, spec, message):
    _record(store, metrics)
    with pytest.raises(ValueError, match=re.escape(message)):
        load_baseline(spec, store=store, set_key=str(SET))


def test_files_that_are_not_metrics_json_are_refused(tmp_path, store):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=re.escape(f"baseline folder {empty} has no metrics.json; expected the --out")):
        load_baseline(str(empty), store=store, set_key="x")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"baseline {broken} is not JSON (Expecting property name")):
        load_baseline(str(broken), store=store, set_key="x")
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"baseline {listed} holds a JSON list; expected metrics.json's")):
        load_baseline(str(listed), store=store, set_key="x")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"ndcg@10": 0.5}), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape(f"baseline {other} is not the metrics.json of an evaluation")):
        load_baseline(str(other), store=store, set_key="x")
