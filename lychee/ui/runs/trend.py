"""The Runs page's trend without Streamlit: a set's metric over its runs as a table and an Altair chart.

The numbers are :func:`eval.history.trend.set_trend`'s (what ``python -m eval.runs trend`` prints): one point per run,
its 95% interval as a vertical rule, coloured by model and shaped by instruction; gated runs carry a ring, green when
the run passed its gate and red when it failed. :mod:`lychee.ui.runs.view` draws them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from eval.history.trend import Trend
from lychee.formatting import shorten

#: The most characters of an instruction the chart's legend shows.
LEGEND_CHARS = 48
GATE_LABELS = {"pass": "passed", "fail": "failed", None: "not gated"}
GATE_COLORS = {"passed": "#2e7d32", "failed": "#c62828"}


def trend_frame(trend: Trend) -> pd.DataFrame:
    """One row per run, oldest first: run, created, mean, low, high, model, instruction (shortened), gate, queries."""
    rows = [
        {
            "run": p.run_id,
            "created": pd.Timestamp(p.created),
            "mean": p.mean,
            "low": p.ci95[0],
            "high": p.ci95[1],
            "model": p.model,
            "instruction": shorten(p.instruction, LEGEND_CHARS),
            "gate": GATE_LABELS[p.gate],
            "queries": p.n_queries,
        }
        for p in trend.points
    ]
    columns = ["run", "created", "mean", "low", "high", "model", "instruction", "gate", "queries"]
    return pd.DataFrame(rows, columns=columns)


def trend_chart(trend: Trend) -> alt.LayerChart:
    """The metric per run over time: 95% intervals, points by model (colour) and instruction (shape), gate rings."""
    df = trend_frame(trend)
    x = alt.X("created:T", title="recorded")
    y_title = f"{trend.metric} (mean, 95% interval)"
    model = alt.Color("model:N", legend=alt.Legend(title="model", orient="bottom", direction="vertical"))
    tooltip = [
        alt.Tooltip("run:Q", title="run"),
        alt.Tooltip("created:T", format="%Y-%m-%d %H:%M"),
        alt.Tooltip("mean:Q", format=".4f"),
        alt.Tooltip("low:Q", format=".3f"),
        alt.Tooltip("high:Q", format=".3f"),
        "model:N",
        "instruction:N",
        "gate:N",
        "queries:Q",
    ]
    base = alt.Chart(df)
    intervals = base.mark_rule(strokeWidth=2, opacity=0.6).encode(
        x=x, y=alt.Y("low:Q", title=y_title, scale=alt.Scale(zero=False)), y2="high:Q", color=model
    )
    line = base.mark_line(color="#9e9e9e", strokeDash=[4, 3]).encode(x=x, y="mean:Q")
    points = base.mark_point(filled=True, size=90).encode(
        x=x,
        y="mean:Q",
        color=model,
        shape=alt.Shape("instruction:N", legend=alt.Legend(title="instruction", orient="bottom", direction="vertical")),
        tooltip=tooltip,
    )
    rings = (
        base.transform_filter(alt.datum.gate != GATE_LABELS[None])
        .mark_point(filled=False, size=420, strokeWidth=2.5)
        .encode(
            x=x,
            y="mean:Q",
            stroke=alt.Stroke(
                "gate:N",
                scale=alt.Scale(domain=list(GATE_COLORS), range=list(GATE_COLORS.values())),
                legend=alt.Legend(title="gate", orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    return alt.layer(line, intervals, points, rings).properties(height=320)


def trend_caption(trend: Trend) -> str:
    """The line under the chart: how many runs, gated ones, and runs left off for lacking the metric."""
    gated = [p for p in trend.points if p.gate is not None]
    failed = sum(1 for p in gated if p.gate == "fail")
    text = (
        f"{len(trend.points)} runs of this set, oldest first; {len(gated)} gated ({failed} failed): a green ring "
        "passed its gate, a red ring failed it. Vertical rules are 95% bootstrap intervals."
    )
    if trend.without_metric:
        ids = ", ".join(f"#{i}" for i in trend.without_metric)
        text += f" Runs without {trend.metric} (another k) are left off: {ids}."
    return text


__all__ = ["GATE_COLORS", "GATE_LABELS", "trend_caption", "trend_chart", "trend_frame"]
