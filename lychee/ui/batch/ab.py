"""Batch A/B without Streamlit: what B is, B's scores beside A's, the agreement of the two rankings, the slope chart
and the lines written about it.

A is what the sidebar chose (the page's usual rerank). B differs in one thing: its instruction (same model), or its
model (another loaded model, same instruction). The maths (ranks, Kendall's tau, top-10 overlap, the joined table) is
:mod:`lychee.compare`; :mod:`lychee.ui.batch.ab_view` draws the controls, scores B and renders the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd

from lychee.compare import OVERLAP_K, Overlap, ab_table, kendall_tau, top_k_overlap
from lychee.formatting import escape_markdown, markdown_code, shorten
from lychee.scorers.lexical import BM25_MODEL
from lychee.serving import ModelKey
from lychee.ui.batch.table import BatchResult, band_label
from lychee.ui.i18n import N_, _
from lychee.ui.shell.settings import PRESETS, Settings

# With LYCHEE_LOCK_MODEL=1 the server serves one model: no free checkpoint field here either.
LOCKED_MODEL_B = N_(
    "Model B: comparing with another model is off on this server (LYCHEE_LOCK_MODEL=1 serves one model). "
    "Compare two instructions instead."
)

#: Session key of the A/B result (a non-widget key), tied to the A result it extends.
AB_RESULT_KEY = "batch_ab_result"
MODES = {"instruction": N_("Another instruction (same model)"), "model": N_("Another model (same instruction)")}
DEFAULT_INSTRUCTION_B = PRESETS["E-commerce product search"]
SHIFT_COLORS = {N_("up under B"): "#2e7d32", N_("down under B"): "#c62828", N_("same place"): "#9e9e9e"}
#: The most characters of a title the slope chart writes beside its rank.
SLOPE_TITLE_CHARS = 40
#: The most characters of an instruction the A/B caption shows.
INSTRUCTION_CHARS = 100


@dataclass(frozen=True)
class ABChoice:
    """What B is: ``mode`` ``"instruction"`` (``instruction_b`` on A's model) or ``"model"`` (``model_b`` with A's
    instruction). ``model_b`` is a cache key ``(model, device, dtype)``, ``None`` when no second model is loaded."""

    mode: Literal["instruction", "model"]
    instruction_b: str | None = None
    model_b: ModelKey | None = None


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
    #: Why B's bands mean nothing (:func:`lychee.ui.caveats.band_caveat`), e.g. B is BM25; A's is ``a.band_caveat``.
    band_caveat_b: str | None = None

    @property
    def names(self) -> tuple[str, str]:
        """Short names of A and B for headers and the chart."""
        if self.mode == "instruction":
            return _("A (sidebar instruction)"), _("B (instruction B)")
        return _("A ({model})").format(model=self.a.model), _("B ({model_b})").format(model_b=self.model_b)

    def table(self, settings: Settings) -> pd.DataFrame:
        """A's and B's ranks side by side, in A's order (:func:`lychee.compare.ab_table`)."""
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
        """What the A/B JSON download says about the comparison: both set-ups, agreement, thresholds."""
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


def model_label(key: ModelKey) -> str:
    """A loaded model as the Model B picker lists it: ``name (device, dtype)``; BM25 says what it is."""
    model, device, dtype = key
    if model == BM25_MODEL:
        return _("bm25 (lexical baseline: shared words, any language)")
    extras = ", ".join(x for x in (device, dtype) if x)
    return f"{model} ({extras})" if extras else model


def caption(result: ABResult) -> str:
    """The line under the A/B heading: what A and B used (instructions shortened)."""
    a = result.a
    if result.mode == "instruction":
        return _("Model {model} · A: “{instruction_used}” · B: “{instruction_used_b}”").format(
            model=markdown_code(a.model),
            instruction_used=_short(a.instruction_used),
            instruction_used_b=_short(result.instruction_used_b),
        )
    return _(
        "Instruction “{instruction_used}” · A: {model} · B: {model_b} (B instruction as the model read "
        "it: “{instruction_used_b}”)"
    ).format(
        instruction_used=_short(a.instruction_used),
        model=markdown_code(a.model),
        model_b=markdown_code(result.model_b),
        instruction_used_b=_short(result.instruction_used_b),
    )


def _short(instruction: str) -> str:
    """An instruction shortened and escaped for the caption's markdown."""
    return escape_markdown(shorten(instruction, INSTRUCTION_CHARS))


def display_table(df: pd.DataFrame, *, greyed_a: bool = False, greyed_b: bool = False) -> pd.DataFrame:
    """The A/B table as shown: the bands with their coloured dots (grey on a side whose bands do not apply), the
    columns in the page's order."""
    out = df.copy()
    out["band_a"] = [band_label(b, greyed=greyed_a) for b in df["band_a"]]
    out["band_b"] = [band_label(b, greyed=greyed_b) for b in df["band_b"]]
    return out[
        [
            "rank_a",
            "rank_b",
            "moved",
            "title",
            "score_a",
            "band_a",
            "score_b",
            "band_b",
            "log_odds_a",
            "log_odds_b",
            "original_rank",
        ]
    ]


def slope_chart(df: pd.DataFrame, *, names: tuple[str, str] = ("A", "B")) -> alt.LayerChart:
    """Each title's rank under A (left) joined to its rank under B (right); green moved up under B, red down.

    Args:
        df: :func:`lychee.compare.ab_table`'s output.
        names: the axis labels of the two sides.
    """
    direction = [_("up under B") if s > 0 else _("down under B") if s < 0 else _("same place") for s in df["shift"]]
    short = [shorten(t, SLOPE_TITLE_CHARS) for t in df["title"]]
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
        scale=alt.Scale(domain=[_(d) for d in SHIFT_COLORS], range=list(SHIFT_COLORS.values())),
        legend=alt.Legend(title=_("Under B"), orient="top"),
    )
    tooltip = [
        alt.Tooltip("title:N", title=_("Title")),
        alt.Tooltip("moved:N", title=_("Shift")),
        alt.Tooltip("side:N", title=_("Side")),
        alt.Tooltip("rank:Q", title=_("Rank")),
    ]
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


__all__ = [
    "AB_RESULT_KEY",
    "DEFAULT_INSTRUCTION_B",
    "LOCKED_MODEL_B",
    "MODES",
    "ABChoice",
    "ABResult",
    "caption",
    "display_table",
    "model_label",
    "slope_chart",
]
