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
from lychee.ui.i18n import N_, _

#: The most characters of an instruction the chart's legend shows.
LEGEND_CHARS = 48
GATE_LABELS = {"pass": N_("passed"), "fail": N_("failed"), None: N_("not gated")}
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
            "gate": _(GATE_LABELS[p.gate]),
            "queries": p.n_queries,
        }
        for p in trend.points
    ]
    columns = ["run", "created", "mean", "low", "high", "model", "instruction", "gate", "queries"]
    return pd.DataFrame(rows, columns=columns)


def trend_chart(trend: Trend) -> alt.LayerChart:
    """The metric per run over time: 95% intervals, points by model (colour) and instruction (shape), gate rings."""
    df = trend_frame(trend)
    x = alt.X("created:T", title=_("recorded"))
    y_title = _("{metric} (mean, 95% interval)").format(metric=trend.metric)
    model = alt.Color("model:N", legend=alt.Legend(title=_("model"), orient="bottom", direction="vertical"))
    tooltip = [
        alt.Tooltip("run:Q", title=_("run")),
        alt.Tooltip("created:T", title=_("created"), format="%Y-%m-%d %H:%M"),
        alt.Tooltip("mean:Q", title=_("mean"), format=".4f"),
        alt.Tooltip("low:Q", title=_("95% CI low"), format=".3f"),
        alt.Tooltip("high:Q", title=_("95% CI high"), format=".3f"),
        alt.Tooltip("model:N", title=_("model")),
        alt.Tooltip("instruction:N", title=_("instruction")),
        alt.Tooltip("gate:N", title=_("gate")),
        alt.Tooltip("queries:Q", title=_("queries")),
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
        shape=alt.Shape(
            "instruction:N", legend=alt.Legend(title=_("instruction"), orient="bottom", direction="vertical")
        ),
        tooltip=tooltip,
    )
    rings = (
        base.transform_filter(alt.datum.gate != _(GATE_LABELS[None]))
        .mark_point(filled=False, size=420, strokeWidth=2.5)
        .encode(
            x=x,
            y="mean:Q",
            stroke=alt.Stroke(
                "gate:N",
                scale=alt.Scale(domain=[_(g) for g in GATE_COLORS], range=list(GATE_COLORS.values())),
                legend=alt.Legend(title=_("gate"), orient="bottom"),
            ),
            tooltip=tooltip,
        )
    )
    return alt.layer(line, intervals, points, rings).properties(height=320)


def trend_caption(trend: Trend) -> str:
    """The line under the chart: how many runs, gated ones, and runs left off for lacking the metric."""
    gated = [p for p in trend.points if p.gate is not None]
    failed = sum(1 for p in gated if p.gate == "fail")
    text = _(
        "{n_points} runs of this set, oldest first; {n_gated} gated ({failed} failed): a green ring "
        "passed its gate, a red ring failed it. Vertical rules are 95% bootstrap intervals."
    ).format(n_points=len(trend.points), n_gated=len(gated), failed=failed)
    if trend.without_metric:
        ids = ", ".join(f"#{i}" for i in trend.without_metric)
        text += _(" Runs without {metric} (another k) are left off: {ids}.").format(metric=trend.metric, ids=ids)
    return text


__all__ = ["GATE_COLORS", "GATE_LABELS", "trend_caption", "trend_chart", "trend_frame"]
