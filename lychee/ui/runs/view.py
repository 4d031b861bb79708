"""The Runs page's sections: loading the run history, the set filter, a set's trend, comparing two runs of one set
(pickers, numbers, chart, table) and deleting a run (editors only). Names, tables and the comparison chart are
:mod:`lychee.ui.runs.logic`, the trend's chart :mod:`lychee.ui.runs.trend`; choices persist in ``runs_*`` session keys.
Run-store text (model, instruction, set and folder names) is user-written: it is escaped wherever markdown renders it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from eval.history.compare import RunComparison, compare_runs, shared_metrics
from eval.history.store import MAIN_METRIC, RunNotFoundError, RunRecord, RunStore, RunStoreError
from eval.history.trend import set_trend
from lychee.formatting import escape_markdown, markdown_code, signed
from lychee.roles import Actor, PermissionDeniedError
from lychee.ui.i18n import N_, _
from lychee.ui.runs.logic import (
    ALL_SETS,
    SYSTEM_NAMES,
    comparison_caption,
    comparison_chart,
    default_baseline,
    left_out_caption,
    run_label,
    runs_of_set,
    runs_table,
    set_label,
)
from lychee.ui.runs.trend import trend_caption, trend_chart
from lychee.ui.shell import notices
from lychee.ui.shell.state import bind

ONE_SHARED_QUERY = N_(
    "The two runs share one query: the difference is that query's, and no significance test can show anything from "
    "one query. Compare runs that share more queries."
)


def load_runs(store: RunStore) -> list[RunRecord] | None:
    """Every run, or ``None`` after showing the store's problem (locked, corrupt...)."""
    try:
        return store.list()
    except RunStoreError as exc:
        notices.library_error(
            str(exc),
            _("The run history cannot be read right now. Try again; if it persists, the message says what is wrong."),
        )
        return None


WRAPPED_ROW_HEIGHT = 66
#: The runs table's columns in the order shown, with their widths (px): id to queries, what people compare runs by, fit
#: a 1280 px window beside the sidebar; the instructions and the rest follow.
RUNS_COLUMNS: dict[str, int | str] = {
    "id": 48,
    "created": 170,
    "set": 170,
    "model": 160,
    MAIN_METRIC: 80,
    "gate": 60,
    "queries": 70,
    "instruction": 280,
    "model B": 160,
    "instruction B": 280,
    "k": 48,
    "source": 70,
    "by": 160,
    "output": 200,
}


#: How the runs table labels its columns (translated where shown; the metric keeps its name).
RUN_COLUMN_LABELS = {
    "id": N_("id"),
    "created": N_("created"),
    "set": N_("set"),
    "model": N_("model"),
    "gate": N_("gate"),
    "queries": N_("queries"),
    "instruction": N_("instruction"),
    "model B": N_("model B"),
    "instruction B": N_("instruction B"),
    "source": N_("source"),
    "by": N_("by"),
    "output": N_("output"),
}


def render_table(runs: list[RunRecord]) -> None:
    """The runs, newest first: the columns people compare by first, long instructions after them."""
    config: dict[str, Any] = {
        name: st.column_config.Column(_(RUN_COLUMN_LABELS.get(name, name)), width=width)
        for name, width in RUNS_COLUMNS.items()
    }
    config[MAIN_METRIC] = st.column_config.NumberColumn(MAIN_METRIC, format="%.4f", width=RUNS_COLUMNS[MAIN_METRIC])
    config["created"] = st.column_config.TextColumn(_("created"), width=RUNS_COLUMNS["created"], help=_("UTC"))
    st.dataframe(
        runs_table(runs),
        hide_index=True,
        width="stretch",
        height=min(38 + WRAPPED_ROW_HEIGHT * len(runs), 480),
        row_height=WRAPPED_ROW_HEIGHT,  # taller than 64 px: Streamlit wraps the set names and instructions
        column_order=list(RUNS_COLUMNS),
        column_config=config,
    )


def pick_set(runs: list[RunRecord]) -> str:
    """The set filter: every set, or one set's runs."""
    sets = list(dict.fromkeys(r.set for r in runs))
    options = [ALL_SETS, *sets]
    return st.selectbox(_("Set"), options, format_func=set_label, **bind("runs_set", ALL_SETS, options=options))


def _pick_run(label: str, key: str, runs: list[RunRecord], default: RunRecord) -> RunRecord:
    """A run of ``runs`` by its label, persisted under ``key``."""
    by_id = {r.id: r for r in runs}
    chosen = st.selectbox(
        label, list(by_id), format_func=lambda i: run_label(by_id[i]), **bind(key, default.id, options=by_id)
    )
    return by_id[chosen]


def _pick_system(run: RunRecord, key: str, column: Any) -> str:
    """Which system of ``run`` to compare: ``model``, or ``model_b`` of an A/B run."""
    if run.model_b is None:
        st.session_state[key] = "model"
        return "model"
    return column.radio(
        _("System of run #{id}").format(id=run.id),
        run.systems,
        format_func=lambda system: _(SYSTEM_NAMES[system]),
        horizontal=True,
        **bind(key, "model", options=run.systems),
    )


def render_trend(store: RunStore, runs: list[RunRecord], chosen_set: str) -> None:
    """The chosen set's metric over its runs (with every set shown: the newest run's set), gate marks included."""
    st.subheader(_("Trend of a set"))
    set_key = chosen_set if chosen_set != ALL_SETS else runs[0].set
    if chosen_set == ALL_SETS:
        st.caption(
            _("Showing {set_key}, the set of the newest run; pick a set above to see another's.").format(
                set_key=set_label(set_key)
            )
        )
    try:
        newest = store.get(runs_of_set(runs, set_key)[0].id)
    except (RunStoreError, ValueError) as exc:
        notices.library_error(
            str(exc),
            _("The run history cannot be read right now. Try again; if it persists, the message says what is wrong."),
            escape=False,
        )
        return
    metrics = list(newest.metrics.get("model", {}))
    if not metrics:
        st.info(_("Run #{id} recorded no metric of its model, so this set has no trend to draw.").format(id=newest.id))
        return
    metric = st.selectbox(_("Trend metric"), metrics, **bind("runs_trend_metric", metrics[0], options=metrics))
    try:
        trend = set_trend(store, set_key, metric=metric)
    except (RunStoreError, ValueError) as exc:
        notices.library_error(
            str(exc),
            _("The run history cannot be read right now. Try again; if it persists, the message says what is wrong."),
            escape=False,
        )
        return
    st.altair_chart(trend_chart(trend), width="stretch")
    st.caption(trend_caption(trend))


def render_compare(store: RunStore, runs: list[RunRecord], chosen_set: str) -> None:
    """Pick two runs of one set, then show their per-query comparison."""
    st.subheader(_("Compare two runs of the same set"))
    pool = runs_of_set(runs, chosen_set)
    c1, c2 = st.columns(2)
    with c1:
        run_a = _pick_run(_("Baseline run (A)"), "runs_a", pool, default_baseline(pool))
    same_set = [r for r in runs if r.set == run_a.set]
    if len(same_set) < 2 and run_a.model_b is None:
        st.info(
            _(
                "Run #{id} is the only run of {set}. Evaluate that set again (another instruction or model, or "
                "after labelling more queries) to compare two runs."
            ).format(id=run_a.id, set=escape_markdown(set_label(run_a.set)))
        )
        return
    with c2:
        newest_other = next((r for r in same_set if r.id != run_a.id), run_a)
        run_b = _pick_run(_("Compared run (B)"), "runs_b", same_set, newest_other)
    system_a = _pick_system(run_a, "runs_system_a", c1)
    system_b = _pick_system(run_b, "runs_system_b", c2)
    if run_a.id == run_b.id and system_a == system_b:
        st.info(_("A and B are the same run and system: pick another run (or the other system of an A/B run)."))
        return
    try:
        full_a, full_b = store.get(run_a.id), store.get(run_b.id)
    except (RunStoreError, ValueError) as exc:
        notices.library_error(
            str(exc),
            _("The run history cannot be read right now. Try again; if it persists, the message says what is wrong."),
        )
        return
    metrics = shared_metrics(full_a, full_b, system_a=system_a, system_b=system_b)
    if not metrics:
        st.error(
            _("Runs #{id} and #{id2} share no metric (k={k} and k={k2}).").format(
                id=run_a.id, id2=run_b.id, k=run_a.k, k2=run_b.k
            )
        )
        return
    metric = st.selectbox(_("Metric"), metrics, **bind("runs_metric", metrics[0], options=metrics))
    try:
        comparison = compare_runs(full_a, full_b, metric=metric, system_a=system_a, system_b=system_b)
    except ValueError as exc:
        notices.library_error(
            str(exc), _("These two runs cannot be compared. Pick another pair of runs or another metric.")
        )
        return
    render_comparison(comparison)


def render_comparison(comparison: RunComparison) -> None:
    """The comparison's numbers, notes, per-query chart and table."""
    a, b = comparison.run_a, comparison.run_b
    if not comparison.same_content:
        st.warning(
            _(
                "The set changed between run #{id} and run #{id2} (its content hash differs): they are compared "
                "on the {n_qids} queries both evaluated, and a shared query's labels may have changed."
            ).format(id=a.id, id2=b.id, n_qids=len(comparison.qids))
        )
    left_out = left_out_caption(comparison)
    if left_out:
        st.caption(left_out)
    counts = comparison.counts
    one_query = len(comparison.qids) < 2
    if one_query:
        st.info(_(ONE_SHARED_QUERY), icon=":material/info:")
    directionless = round(comparison.delta, 4) == 0 or comparison.metric.startswith("judged@")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        _("A: run #{id}").format(id=a.id),
        f"{comparison.mean_a:.4f}",
        help=_("Mean {metric} over shared queries.").format(metric=comparison.metric),
    )
    m2.metric(
        _("B: run #{id}").format(id=b.id),
        f"{comparison.mean_b:.4f}",
        delta=signed(comparison.delta),
        delta_color="off" if directionless else "normal",
        delta_arrow="off" if directionless else "auto",
    )
    m3.metric(
        _("p-value"),
        "—" if one_query else f"{comparison.p_value:.4g}",
        help=_(
            "Paired randomization test over the shared queries: 10,000 sign flips of the per-query "
            "differences, two-sided (the Evaluation page's A/B test). It needs at least two shared queries."
        ),
    )
    m4.metric(_("B wins / ties / losses"), f"{counts['wins']} / {counts['ties']} / {counts['losses']}")
    st.caption(comparison_caption(comparison))
    st.altair_chart(comparison_chart(comparison), width="stretch")
    st.dataframe(pd.DataFrame(comparison.rows()), hide_index=True, width="stretch")


def show_deleted_notice() -> None:
    """After a delete (and the rerun that follows it), say what was deleted."""
    notice = st.session_state.pop("runs_deleted_notice", None)
    if notice:
        st.success(escape_markdown(notice), icon=":material/delete:")


def render_delete(store: RunStore, runs: list[RunRecord], actor: Actor | None) -> None:
    """Delete one of ``runs`` from the history, only after the analyst ticks the confirmation; files stay. A viewer gets
    a line saying deleting is for editors, no widgets (and ``RunStore.delete`` refuses a viewer anyway)."""
    if actor is None or not actor.is_editor:
        st.caption(":material/lock: " + _("Deleting runs is for editors; you are signed in as a viewer."))
        return
    with st.expander(":material/delete: " + _("Delete a run")):
        by_id = {r.id: r for r in runs}
        run_id = st.selectbox(
            _("Run to delete"), list(by_id), format_func=lambda i: run_label(by_id[i]), key="runs_delete_id"
        )
        run = by_id[run_id]
        where = (
            _(" Its output folder {output_dir} is not touched.").format(output_dir=markdown_code(run.output_dir))
            if run.output_dir
            else ""
        )
        confirmed = st.checkbox(
            _("Yes, delete run #{id} with its metrics and per-query values from the history.{where}").format(
                id=run.id, where=where
            ),
            key=f"runs_delete_confirm_{run.id}",
        )
        if not st.button(_("Delete run"), disabled=not confirmed, type="primary", key="runs_delete_button"):
            if not confirmed:
                st.caption(_("Tick the confirmation to enable the button; a deleted run cannot be brought back."))
            return
        try:
            deleted = store.delete(run.id, actor=actor)
        except (RunStoreError, RunNotFoundError, PermissionDeniedError) as exc:
            notices.library_error(str(exc), _("Nothing was deleted."))
            return
        st.session_state["runs_deleted_notice"] = _("Deleted {deleted} from the history.").format(
            deleted=run_label(deleted)
        )
        st.rerun()


__all__ = [
    "load_runs",
    "pick_set",
    "render_compare",
    "render_comparison",
    "render_delete",
    "render_table",
    "render_trend",
    "show_deleted_notice",
]
