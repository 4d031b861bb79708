"""The Runs page: the run history as a table (filter by set), and two runs of one set compared query by query.

Reading the store and comparing runs are :mod:`eval.history.store` and :mod:`eval.history.compare` (the same paired
randomization test as the Evaluation page's A/B); this module draws them. Choices persist in ``runs_*`` session keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from eval.history.compare import RunComparison, compare_runs, shared_metrics
from eval.history.store import MAIN_METRIC, RunNotFoundError, RunRecord, RunStore, RunStoreError
from lychee.ui.state import bind

ALL_SETS = "__all__"
SYSTEM_NAMES = {"model": "A (model)", "model_b": "B (model_b of an A/B run)"}


def set_label(key: str) -> str:
    """A set's name as shown: the file name and its folder, or an upload's name."""
    if key == ALL_SETS:
        return "All sets"
    path = Path(key)
    return f"{path.name} — {path.parent}" if path.is_absolute() else f"{key} (upload)"


def run_label(run: RunRecord) -> str:
    """``#3 · 2026-05-01 12:00 · default · ndcg@10 0.8297``."""
    when = run.created.replace("T", " ")[:16]
    main = "" if run.main is None else f" · {MAIN_METRIC} {run.main:.4f}"
    ab = " (A/B)" if run.model_b is not None else ""
    return f"#{run.id} · {when} · {run.model}{ab}{main}"


def runs_table(runs: list[RunRecord]) -> pd.DataFrame:
    """One row per run: id, created, set, model, instruction, B's, k, ndcg@10, queries, source, output folder."""
    rows = [
        {
            "id": r.id,
            "created": r.created,
            "set": set_label(r.set),
            "model": r.model,
            "instruction": r.instruction,
            "model B": r.model_b or "",
            "instruction B": r.instruction_b or "",
            "k": r.k,
            MAIN_METRIC: r.main,
            "queries": r.n_queries,
            "source": r.source,
            "output": r.output_dir or "",
        }
        for r in runs
    ]
    columns = ["id", "created", "set", "model", "instruction", "model B", "instruction B", "k", MAIN_METRIC]
    return pd.DataFrame(rows, columns=[*columns, "queries", "source", "output"])


def comparison_chart(comparison: RunComparison) -> alt.Chart:
    """Per-query difference B - A as horizontal bars (green: B better), queries in A's order."""
    df = pd.DataFrame(comparison.rows())
    df["better"] = ["B" if d > 0 else "A" if d < 0 else "tie" for d in df["b - a"]]
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("b - a:Q", title=f"{comparison.metric}: B - A"),
            y=alt.Y("qid:N", sort=comparison.qids, title="query", axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                "better:N",
                scale=alt.Scale(domain=["B", "A", "tie"], range=["#2e7d32", "#c62828", "#9e9e9e"]),
                legend=alt.Legend(title="better", orient="top"),
            ),
            tooltip=["qid", alt.Tooltip("a:Q", format=".4f"), alt.Tooltip("b:Q", format=".4f"), "b - a"],
        )
        # A step height (px per query): Streamlit's stretch mode squeezes a fixed-height chart.
        .properties(height=alt.Step(22))
    )


def load_runs(store: RunStore) -> list[RunRecord] | None:
    """Every run, or ``None`` after showing the store's problem (locked, corrupt...)."""
    try:
        return store.list()
    except RunStoreError as exc:
        st.error(str(exc))
        return None


def pick_set(runs: list[RunRecord]) -> str:
    sets = list(dict.fromkeys(r.set for r in runs))
    options = [ALL_SETS, *sets]
    return st.selectbox("Set", options, format_func=set_label, **bind("runs_set", ALL_SETS, options=options))


def default_baseline(runs: list[RunRecord]) -> RunRecord:
    """The run A starts on: the one before the newest run of the newest set with two runs (else the newest run)."""
    for newest in runs:
        older = [r for r in runs if r.set == newest.set and r.id != newest.id]
        if older:
            return older[0]
    return runs[0]


def _pick_run(label: str, key: str, runs: list[RunRecord], default: RunRecord) -> RunRecord:
    by_id = {r.id: r for r in runs}
    chosen = st.selectbox(
        label, list(by_id), format_func=lambda i: run_label(by_id[i]), **bind(key, default.id, options=by_id)
    )
    return by_id[chosen]


def _pick_system(run: RunRecord, key: str, column: Any) -> str:
    if run.model_b is None:
        st.session_state[key] = "model"
        return "model"
    return column.radio(
        f"System of run #{run.id}",
        run.systems,
        format_func=SYSTEM_NAMES.__getitem__,
        horizontal=True,
        **bind(key, "model", options=run.systems),
    )


def render_compare(store: RunStore, runs: list[RunRecord], chosen_set: str) -> None:
    """Pick two runs of one set, then show their per-query comparison."""
    st.subheader("Compare two runs of the same set")
    pool = runs if chosen_set == ALL_SETS else [r for r in runs if r.set == chosen_set]
    c1, c2 = st.columns(2)
    with c1:
        run_a = _pick_run("Baseline run (A)", "runs_a", pool, default_baseline(pool))
    same_set = [r for r in runs if r.set == run_a.set]
    if len(same_set) < 2 and run_a.model_b is None:
        st.info(
            f"Run #{run_a.id} is the only run of {set_label(run_a.set)}. Evaluate that set again (another "
            "instruction or model, or after labelling more queries) to compare two runs."
        )
        return
    with c2:
        newest_other = next((r for r in same_set if r.id != run_a.id), run_a)
        run_b = _pick_run("Compared run (B)", "runs_b", same_set, newest_other)
    system_a = _pick_system(run_a, "runs_system_a", c1)
    system_b = _pick_system(run_b, "runs_system_b", c2)
    if run_a.id == run_b.id and system_a == system_b:
        st.info("A and B are the same run and system: pick another run (or the other system of an A/B run).")
        return
    try:
        full_a, full_b = store.get(run_a.id), store.get(run_b.id)
    except (RunStoreError, ValueError) as exc:
        st.error(str(exc))
        return
    metrics = shared_metrics(full_a, full_b, system_a=system_a, system_b=system_b)
    if not metrics:
        st.error(f"Runs #{run_a.id} and #{run_b.id} share no metric (k={run_a.k} and k={run_b.k}).")
        return
    metric = st.selectbox("Metric", metrics, **bind("runs_metric", metrics[0], options=metrics))
    try:
        comparison = compare_runs(full_a, full_b, metric=metric, system_a=system_a, system_b=system_b)
    except ValueError as exc:
        st.error(str(exc))
        return
    render_comparison(comparison)


def render_comparison(comparison: RunComparison) -> None:
    """The comparison's numbers, notes, per-query chart and table."""
    a, b = comparison.run_a, comparison.run_b
    if not comparison.same_content:
        st.warning(
            f"The set changed between run #{a.id} and run #{b.id} (its content hash differs): they are compared on "
            f"the {len(comparison.qids)} queries both evaluated, and a shared query's labels may have changed."
        )
    if comparison.only_a or comparison.only_b:
        parts = []
        if comparison.only_a:
            parts.append(f"{len(comparison.only_a)} only in run #{a.id} ({', '.join(comparison.only_a[:5])}…)")
        if comparison.only_b:
            parts.append(f"{len(comparison.only_b)} only in run #{b.id} ({', '.join(comparison.only_b[:5])}…)")
        st.caption("Left out of the comparison: " + "; ".join(parts) + ".")
    counts = comparison.counts
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(f"A: run #{a.id}", f"{comparison.mean_a:.4f}", help=f"Mean {comparison.metric} over shared queries.")
    m2.metric(f"B: run #{b.id}", f"{comparison.mean_b:.4f}", delta=f"{comparison.delta:+.4f}", delta_color="normal")
    m3.metric(
        "p-value",
        f"{comparison.p_value:.4g}",
        help="Paired randomization test over the shared queries: 10,000 sign flips of the per-query differences, "
        "two-sided (the Evaluation page's A/B test).",
    )
    m4.metric("B wins / ties / losses", f"{counts['wins']} / {counts['ties']} / {counts['losses']}")
    st.caption(
        f"{len(comparison.qids)} shared queries · A: `{a.model}` “{_short(a.instruction)}” ({comparison.system_a}) · "
        f"B: `{b.model if comparison.system_b == 'model' else b.model_b}` "
        f"“{_short(b.instruction if comparison.system_b == 'model' else b.instruction_b or '')}” ({comparison.system_b})"
    )
    st.altair_chart(comparison_chart(comparison), width="stretch")
    st.dataframe(pd.DataFrame(comparison.rows()), hide_index=True, width="stretch")


def show_deleted_notice() -> None:
    """After a delete (and the rerun that follows it), say what was deleted."""
    notice = st.session_state.pop("runs_deleted_notice", None)
    if notice:
        st.success(notice, icon=":material/delete:")


def render_delete(store: RunStore, runs: list[RunRecord]) -> None:
    """Delete one of ``runs`` from the history, only after the analyst ticks the confirmation; files stay."""
    with st.expander(":material/delete: Delete a run"):
        by_id = {r.id: r for r in runs}
        run_id = st.selectbox(
            "Run to delete", list(by_id), format_func=lambda i: run_label(by_id[i]), key="runs_delete_id"
        )
        run = by_id[run_id]
        where = f" Its output folder `{run.output_dir}` is not touched." if run.output_dir else ""
        confirmed = st.checkbox(
            f"Yes, delete run #{run.id} with its metrics and per-query values from the history.{where}",
            key=f"runs_delete_confirm_{run.id}",
        )
        if not st.button("Delete run", disabled=not confirmed, type="primary", key="runs_delete_button"):
            if not confirmed:
                st.caption("Tick the confirmation to enable the button; a deleted run cannot be brought back.")
            return
        try:
            deleted = store.delete(run.id)
        except (RunStoreError, RunNotFoundError) as exc:
            st.error(str(exc))
            return
        st.session_state["runs_deleted_notice"] = f"Deleted {run_label(deleted)} from the history."
        st.rerun()


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "ALL_SETS",
    "comparison_chart",
    "load_runs",
    "pick_set",
    "render_compare",
    "render_comparison",
    "render_delete",
    "run_label",
    "runs_table",
    "set_label",
    "show_deleted_notice",
]
