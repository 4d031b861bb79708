"""The Runs page's trend without Streamlit (lychee.ui.runs.trend): the frame, the chart's layers and the caption."""

from __future__ import annotations

import pandas as pd

from eval.history.trend import Trend, TrendPoint
from lychee.ui.runs import trend as view_trend


def point(run_id: int, mean: float, gate: str | None, *, model: str = "default") -> TrendPoint:
    return TrendPoint(
        run_id=run_id,
        created=f"2026-05-0{run_id}T12:00:00+00:00",
        model=model,
        instruction="plain",
        mean=mean,
        ci95=(mean - 0.05, mean + 0.04),
        gate=gate,
        n_queries=22,
        set_hash="h",
        source="cli",
    )


TREND = Trend(
    set="/sets/ecommerce.jsonl",
    metric="ndcg@10",
    points=(point(1, 0.90, None), point(2, 0.91, "pass", model="http://gpu-1:8000"), point(4, 0.60, "fail")),
    without_metric=(3,),
)


def test_the_frame_has_one_row_per_run_oldest_first():
    df = view_trend.trend_frame(TREND)
    assert df["run"].tolist() == [1, 2, 4]
    assert df["gate"].tolist() == ["not gated", "passed", "failed"]
    assert df["low"].tolist() == [p.ci95[0] for p in TREND.points]
    assert df["high"].tolist() == [p.ci95[1] for p in TREND.points]
    assert df["created"].iloc[0] == pd.Timestamp("2026-05-01T12:00:00+00:00")
    assert df["model"].tolist() == ["default", "http://gpu-1:8000", "default"]


def test_the_chart_has_intervals_points_and_gate_rings():
    spec = view_trend.trend_chart(TREND).to_dict()
    layers = spec["layer"]
    marks = [layer["mark"]["type"] for layer in layers]
    assert marks == ["line", "rule", "point", "point"]
    rule, points, rings = layers[1], layers[2], layers[3]
    assert (rule["encoding"]["y"]["field"], rule["encoding"]["y2"]["field"]) == ("low", "high")
    assert points["encoding"]["color"]["field"] == "model" and points["encoding"]["shape"]["field"] == "instruction"
    assert rings["transform"] == [{"filter": "(datum.gate !== 'not gated')"}]
    stroke = rings["encoding"]["stroke"]
    assert stroke["field"] == "gate"
    assert stroke["scale"] == {"domain": ["passed", "failed"], "range": ["#2e7d32", "#c62828"]}
    assert rings["mark"]["filled"] is False


def test_the_caption_counts_gated_runs_and_names_those_left_off():
    assert view_trend.trend_caption(TREND) == (
        "3 runs of this set, oldest first; 2 gated (1 failed): a green ring passed its gate, a red ring failed it. "
        "Vertical rules are 95% bootstrap intervals. Runs without ndcg@10 (another k) are left off: #3."
    )
