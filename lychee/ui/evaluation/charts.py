"""Tables and Altair charts of an :class:`~eval.engine.evaluate.EvalResult`, for the Evaluation page (no Streamlit
here).

Every number shown comes from ``result.report`` (the typed report whose ``as_dict()`` is metrics.json) or
``result.pairs``, so the page shows exactly what the CLI writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd

from eval.engine.evaluate import EvalResult
from eval.engine.report import ALL_QUERIES, segment_rows
from lychee.bands import BAND_COLORS
from lychee.formatting import signed
from lychee.ui.i18n import N_, _, ngettext
from lychee.ui.palette import system_name as palette_name
from lychee.ui.palette import system_scale

#: The best-F1 rule's colour: dark grey, so it is not mistaken for a system (lychee.ui.palette) or a band.
BEST_F1_COLOR = "#37474f"
METRIC_HELP = {
    "ndcg": N_("NDCG@k, linear gain (label), trec_eval conventions; ideal DCG over all the query's positive labels."),
    "ndcg_exp": N_("NDCG@k with exponential gain 2^label - 1."),
    "mrr": N_("Mean reciprocal rank of the first candidate with label >= 1 within the top 10."),
    "hit": N_("Share of queries whose top result has label >= 1."),
    "recall": N_("Share of each query's label >= 1 candidates found in the top k."),
    "judged": N_(
        "Share of the top k that has a judgment in the qrels (ir_measures' Judged@k); unjudged candidates count "
        "as not relevant in every other metric (trec_eval's convention), so a low value means the metrics are uncertain."
    ),
}


def system_name(key: str, result: EvalResult | None = None) -> str:
    """A report's system key as the page names it (``model`` -> ``model (A)``; ``input_order`` is ``first stage``
    when ``result``'s set has a first-stage run)."""
    return palette_name(key, first_stage=_has_first_stage(result))


def _has_first_stage(result: EvalResult | None) -> bool:
    return result is not None and result.labelled.first_stage is not None


def system_colors(result: EvalResult, keys: list[str] | None = None) -> alt.Scale:
    """The colour scale of ``result``'s systems (default: all of them), from the one palette (lychee.ui.palette)."""
    return system_scale(list(keys or result.report.systems), first_stage=_has_first_stage(result))


@dataclass(frozen=True)
class MetricCard:
    """One ``st.metric``: the A system's mean, the delta against a reference, and its 95% bootstrap interval.

    ``delta_color`` / ``delta_arrow`` are ``st.metric``'s: ``"off"`` for a delta that rounds to zero (no direction) and
    for judged@k (coverage of the judgments, neither better nor worse).
    """

    metric: str
    label: str
    value: str
    delta: str | None
    help: str
    interval: str
    delta_color: str = "normal"
    delta_arrow: str = "auto"


#: How a lift (already in percent) is written: the CLI's "+0.6%".
LIFT_FORMAT = "%+.1f%%"
#: What the cards and tables say instead of an interval computed from a single query.
ONE_QUERY_INTERVAL = N_("95% CI: needs 2 or more queries")


def metric_cards(result: EvalResult) -> list[MetricCard]:
    """Cards for system A; the delta is B - A when there is a B, else A - BM25."""
    report = result.report
    a = report.primary
    has_b = "model_b" in report.systems
    ref = report.systems["model_b" if has_b else "bm25"]
    over = ngettext("Mean over {n} query", "Mean over {n} queries", report.n_queries).format(n=report.n_queries)
    cards = []
    for name in report.metric_names:
        low, high = a.ci95[name]
        diff = ref.means[name] - a.means[name] if has_b else a.means[name] - ref.means[name]
        family = name.split("@")[0]
        directionless = family == "judged" or round(diff, 4) == 0
        cards.append(
            MetricCard(
                metric=name,
                label=name,
                value=f"{a.means[name]:.4f}",
                delta=signed(diff) + " " + (_("B vs A") if has_b else _("vs BM25")),
                help=_("{metric_help} {over}; interval: bootstrap over queries, 1000 resamples, seed 0.").format(
                    metric_help=_(METRIC_HELP[family]), over=over
                ),
                interval=_("95% CI [{low:.3f}, {high:.3f}]").format(low=low, high=high)
                if report.n_queries > 1
                else _(ONE_QUERY_INTERVAL),
                delta_color="off" if directionless else "normal",
                delta_arrow="off" if directionless else "auto",
            )
        )
    return cards


def systems_table(result: EvalResult) -> pd.DataFrame:
    """One row per system: ``system``, every ``<metric>`` (mean), then every ``<metric> 95% CI`` (``—`` from a single
    query, which has no interval)."""
    rows = []
    for key, system in result.report.systems.items():
        row: dict[str, Any] = {"system": system_name(key, result)}
        for name in result.report.metric_names:
            row[name] = system.means[name]
        for name in result.report.metric_names:  # after every mean: the means are read first and fit the screen
            low, high = system.ci95[name]
            row[f"{name} 95% CI"] = f"[{low:.3f}, {high:.3f}]" if result.report.n_queries > 1 else "—"
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_table(result: EvalResult) -> pd.DataFrame | None:
    """The A/B comparison per metric (``None`` without a B system)."""
    comparison = result.report.comparison
    if comparison is None:
        return None
    rows = []
    for name, c in comparison.metrics.items():
        rows.append(
            {
                "metric": name,
                "A": c.mean_a,
                "B": c.mean_b,
                "B - A": c.delta,
                "p-value": c.p_value,
                "B wins": c.wins,
                "ties": c.ties,
                "B losses": c.losses,
            }
        )
    return pd.DataFrame(rows)


def segment_table(result: EvalResult, metric: str | None = None) -> pd.DataFrame | None:
    """The seed's table: per segment (and over all queries), each system's mean of ``metric`` (default ``ndcg@k``)
    and model A's lift in percent over the input order and BM25; ``None`` when the set has no segments."""
    report = result.report
    if not report.segments:
        return None
    rows = []
    for row in segment_rows(report, metric):
        segment = _("all") if row["segment"] == ALL_QUERIES else row["segment"]
        out: dict[str, Any] = {"segment": segment, "queries": row["n"]}
        for key in report.systems:
            out[system_name(key, result)] = row[key]
        out["lift vs input order (%)"] = row["lift_vs_input_order"]
        out["lift vs BM25 (%)"] = row["lift_vs_bm25"]
        if "lift_b_vs_input_order" in row:
            out["B lift vs input order (%)"] = row["lift_b_vs_input_order"]
        rows.append(out)
    return pd.DataFrame(rows)


def lift_labels() -> dict[str, str]:
    """The lift columns of :func:`segment_table` and how the page labels them."""
    return {
        "lift vs input order (%)": _("lift vs input order (%)"),
        "lift vs BM25 (%)": _("lift vs BM25 (%)"),
        "B lift vs input order (%)": _("B lift vs input order (%)"),
    }


def segment_chart(result: EvalResult, metric: str | None = None) -> alt.LayerChart | None:
    """Mean of ``metric`` per segment for every system, as grouped bars with their 95% bootstrap intervals;
    ``None`` when the set has no segments."""
    report = result.report
    if not report.segments:
        return None
    metric = metric or report.metric_names[0]
    groups = [(s.name, s.systems) for s in report.segments] + [(_("all"), report.systems)]
    rows = []
    for name, systems in groups:
        for key, system in systems.items():
            low, high = system.ci95[metric]
            name_of = system_name(key, result)
            rows.append({"segment": name, "system": name_of, metric: system.means[metric], "low": low, "high": high})
    df = pd.DataFrame(rows)
    order = [name for name, _ in groups]
    systems_order = [system_name(key, result) for key in report.systems]
    base = alt.Chart(df).encode(
        x=alt.X("segment:N", sort=order, title=_("segment"), axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("system:N", sort=systems_order),
        color=alt.Color("system:N", sort=systems_order, title=_("system"), scale=system_colors(result)),
    )
    bars = base.mark_bar().encode(
        y=alt.Y(f"{metric}:Q", scale=alt.Scale(domain=[0, 1]), title=metric),
        tooltip=[
            alt.Tooltip("segment:N", title=_("segment")),
            alt.Tooltip("system:N", title=_("system")),
            alt.Tooltip(f"{metric}:Q", format=".4f"),
            alt.Tooltip("low:Q", title=_("95% CI low"), format=".3f"),
            alt.Tooltip("high:Q", title=_("95% CI high"), format=".3f"),
        ],
    )
    whiskers = base.mark_rule(color="black").encode(y="low:Q", y2="high:Q")
    return alt.layer(bars, whiskers).properties(height=320)


def per_query_table(result: EvalResult) -> pd.DataFrame:
    """The per-query CSV's rows: one per query, every system's value of every metric."""
    return pd.DataFrame(result.per_query)


MAX_CHART_QUERIES = 60


def per_query_chart(
    result: EvalResult, metric: str | None = None, *, max_queries: int = MAX_CHART_QUERIES
) -> alt.Chart:
    """Per-query values of ``metric`` (default ``ndcg@k``) for every system: one row per query, a dot per system.

    With more than ``max_queries`` queries, only the ``max_queries`` where model A does worst are drawn (the full
    list is in the per-query table), so the chart stays readable.
    """
    metric = metric or result.report.metric_names[0]
    order = result.labelled.qids
    if len(order) > max_queries:
        a_values = result.report.primary.per_query[metric]
        worst = set(sorted(order, key=lambda q: (a_values[q], q))[:max_queries])
        order = [q for q in order if q in worst]
    keep = set(order)
    rows = []
    for key, system in result.report.systems.items():
        for qid, value in system.per_query[metric].items():
            if qid in keep:
                rows.append({"qid": qid, "system": system_name(key, result), metric: value})
    df = pd.DataFrame(rows)
    return (
        alt.Chart(df)
        .mark_circle(size=90, opacity=0.85)
        .encode(
            x=alt.X(f"{metric}:Q", scale=alt.Scale(domain=[0, 1]), title=metric),
            y=alt.Y("qid:N", sort=order, title=_("query"), axis=alt.Axis(labelOverlap=False)),
            color=alt.Color("system:N", title=_("system"), scale=system_colors(result)),
            tooltip=[
                alt.Tooltip("qid:N", title=_("query")),
                alt.Tooltip("system:N", title=_("system")),
                alt.Tooltip(f"{metric}:Q", format=".4f"),
            ],
        )
        .properties(height=max(200, 28 * len(order)))
    )


def pairs_frame(result: EvalResult) -> pd.DataFrame:
    """One row per (system, query, candidate) of the model systems (score, label, rank), systems named as on the page."""
    df = pd.DataFrame(result.pairs)
    if not df.empty:
        df["system"] = [system_name(key, result) for key in df["system"]]
    return df


def score_distribution_chart(result: EvalResult) -> alt.Chart:
    """Scores by label (box plot per label, one panel per model system); unjudged candidates are their own box."""
    df = pairs_frame(result)
    if not df.empty and not df["judged"].all():
        df["label"] = [str(label) if judged else _("unjudged") for label, judged in zip(df["label"], df["judged"])]
    return (
        alt.Chart(df)
        .mark_boxplot(extent="min-max")
        .encode(
            x=alt.X("label:O", title=_("label")),
            y=alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]), title=_("score P(yes)")),
            color=alt.Color("label:O", legend=None),
            column=alt.Column("system:N", title=None),
            tooltip=[alt.Tooltip("label:O", title=_("label")), alt.Tooltip("score:Q", title=_("score P(yes)"))],
        )
        .properties(width=220, height=260)
    )


def calibration_frame(result: EvalResult) -> pd.DataFrame:
    """The reliability bins of every model system as one table."""
    rows = []
    for key, cal in result.report.calibration.items():
        for b in cal.bins:
            rows.append(
                {
                    "system": system_name(key, result),
                    "bin": f"[{b.low:.1f}, {b.high:.1f})",
                    "bin center": (b.low + b.high) / 2,
                    "pairs": b.n,
                    "fraction relevant": b.fraction_relevant,
                    "mean label": b.mean_label,
                }
            )
    return pd.DataFrame(rows)


def calibration_rules(result: EvalResult, *, medium: float, strong: float) -> pd.DataFrame:
    """The calibration chart's vertical rules: the two band thresholds and each model system's best-F1 threshold
    (named trivial when it calls every pair relevant), with the row (``level``, 0 at the top) of their label so that
    labels of nearby rules do not overlap."""
    rules = [
        {
            "threshold": medium,
            "rule": _("medium band {medium:.2f}").format(medium=medium),
            "color": BAND_COLORS["medium"],
        },
        {
            "threshold": strong,
            "rule": _("strong band {strong:.2f}").format(strong=strong),
            "color": BAND_COLORS["strong"],
        },
    ]
    for key, cal in result.report.calibration.items():
        t = cal.best_f1.threshold
        if t is None:
            continue
        name = system_name(key, result)
        label = (
            _("best F1 {name} {t:.2f}: trivial, calls every pair relevant").format(name=name, t=t)
            if cal.best_f1_is_trivial
            else _("best F1 {name} {t:.2f}").format(name=name, t=t)
        )
        rules.append({"threshold": t, "rule": label, "color": BEST_F1_COLOR})
    df = pd.DataFrame(rules).sort_values("threshold", kind="stable").reset_index(drop=True)
    df["level"] = range(len(df))  # one row of text per rule, top down in threshold order: no two labels collide
    return df


def calibration_chart(result: EvalResult, *, medium: float, strong: float) -> alt.VConcatChart:
    """Fraction relevant (label >= 1) per score bin against the diagonal, with the band thresholds and best-F1 rule.

    Rule labels are written horizontally in a strip above the plot, one row per rule, each starting at its rule, so
    none crosses the data line.
    """
    df = calibration_frame(result).dropna(subset=["fraction relevant"])
    x_scale = alt.Scale(domain=[0, 1])
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]}))
        .mark_line(strokeDash=[4, 4], color="gray")
        .encode(x="x:Q", y="y:Q")
    )
    base = alt.Chart(df).encode(
        x=alt.X("bin center:Q", scale=x_scale, title=_("score bin (P(yes))")),
        y=alt.Y("fraction relevant:Q", scale=alt.Scale(domain=[0, 1]), title=_("fraction relevant (label >= 1)")),
        color=alt.Color("system:N", title=_("system"), scale=system_colors(result, list(result.report.calibration))),
        order=alt.Order("bin center:Q"),
    )
    line = base.mark_line()
    # Dot area grows with the number of pairs in the bin: a bin of 2 pairs says little.
    dots = base.mark_circle(opacity=0.9).encode(
        size=alt.Size("pairs:Q", title=_("pairs in bin"), scale=alt.Scale(range=[30, 400])),
        tooltip=[
            alt.Tooltip("system:N", title=_("system")),
            alt.Tooltip("bin:N", title=_("score bin")),
            alt.Tooltip("pairs:Q", title=_("pairs in bin")),
            alt.Tooltip("fraction relevant:Q", title=_("fraction relevant"), format=".2f"),
            alt.Tooltip("mean label:Q", title=_("mean label"), format=".2f"),
        ],
    )
    rule_df = calibration_rules(result, medium=medium, strong=strong)
    # Fixed colours (the dashboard's band colours) and a label per rule: no second colour legend to confuse with the
    # systems'.
    rule_color = alt.Color("color:N", scale=None, title=None)
    rule_chart = (
        alt.Chart(rule_df)
        .mark_rule(strokeWidth=2, strokeDash=[6, 3])
        .encode(
            x=alt.X("threshold:Q", scale=x_scale), color=rule_color, tooltip=[alt.Tooltip("rule:N", title=_("rule"))]
        )
    )
    plot = alt.layer(diagonal, line, dots, rule_chart).properties(height=320)
    strip = alt.Chart(rule_df).encode(
        x=alt.X("threshold:Q", scale=x_scale, axis=None),
        y=alt.Y("level:O", axis=None),
        color=rule_color,
    )
    ticks = strip.mark_tick(orient="vertical", thickness=2, size=14)
    labels = strip.mark_text(align="left", dx=5, fontSize=11).encode(text="rule:N")
    header = alt.layer(ticks, labels).properties(height=alt.Step(16))
    return alt.vconcat(header, plot, spacing=4).resolve_scale(x="shared", color="independent")


def threshold_table(result: EvalResult) -> pd.DataFrame:
    """Precision/recall/F1 of "score >= t is relevant" at the bands and at the best-F1 threshold, per model system."""
    rows = []
    for key, cal in result.report.calibration.items():
        best = _("best F1 (trivial: calls every pair relevant)") if cal.best_f1_is_trivial else _("best F1")
        entries = [
            (_("medium band"), cal.bands["medium"]),
            (_("strong band"), cal.bands["strong"]),
            (best, cal.best_f1),
        ]
        for what, r in entries:
            rows.append(
                {
                    "system": system_name(key, result),
                    "rule": what,
                    "threshold": r.threshold,
                    "precision": r.precision,
                    "recall": r.recall,
                    "F1": r.f1,
                    "pairs predicted relevant": r.n_predicted,
                }
            )
    return pd.DataFrame(rows)


__all__ = [
    "LIFT_FORMAT",
    "MAX_CHART_QUERIES",
    "ONE_QUERY_INTERVAL",
    "MetricCard",
    "calibration_chart",
    "calibration_frame",
    "calibration_rules",
    "comparison_table",
    "metric_cards",
    "pairs_frame",
    "per_query_chart",
    "per_query_table",
    "score_distribution_chart",
    "segment_chart",
    "segment_table",
    "system_name",
    "systems_table",
    "threshold_table",
]
