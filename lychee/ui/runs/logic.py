"""The Runs page without Streamlit: how sets and runs are named, the runs table, the default baseline run, the
per-query comparison chart and the line written under a comparison.

Reading the store and comparing runs are :mod:`eval.history.store` and :mod:`eval.history.compare`;
:mod:`lychee.ui.runs.view` draws them.
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from eval.history.compare import RunComparison
from eval.history.store import MAIN_METRIC, RunRecord
from lychee.formatting import escape_markdown, markdown_code, shorten
from lychee.ui.i18n import N_, _, ngettext
from lychee.ui.palette import color_of

#: The set filter's entry for every set.
ALL_SETS = "__all__"
SYSTEM_NAMES = {"model": N_("A (model)"), "model_b": N_("B (model_b of an A/B run)")}


def set_label(key: str) -> str:
    """A set's name as shown: the file name and its folder, or an upload's name."""
    if key == ALL_SETS:
        return _("All sets")
    path = Path(key)
    return f"{path.name} — {path.parent}" if path.is_absolute() else _("{key} (upload)").format(key=key)


def run_label(run: RunRecord) -> str:
    """``#3 · 2026-05-01 12:00 · default · ndcg@10 0.8297``."""
    when = run.created.replace("T", " ")[:16]
    main = "" if run.main is None else f" · {MAIN_METRIC} {run.main:.4f}"
    ab = _(" (A/B)") if run.model_b is not None else ""
    return f"#{run.id} · {when} · {run.model}{ab}{main}"


def runs_table(runs: list[RunRecord]) -> pd.DataFrame:
    """One row per run: id, created, set, model, instruction, B's, k, ndcg@10, gate (passed / failed / blank when
    not gated), queries, source, who ran it, output folder (a dataframe: its cells are shown as text, never as
    markdown)."""
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
            "gate": {"pass": _("passed"), "fail": _("failed")}.get(r.gate or "", ""),
            "queries": r.n_queries,
            "source": r.source,
            "by": r.created_by or "",
            "output": r.output_dir or "",
        }
        for r in runs
    ]
    columns = ["id", "created", "set", "model", "instruction", "model B", "instruction B", "k", MAIN_METRIC]
    return pd.DataFrame(rows, columns=[*columns, "gate", "queries", "source", "by", "output"])


def comparison_chart(comparison: RunComparison) -> alt.Chart:
    """Per-query difference B - A as horizontal bars coloured by the better run (A and B in model A's and model B's
    colours of lychee.ui.palette, ties grey), queries in A's order."""
    df = pd.DataFrame(comparison.rows())
    df["better"] = ["B" if d > 0 else "A" if d < 0 else _("tie") for d in df["b - a"]]
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("b - a:Q", title=f"{comparison.metric}: B - A"),
            y=alt.Y("qid:N", sort=comparison.qids, title=_("query"), axis=alt.Axis(labelOverlap=False)),
            color=alt.Color(
                "better:N",
                scale=alt.Scale(
                    domain=["B", "A", _("tie")], range=[color_of("model_b"), color_of("model"), color_of("input_order")]
                ),
                legend=alt.Legend(title=_("better"), orient="top"),
            ),
            tooltip=[
                alt.Tooltip("qid:N", title=_("query")),
                alt.Tooltip("a:Q", title="A", format=".4f"),
                alt.Tooltip("b:Q", title="B", format=".4f"),
                alt.Tooltip("b - a:Q", title="B - A", format="+.4f"),
            ],
        )
        # A step height (px per query): Streamlit's stretch mode squeezes a fixed-height chart.
        .properties(height=alt.Step(22))
    )


def runs_of_set(runs: list[RunRecord], chosen_set: str) -> list[RunRecord]:
    """The runs of ``chosen_set`` (a set's key, or :data:`ALL_SETS` for every run), newest first as given."""
    return runs if chosen_set == ALL_SETS else [r for r in runs if r.set == chosen_set]


def default_baseline(runs: list[RunRecord]) -> RunRecord:
    """The run A starts on: the one before the newest run of the newest set with two runs (else the newest run)."""
    for newest in runs:
        older = [r for r in runs if r.set == newest.set and r.id != newest.id]
        if older:
            return older[0]
    return runs[0]


#: The most characters of an instruction the comparison's caption shows.
INSTRUCTION_CHARS = 80


def comparison_caption(comparison: RunComparison) -> str:
    """The line under a comparison: how many queries, and each side's model, instruction and system."""
    a, b = comparison.run_a, comparison.run_b
    b_model = b.model if comparison.system_b == "model" else b.model_b
    b_instruction = b.instruction if comparison.system_b == "model" else b.instruction_b or ""
    n = len(comparison.qids)
    shared = ngettext("{n} shared query", "{n} shared queries", n).format(n=n)
    instruction_a = escape_markdown(shorten(a.instruction, INSTRUCTION_CHARS))
    instruction_b = escape_markdown(shorten(b_instruction, INSTRUCTION_CHARS))
    return _("{shared} · A: {model} “{instruction_a}” ({system_a}) · B: {value} “{instruction_b}” ({system_b})").format(
        shared=shared,
        model=markdown_code(a.model),
        instruction_a=instruction_a,
        system_a=comparison.system_a,
        value=markdown_code(b_model or ""),
        instruction_b=instruction_b,
        system_b=comparison.system_b,
    )


def left_out_caption(comparison: RunComparison) -> str | None:
    """Which queries only one of the two runs evaluated (the first five of each), or ``None`` when they share all."""
    if not (comparison.only_a or comparison.only_b):
        return None
    a, b = comparison.run_a, comparison.run_b
    parts = []
    if comparison.only_a:
        shown = escape_markdown(", ".join(comparison.only_a[:5]))
        parts.append(
            _("{n_only_a} only in run #{id} ({shown}…)").format(n_only_a=len(comparison.only_a), id=a.id, shown=shown)
        )
    if comparison.only_b:
        shown = escape_markdown(", ".join(comparison.only_b[:5]))
        parts.append(
            _("{n_only_b} only in run #{id} ({shown}…)").format(n_only_b=len(comparison.only_b), id=b.id, shown=shown)
        )
    return _("Left out of the comparison: ") + "; ".join(parts) + "."


__all__ = [
    "ALL_SETS",
    "SYSTEM_NAMES",
    "comparison_caption",
    "comparison_chart",
    "default_baseline",
    "left_out_caption",
    "run_label",
    "runs_of_set",
    "runs_table",
    "set_label",
]
