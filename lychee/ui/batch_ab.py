"""Batch A/B on the Batch rerank page: the same query and titles under two instructions, or two models.

A is what the sidebar chose (the page's usual rerank). B differs in one thing: its instruction (same model), or its
model (another loaded model, same instruction). The maths (ranks, Kendall's tau, top-10 overlap, the joined table) is
:mod:`lychee.compare`; this module draws the controls, scores B with a progress bar and renders the comparison. The
result lives in ``st.session_state["batch_ab_result"]`` (a non-widget key), tied to the A result it extends, so it
survives page switches and disappears when A is recomputed without the A/B.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd
import streamlit as st

from lychee.compare import OVERLAP_K, Overlap, ab_table, kendall_tau, top_k_overlap
from lychee.scorers.remote import is_remote
from lychee.serving import model_locked
from lychee.ui import batch, models
from lychee.ui.batch_view import BatchResult, download_table
from lychee.ui.progress import run_with_progress
from lychee.ui.settings import Settings
from lychee.ui.sidebar import PRESETS
from lychee.ui.state import bind

# With LYCHEE_LOCK_MODEL=1 the server serves one model: no free checkpoint field here either.
LOCKED_MODEL_B = (
    "Model B: comparing with another model is off on this server (LYCHEE_LOCK_MODEL=1 serves one model). "
    "Compare two instructions instead."
)

AB_RESULT_KEY = "batch_ab_result"
MODES = {"instruction": "Another instruction (same model)", "model": "Another model (same instruction)"}
DEFAULT_INSTRUCTION_B = PRESETS["E-commerce product search"]
SHIFT_COLORS = {"up under B": "#2e7d32", "down under B": "#c62828", "same place": "#9e9e9e"}


@dataclass(frozen=True)
class ABChoice:
    """What B is: ``mode`` ``"instruction"`` (``instruction_b`` on A's model) or ``"model"`` (``model_b`` with A's
    instruction). ``model_b`` is a cache key ``(model, device, dtype)``, ``None`` when no second model is loaded."""

    mode: Literal["instruction", "model"]
    instruction_b: str | None = None
    model_b: models.ModelKey | None = None


@dataclass
class ABResult:
    """B's scores for the titles of one A result (input order), and how B was set up."""

    a: BatchResult
    mode: Literal["instruction", "model"]
    model_b: str
    instruction_b: str | None
    instruction_used_b: str
    scores: list[float]
    log_odds: list[float]
    truncated: list[bool]
    seconds: float

    @property
    def names(self) -> tuple[str, str]:
        """Short names of A and B for headers and the chart."""
        if self.mode == "instruction":
            return "A (sidebar instruction)", "B (instruction B)"
        return f"A ({self.a.model})", f"B ({self.model_b})"

    def table(self, settings: Settings) -> pd.DataFrame:
        return ab_table(
            self.a.titles,
            self.a.scores,
            self.scores,
            log_odds_a=self.a.log_odds,
            log_odds_b=self.log_odds,
            duplicate_of=self.a.duplicate_of,
            strong=settings.strong,
            medium=settings.medium,
        )

    def agreement(self, df: pd.DataFrame) -> tuple[float | None, Overlap]:
        """Kendall's tau and the top-10 overlap of the two rankings in ``df`` (from :meth:`table`)."""
        ranks_a, ranks_b = df["rank_a"].tolist(), df["rank_b"].tolist()
        return kendall_tau(ranks_a, ranks_b), top_k_overlap(ranks_a, ranks_b, k=OVERLAP_K)

    def meta(self, settings: Settings, df: pd.DataFrame) -> dict[str, Any]:
        tau, overlap = self.agreement(df)
        a_meta = self.a.meta(settings)
        return {
            "query": a_meta["query"],
            "query_image": a_meta["query_image"],
            "n_titles": len(self.a.titles),
            "source": a_meta["source"],
            "a": {"model": self.a.model, "instruction": self.a.instruction_used},
            "b": {"model": self.model_b, "instruction": self.instruction_used_b},
            "differs_by": self.mode,
            "kendall_tau": tau,
            f"top{OVERLAP_K}_overlap": {"shared": overlap.shared, "of": overlap.depth, "fraction": overlap.fraction},
            "shift": "rank_a - rank_b: positive when B ranks the title higher",
            "band_thresholds": a_meta["band_thresholds"],
        }


# --- controls -------------------------------------------------------------------------------------------------------
def controls(settings: Settings) -> ABChoice | None:
    """The A/B toggle and B's set-up (drawn above the batch form); ``None`` while the A/B is off."""
    on = st.toggle(
        "A/B: score the same titles a second way (B) and compare",
        help="A is the sidebar's model and instruction. B changes one of them; both rankings are shown side by side.",
        **bind("batch_ab", False),
    )
    if not on:
        return None
    with st.container(border=True):
        mode = st.radio(
            "B uses",
            list(MODES),
            format_func=MODES.__getitem__,
            horizontal=True,
            **bind("batch_ab_mode", "instruction"),
        )
        if mode == "instruction":
            text = st.text_area(
                "Instruction B",
                height=80,
                help="Compared against the sidebar's instruction (A), on the sidebar's model.",
                **bind("batch_ab_instruction_b", DEFAULT_INSTRUCTION_B),
            )
            if models.uses_instruction(settings) is False:
                st.warning(
                    f"The model `{settings.model}` ignores the instruction, so A and B will rank identically. Load a "
                    "Lychee / Qwen3-VL reranker in the sidebar to compare instructions."
                )
            return ABChoice(mode="instruction", instruction_b=text)
        return ABChoice(mode="model", model_b=_model_b_picker(settings))


def _model_label(key: models.ModelKey) -> str:
    model, device, dtype = key
    extras = ", ".join(x for x in (device, dtype) if x)
    return f"{model} ({extras})" if extras else model


def _model_b_picker(settings: Settings) -> models.ModelKey | None:
    if model_locked():
        st.info(LOCKED_MODEL_B)
        return None
    own = models.model_key(settings)
    others = [m.key for m in models.loaded_models() if m.key != own]
    st.session_state.setdefault("batch_ab_model_path", "")
    if others:
        stored = st.session_state.get("batch_ab_model_b")
        if stored is None or tuple(stored) not in others:
            st.session_state["batch_ab_model_b"] = others[-1]
        choice = st.selectbox(
            "Model B",
            others,
            format_func=_model_label,
            help="Models loaded right now, besides the sidebar's (A). B uses the sidebar's instruction.",
            **bind("batch_ab_model_b", others[-1]),
        )
    else:
        choice = None
        st.info(
            f"Only the sidebar's model (`{settings.model}`) is loaded. Load a second model as B below: it is kept next "
            "to A (the sidebar's model is not released)."
        )
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.text_input(
        "Load another model as B",
        placeholder="'default', /models/lychee-rerank-mm, a cached hub id, or http://host:port",
        help="A checkpoint folder or hub id (downloads only with LYCHEE_ALLOW_DOWNLOAD=1), 'default', or the URL of a "
        "served model (see docs/deploy.md).",
        **bind("batch_ab_model_path", ""),
    )
    if c2.button("Load model B", key="batch_ab_load", icon=":material/download:"):
        path = st.session_state["batch_ab_model_path"].strip()
        # a served model runs where its server put it: the sidebar's device / dtype are for local checkpoints
        key = (path, None, None) if is_remote(path) else (path, settings.device, settings.dtype)
        if not path:
            st.error("Model B: the box is empty. Type 'default', a checkpoint folder or a hub id, then click Load.")
        elif key == own:
            st.error(f"Model B: `{path}` is the sidebar's model (A). Type another model to compare against.")
        elif models.load_second(key) is not None:
            st.session_state["batch_ab_model_b"] = key
            st.rerun()
    return None if choice is None else tuple(choice)


# --- scoring --------------------------------------------------------------------------------------------------------
def after_rerank(a: BatchResult | None, choice: ABChoice | None, settings: Settings) -> ABResult | None:
    """After the page's rerank: score B when the A/B is on (and A succeeded), else forget any earlier A/B result."""
    if a is None or choice is None:
        if a is not None:
            st.session_state.pop(AB_RESULT_KEY, None)
        return None
    return run_b(a, choice, settings)


def run_b(a: BatchResult, choice: ABChoice, settings: Settings) -> ABResult | None:
    """Score A's query and titles under B and store the result; errors are shown, not raised."""
    st.session_state.pop(AB_RESULT_KEY, None)
    if a.query is None:
        st.error("A/B: the A result holds no query to score again. Click **Rerank** once more.")
        return None
    if choice.mode == "instruction":
        instruction_b = (choice.instruction_b or "").strip()
        if not instruction_b:
            st.error(
                "Instruction B is empty: type the instruction to compare against the sidebar's, or switch the A/B off."
            )
            return None
        scorer = models.get_scorer(settings)
        model_b, instruction = settings.model, choice.instruction_b
    else:
        if choice.model_b is None:
            st.error(
                LOCKED_MODEL_B
                if model_locked()
                else "Model B: no second model is loaded. Load one under **Load another model as B**, then rerank."
            )
            return None
        loaded = models.load_second(choice.model_b)
        scorer = None if loaded is None else loaded.scorer
        model_b, instruction = choice.model_b[0], settings.instruction
    if scorer is None:
        return None
    start = time.perf_counter()
    ok, scored = run_with_progress(
        f"Scoring {len(a.titles)} titles under B",
        lambda callback: (
            scorer.predict(a.query, a.titles, instruction, progress=callback),
            scorer.resolve_instruction(instruction),
        ),
    )
    if not ok:
        return None
    preds, instruction_used = scored
    result = ABResult(
        a=a,
        mode=choice.mode,
        model_b=model_b,
        instruction_b=instruction,
        instruction_used_b=instruction_used,
        scores=[p.score for p in preds],
        log_odds=[p.log_odds for p in preds],
        truncated=[p.truncated for p in preds],
        seconds=time.perf_counter() - start,
    )
    st.session_state[AB_RESULT_KEY] = result
    return result


def current(a: BatchResult) -> ABResult | None:
    """The stored A/B result if it extends ``a`` (the page's current result), else ``None``."""
    result = st.session_state.get(AB_RESULT_KEY)
    return result if isinstance(result, ABResult) and result.a is a else None


# --- rendering ------------------------------------------------------------------------------------------------------
def slope_chart(df: pd.DataFrame, *, names: tuple[str, str] = ("A", "B")) -> alt.LayerChart:
    """Each title's rank under A (left) joined to its rank under B (right); green moved up under B, red down.

    Args:
        df: :func:`lychee.compare.ab_table`'s output.
        names: the axis labels of the two sides.
    """
    direction = ["up under B" if s > 0 else "down under B" if s < 0 else "same place" for s in df["shift"]]
    short = [t if len(t) <= 40 else t[:39] + "…" for t in df["title"]]
    rows = []
    for i, row in enumerate(df.itertuples(index=False)):
        common = {"title": row.title, "moved": row.moved, "direction": direction[i], "key": int(row.original_rank)}
        rows.append({**common, "side": names[0], "rank": int(row.rank_a), "label": f"{row.rank_a}. {short[i]}"})
        rows.append({**common, "side": names[1], "rank": int(row.rank_b), "label": f"{row.rank_b}. {short[i]}"})
    data = pd.DataFrame(rows)
    n = len(df)
    # Ordinal ranks with a step height (px per rank): Streamlit squeezes a fixed-height layered chart otherwise.
    y = alt.Y("rank:O", scale=alt.Scale(domain=list(range(1, n + 1))), axis=None)
    x = alt.X(
        "side:N",
        sort=list(names),
        title=None,
        axis=alt.Axis(orient="top", labelAngle=0, labelLimit=420),
        scale=alt.Scale(padding=1.0),
    )
    color = alt.Color(
        "direction:N",
        scale=alt.Scale(domain=list(SHIFT_COLORS), range=list(SHIFT_COLORS.values())),
        legend=alt.Legend(title="Under B", orient="top"),
    )
    tooltip = [alt.Tooltip("title:N", title="Title"), alt.Tooltip("moved:N", title="Shift"), "side:N", "rank:Q"]
    base = alt.Chart(data).encode(x=x, y=y, color=color, tooltip=tooltip)
    lines = base.mark_line(strokeWidth=2, opacity=0.8).encode(detail="key:N")
    dots = base.mark_circle(size=50)
    left = (
        base.transform_filter(alt.datum.side == names[0])
        .mark_text(align="right", dx=-8, fontSize=11)
        .encode(text="label:N", color=alt.value("#333"))
    )
    right = (
        base.transform_filter(alt.datum.side == names[1])
        .mark_text(align="left", dx=8, fontSize=11)
        .encode(text="label:N", color=alt.value("#333"))
    )
    return alt.layer(lines, dots, left, right).properties(height=alt.Step(24), width=900)


def render(a: BatchResult, settings: Settings) -> None:
    """Draw the A/B section for ``a`` when an A/B result extends it: agreement, side-by-side table, chart, downloads."""
    result = current(a)
    if result is None:
        return
    df = result.table(settings)
    tau, overlap = result.agreement(df)
    name_a, name_b = result.names
    st.divider()
    st.subheader(f"A/B: {name_a} vs {name_b}")
    if result.mode == "instruction":
        st.caption(f"Model `{a.model}` · A: “{_short(a.instruction_used)}” · B: “{_short(result.instruction_used_b)}”")
    else:
        st.caption(
            f"Instruction “{_short(a.instruction_used)}” · A: `{a.model}` · B: `{result.model_b}` "
            f"(B instruction as the model read it: “{_short(result.instruction_used_b)}”)"
        )
    moved = int((df["shift"] != 0).sum())
    biggest = int(df["shift"].abs().max()) if len(df) else 0
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        "Kendall's tau",
        "—" if tau is None else f"{tau:+.3f}",
        help="Agreement of the two rankings over every pair of titles: +1 same order, 0 unrelated, -1 reversed.",
    )
    m2.metric(
        f"Top-{OVERLAP_K} overlap",
        f"{overlap.shared}/{overlap.depth}",
        help=f"How many of A's top {overlap.depth} titles are also in B's top {overlap.depth}.",
    )
    m3.metric("Titles that moved", f"{moved}/{len(df)}")
    m4.metric("Largest move", f"{biggest} place{'s' if biggest != 1 else ''}")
    if result.mode == "instruction" and result.instruction_used_b == a.instruction_used:
        st.info("Both sides used the same instruction (as the model read it), so the rankings are identical.")
    if any(result.truncated):
        st.warning(f"{sum(result.truncated)} title(s) were truncated to fit model B's maximum input.")
    st.dataframe(
        _display(df),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(df), 560),
        column_config=_columns(name_a, name_b),
    )
    download_table(df, result.meta(settings, df), label="A/B ", file_stem="rerank_ab", key="batch_ab_download")
    st.markdown("**Rank moves from A to B**")
    st.altair_chart(slope_chart(df, names=(name_a, name_b)), width="content")


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _display(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["band_a"] = [f"{batch.BAND_ICONS[b]} {b}" for b in df["band_a"]]
    out["band_b"] = [f"{batch.BAND_ICONS[b]} {b}" for b in df["band_b"]]
    return out[["rank_a", "rank_b", "moved", "score_a", "band_a", "score_b", "band_b", "title", "original_rank"]]


def _columns(name_a: str, name_b: str) -> dict[str, Any]:
    def score(label: str) -> Any:
        return st.column_config.ProgressColumn(
            label, min_value=0.0, max_value=1.0, format="%.3f", width="small", color="blue"
        )

    return {
        "rank_a": st.column_config.NumberColumn("Rank A", format="%d", width="small", help=name_a),
        "rank_b": st.column_config.NumberColumn("Rank B", format="%d", width="small", help=name_b),
        "moved": st.column_config.TextColumn("Shift", width="small", help="↑ B ranks it higher, ↓ lower, = same."),
        "score_a": score("P(yes) A"),
        "band_a": st.column_config.TextColumn("Band A", width="small"),
        "score_b": score("P(yes) B"),
        "band_b": st.column_config.TextColumn("Band B", width="small"),
        "title": st.column_config.TextColumn("Title"),
        "original_rank": st.column_config.NumberColumn("Original", format="%d", width="small"),
    }


__all__ = [
    "AB_RESULT_KEY",
    "ABChoice",
    "ABResult",
    "LOCKED_MODEL_B",
    "after_rerank",
    "controls",
    "current",
    "render",
    "run_b",
    "slope_chart",
]
