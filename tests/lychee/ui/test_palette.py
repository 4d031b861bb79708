"""One colour per system on every chart: the Evaluation page's segment, per-query and calibration charts and the Runs
page's comparison all colour a system from lychee.ui.palette."""

from __future__ import annotations

from typing import Any

import pytest

from eval.engine.evaluate import evaluate_set
from eval.history.compare import compare_runs
from eval.history.store import RunStore
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.ui import palette
from lychee.ui.evaluation import charts
from lychee.ui.runs.logic import comparison_chart
from tests.helpers import WordOverlapScorer


def color_maps(spec: Any) -> list[dict[str, str]]:
    """Every explicit colour scale of a Vega-Lite spec, as ``{domain value: colour}``."""
    found = []
    if isinstance(spec, dict):
        scale = spec.get("scale") if spec.get("field") in ("system", "better") else None
        if isinstance(scale, dict) and "domain" in scale and "range" in scale:
            found.append(dict(zip(scale["domain"], scale["range"])))
        for value in spec.values():
            found += color_maps(value)
    elif isinstance(spec, list):
        for value in spec:
            found += color_maps(value)
    return found


@pytest.fixture(scope="module")
def ab_result():
    labelled = load_labelled_set(shipped_set_path("ecommerce_zh.jsonl"))  # has segments
    return evaluate_set(labelled, WordOverlapScorer(), compare=True, instruction_b="reverse the ranking")


def test_every_evaluation_chart_colours_a_system_alike(ab_result):
    specs = {
        "segments": charts.segment_chart(ab_result).to_dict(),
        "per query": charts.per_query_chart(ab_result).to_dict(),
        "calibration": charts.calibration_chart(ab_result, medium=0.55, strong=0.75).to_dict(),
    }
    expected = {palette.SYSTEM_NAMES[k]: palette.SYSTEM_COLORS[k] for k in palette.SYSTEM_COLORS}
    for name, spec in specs.items():
        maps = color_maps(spec)
        assert maps, f"the {name} chart has no explicit system colours"
        for mapping in maps:
            assert mapping == {k: expected[k] for k in mapping}, name
    segment_map = color_maps(specs["segments"])[0]
    assert set(segment_map) == {"model (A)", "model (B)", "input order", "BM25"}
    assert len(set(segment_map.values())) == 4


def test_a_first_stage_has_its_own_name_and_colour():
    assert palette.system_name("input_order", first_stage=True) == "first stage"
    scale = palette.system_scale(["model", "input_order", "bm25"], first_stage=True).to_dict()
    assert scale == {
        "domain": ["model (A)", "first stage", "BM25"],
        "range": [palette.SYSTEM_COLORS["model"], palette.SYSTEM_COLORS["first_stage"], palette.SYSTEM_COLORS["bm25"]],
    }


def test_no_system_shares_a_hue_with_the_bands():
    from lychee.bands import BAND_COLORS

    assert not set(palette.SYSTEM_COLORS.values()) & set(BAND_COLORS.values())
    assert len(set(palette.SYSTEM_COLORS.values())) == len(palette.SYSTEM_COLORS)


def test_the_runs_comparison_colours_a_and_b_like_models_a_and_b(tmp_path):
    labelled = load_labelled_set(shipped_set_path("passages.csv"))
    store = RunStore(tmp_path / "runs.sqlite")
    ids = [
        store.record(
            evaluate_set(labelled, WordOverlapScorer(), instruction=i).metrics,
            set_name="p",
            set_path=None,
            output_dir=None,
            source="cli",
        )
        for i in ("plain", "reverse")
    ]
    comparison = compare_runs(store.get(ids[0]), store.get(ids[1]), metric="ndcg@10")
    (mapping,) = color_maps(comparison_chart(comparison).to_dict())
    assert mapping["A"] == palette.SYSTEM_COLORS["model"]
    assert mapping["B"] == palette.SYSTEM_COLORS["model_b"]
