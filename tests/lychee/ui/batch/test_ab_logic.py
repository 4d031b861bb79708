"""Batch A/B without Streamlit (lychee.ui.batch.ab): B beside A, agreement, the caption, the table and the chart."""

from __future__ import annotations

from lychee.ui.batch.ab import ABResult, caption, display_table, model_label, slope_chart
from lychee.ui.batch.table import BatchResult
from lychee.ui.shell.settings import Settings

TITLES = ["boots", "socks", "a very long title that the slope chart has to cut short somewhere"]


def _a() -> BatchResult:
    return BatchResult(
        query_text="hiking",
        titles=TITLES,
        scores=[0.9, 0.6, 0.1],
        log_odds=[2.2, 0.4, -2.2],
        truncated=[False] * 3,
        duplicate_of=[None] * 3,
        blank_skipped=0,
        source="the text box",
        model="default",
        instruction=None,
        instruction_used="Given a web search query, retrieve relevant passages that answer the query",
        seconds=0.1,
    )


def _b(mode: str = "instruction") -> ABResult:
    return ABResult(
        a=_a(),
        mode=mode,
        model_b="default" if mode == "instruction" else "/models/lychee",
        instruction_b="Rank what a hiker buys.",
        instruction_used_b="Rank what a hiker buys.",
        scores=[0.2, 0.8, 0.7],
        log_odds=[-1.4, 1.4, 0.8],
        truncated=[False] * 3,
        seconds=0.1,
    )


def test_b_beside_a_with_agreement_and_metadata():
    result = _b()
    df = result.table(Settings())
    assert df["rank_a"].tolist() == [1, 2, 3] and df["rank_b"].tolist() == [3, 1, 2]
    tau, overlap = result.agreement(df)
    assert tau == -1 / 3 and (overlap.shared, overlap.depth) == (3, 3)
    meta = result.meta(Settings(), df)
    assert meta["differs_by"] == "instruction" and meta["b"]["instruction"] == "Rank what a hiker buys."
    assert meta["top10_overlap"] == {"shared": 3, "of": 3, "fraction": 1.0}
    shown = display_table(df)
    assert shown.columns.tolist()[:3] == ["rank_a", "rank_b", "moved"]
    assert shown["band_a"].tolist() == ["🟢 strong", "🟡 medium", "🔴 weak"]


def test_names_and_captions_follow_what_b_changes():
    assert _b().names == ("A (sidebar instruction)", "B (instruction B)")
    assert caption(_b()) == (
        "Model `default` · A: “Given a web search query\\, retrieve relevant passages that answer the query” · "
        "B: “Rank what a hiker buys\\.”"  # user-written text, escaped for markdown
    )
    assert _b("model").names == ("A (default)", "B (/models/lychee)")
    assert caption(_b("model")).startswith("Instruction “Given a web search query")
    assert model_label(("/models/lychee", "cuda", "bfloat16")) == "/models/lychee (cuda, bfloat16)"
    assert model_label(("default", None, None)) == "default"


def test_the_slope_chart_cuts_long_titles_and_colours_moves():
    spec = slope_chart(_b().table(Settings()), names=("A", "B")).to_dict()
    rows = next(iter(spec["datasets"].values()))
    labels = {row["label"] for row in rows}
    assert "3. a very long title that the slope chart …" in labels  # 39 characters and an ellipsis
    assert {row["direction"] for row in rows} == {"down under B", "up under B"}
