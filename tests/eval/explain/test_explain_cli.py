"""``python -m eval.explain``: which pairs, the measures (recomputed on a linear scorer whose orderings are known), the
table and the JSON line, and every bad input named."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from eval.explain.__main__ import main
from eval.explain.bounds import normalized_aopc
from eval.explain.measures import explain_all, kendall_tau_b, summarize
from eval.explain.pairs import pick_pairs
from eval.sets.loader import load_labelled_set
from tests.eval.clihelpers import ENV, ROOT, TIMEOUT_S
from tests.lychee.salience.test_faithfulness import DOC_WEIGHTS, LinearScorer

SET = [
    {
        "qid": "q1",
        "query": {"text": "red running shoes"},
        "candidates": [
            {"docid": "a", "text": "blue teapot", "label": 1},
            {"docid": "b", "text": "Nike red running shoe for road", "label": 3},
            {"docid": "c", "text": "red shoe", "label": 3},
        ],
    },
    {
        "qid": "q2",
        "query": {"text": "teapot"},
        "candidates": [
            {"docid": "d", "image": "x.png", "label": 3},
            {"docid": "e", "text": "teapot for road", "label": 2},
        ],
    },
    {"qid": "q3", "query": {"text": "running"}, "candidates": [{"docid": "f", "text": "running shoe red", "label": 0}]},
]


@pytest.fixture
def set_file(tmp_path):
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "x.png")
    path = tmp_path / "tiny.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in SET), encoding="utf-8")
    return path


def test_pairs_are_the_best_labelled_candidate_with_text_first_on_ties(set_file):
    labelled = load_labelled_set(set_file)
    pairs = pick_pairs(labelled, None)
    assert [(p.query.qid, p.candidate.docid) for p in pairs] == [("q1", "b"), ("q2", "e"), ("q3", "f")]
    assert [p.candidate.docid for p in pick_pairs(labelled, 2)] == ["b", "e"]


def test_kendall_tau_b_with_and_without_ties():
    assert kendall_tau_b([1, 2, 3, 4], [1, 2, 3, 4]) == 1.0
    assert kendall_tau_b([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # pairs: (1,2) c, (1,3) tie in y, (2,3) d  ->  (1 - 1) / sqrt(3 * 2)
    assert kendall_tau_b([1, 2, 3], [1, 3, 1]) == 0.0
    # x = [1, 1, 2], y = [1, 2, 3]: one tie in x, two concordant -> 2 / sqrt(2 * 3)
    assert kendall_tau_b([1, 1, 2], [1, 2, 3]) == pytest.approx(2 / math.sqrt(6))
    assert kendall_tau_b([1, 1], [1, 2]) is None and kendall_tau_b([1], [1]) is None


def test_measures_on_a_linear_scorer(set_file):
    scorer = LinearScorer()
    pairs = pick_pairs(load_labelled_set(set_file), None)
    results = explain_all(
        scorer, pairs, ["occlusion", "shapley"], instruction=None, seed=0, n_samples=3, steps=8, max_units=64
    )
    first = results[0]
    words = ["nike", "red", "running", "shoe", "for", "road"]
    by_weight = sorted(words, key=lambda w: -DOC_WEIGHTS[w])
    ks = (1, 1, 1, 2, 3)
    best = np.mean([sum(DOC_WEIGHTS[w] for w in by_weight[:k]) for k in ks])
    worst = np.mean([sum(DOC_WEIGHTS[w] for w in by_weight[::-1][:k]) for k in ks])
    # an additive model: the weight order is the best ordering, greedy search finds both bounds exactly
    assert (first.aopc_low, first.aopc_high) == pytest.approx((worst, best))
    for method in ("occlusion", "shapley"):
        assert first.methods[method].comprehensiveness == pytest.approx(best)
        assert first.methods[method].naopc == pytest.approx(1.0)
        assert first.methods[method].loo_tau == pytest.approx(1.0)
    assert first.random_naopc == pytest.approx(normalized_aopc(first.random_comprehensiveness, worst, best))
    summary = summarize(results, ["occlusion", "shapley"])
    occ = summary["occlusion"]
    assert occ["comprehensiveness"] == pytest.approx(
        np.mean([r.methods["occlusion"].comprehensiveness for r in results])
    )
    assert occ["comprehensiveness_ci95"][0] <= occ["comprehensiveness"] <= occ["comprehensiveness_ci95"][1]
    assert occ["evaluations_per_pair"] == pytest.approx(np.mean([1 + 6, 1 + 3, 1 + 3]))
    assert summary["random"]["comprehensiveness"] < occ["comprehensiveness"]
    assert set(summary) == {"occlusion", "shapley", "random"}


def test_the_command_prints_the_table_and_one_json_line(set_file):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "eval.explain",
            "--data",
            str(set_file),
            "--model",
            "default",
            "--pairs",
            "2",
            "--n-samples",
            "2",
            "--json",
            "--quiet",
        ],
        cwd=ROOT,
        env={**__import__("os").environ, **ENV},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    doc = json.loads(lines[-1])
    assert doc["pairs"] == 2 and doc["model"] == "all-MiniLM-L6-v2" and doc["seed"] == 0
    assert set(doc["methods"]) == {"occlusion", "shapley", "random"}
    for name in ("occlusion", "shapley"):
        m = doc["methods"][name]
        assert {"comprehensiveness", "sufficiency", "seconds_per_pair", "naopc", "loo_kendall_tau"} <= set(m)
        assert m["seconds_per_pair"] > 0 and m["evaluations_per_pair"] >= 1
    assert doc["methods"]["occlusion"]["loo_kendall_tau"] == 1.0
    assert any(line.lstrip().startswith("random") for line in lines[:-1])
    assert any("comprehensiveness" in line and "NAOPC" in line for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--methods", "occlusion,lime"], "expected a comma-separated list of occlusion, shapley, gradient, ig"),
        (["--pairs", "0"], "--pairs: expected a positive integer, got '0'"),
        (["--seed", "-2"], "--seed: expected a non-negative integer, got '-2'"),
    ],
)
def test_bad_arguments_are_named(set_file, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        main(["--data", str(set_file), *args])
    assert stop.value.code == 2 and message in capsys.readouterr().err


def test_a_method_the_model_does_not_offer_and_a_missing_set_are_named(set_file, tmp_path, capsys):
    assert main(["--data", str(set_file), "--methods", "occlusion,ig"]) == 2
    err = capsys.readouterr().err
    assert "--methods: the model 'all-MiniLM-L6-v2' offers occlusion, shapley; ig is not among them" in err
    assert main(["--data", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl: file not found" in capsys.readouterr().err
