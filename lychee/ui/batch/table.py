"""A reranked batch without Streamlit: the stored result, its table (best first, rank changes, bands, duplicates),
the table as shown, its CSV / JSON downloads, the score chart, and the lines written about it.

:mod:`lychee.ui.batch.view` scores and draws; everything here is plain data in, data out, so tests call it directly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd

from lychee.bands import BAND_COLORS, band
from lychee.compare import rank_order, shift_label
from lychee.formatting import escape_markdown, markdown_code, shorten
from lychee.items import Item
from lychee.ui.caveats import GREYED_COLOR, GREYED_ICON
from lychee.ui.i18n import _, band_name, ngettext
from lychee.ui.shell.settings import Settings

#: Session key of the last result (a non-widget key, so it is still there after visiting another page).
RESULT_KEY = "batch_result"
BAND_ORDER = ("strong", "medium", "weak")
BAND_ICONS = {"strong": "🟢", "medium": "🟡", "weak": "🔴"}
#: The most characters of the instruction shown in the caption under the results (the JSON download has it all).
INSTRUCTION_CHARS = 118
#: The most characters of the query in the note over results whose inputs changed.
STALE_QUERY_CHARS = 60


@dataclass
class BatchResult:
    """One reranked batch, as kept in session state (scores in input order; bands are recomputed on display)."""

    query_text: str | None
    titles: list[str]
    scores: list[float]
    log_odds: list[float]
    truncated: list[bool]
    duplicate_of: list[int | None]
    blank_skipped: int
    source: str
    model: str
    instruction: str | None
    instruction_used: str
    seconds: float
    query_image_name: str | None = None
    query_video_name: str | None = None
    #: Warnings about the result itself (e.g. titles in a language the model does not read well), shown with it.
    notes: list[str] = field(default_factory=list)
    query: Item | None = field(default=None, repr=False)  # as scored: the A/B scores B on it, labelling saves it
    #: Why the bands mean nothing for this result (:func:`lychee.ui.caveats.band_caveat`); they are greyed then.
    band_caveat: str | None = None
    #: What the model is, when its scores are not probabilities (BM25): the page says it above the results.
    about_model: str | None = None

    def table(self, settings: Settings) -> pd.DataFrame:
        """The reranked table under the sidebar's band thresholds (:func:`results_table`)."""
        return results_table(
            self.titles,
            self.scores,
            log_odds=self.log_odds,
            truncated=self.truncated,
            duplicate_of=self.duplicate_of,
            strong=settings.strong,
            medium=settings.medium,
        )

    def meta(self, settings: Settings) -> dict[str, Any]:
        """What the JSON download says about the run: query, model, instruction, source, thresholds."""
        return {
            "query": self.query_text,
            "query_image": self.query_image_name,
            "query_video": self.query_video_name,
            "model": self.model,
            "instruction": self.instruction_used,
            "n_titles": len(self.titles),
            "blank_skipped": self.blank_skipped,
            "source": self.source,
            "band_thresholds": {"strong": settings.strong, "medium": settings.medium},
        }

    def outdated(self, settings: Settings) -> bool:
        """Whether the sidebar's model or instruction changed since these results were computed."""
        return self.model != settings.model or self.instruction != settings.instruction


def band_label(name: str, *, greyed: bool = False) -> str:
    """A band as the tables show it, after its coloured dot: ``"🟢 strong"``; a grey dot when the bands do not
    apply (``"⚪ strong"``). The name is in the session's language."""
    return f"{GREYED_ICON if greyed else BAND_ICONS[name]} {band_name(name)}"


def source_label(source: str) -> str:
    """Where a batch's titles came from (:func:`lychee.ui.batch.titles.titles_from_source`: ``"the text box"``,
    ``"CSV 'f.csv' column 'title'"``), in the session's language; the JSON download keeps the English."""
    if source == "the text box":
        return _("the text box")
    match = re.fullmatch(r"CSV '(.*)' column '(.*)'", source, flags=re.DOTALL)
    if match:
        return _("CSV '{file}' column '{column}'").format(file=match[1], column=match[2])
    return source


def results_table(
    titles: Sequence[str],
    scores: Sequence[float],
    *,
    log_odds: Sequence[float] | None = None,
    truncated: Sequence[bool] | None = None,
    duplicate_of: Sequence[int | None] | None = None,
    strong: float,
    medium: float,
) -> pd.DataFrame:
    """The reranked table, best first.

    Ties are broken like :meth:`BaseScorer.rank`: higher log-odds first, then input order.

    Args:
        titles: the titles in input order.
        scores: P(yes) per title, in input order.
        log_odds: per title; NaN when not given.
        truncated: per title, whether the model cut text to fit.
        duplicate_of: per title, the original rank of the title it repeats, or ``None``.
        strong, medium: band thresholds.

    Returns:
        Columns ``rank, original_rank, change, score, band, title, log_odds, duplicate_of, truncated``.

    Raises:
        ValueError: the sequences differ in length.
    """
    n = len(titles)
    log_odds = list(log_odds) if log_odds is not None else [float("nan")] * n
    truncated = list(truncated) if truncated is not None else [False] * n
    duplicate_of = list(duplicate_of) if duplicate_of is not None else [None] * n
    lengths = {
        "scores": len(scores),
        "log_odds": len(log_odds),
        "truncated": len(truncated),
        "duplicate_of": len(duplicate_of),
    }
    bad = {k: v for k, v in lengths.items() if v != n}
    if bad:
        raise ValueError(f"results_table: got {n} titles but {bad}; expected one value per title.")

    order = rank_order(scores, log_odds)
    rows = []
    for new_rank, i in enumerate(order, start=1):
        rows.append(
            {
                "rank": new_rank,
                "original_rank": i + 1,
                "change": shift_label(i + 1, new_rank),
                "score": float(scores[i]),
                "band": band(float(scores[i]), strong=strong, medium=medium),
                "title": titles[i],
                "log_odds": float(log_odds[i]),
                "duplicate_of": duplicate_of[i],
                "truncated": bool(truncated[i]),
            }
        )
    df = pd.DataFrame(
        rows,
        columns=["rank", "original_rank", "change", "score", "band", "title", "log_odds", "duplicate_of", "truncated"],
    )
    df["duplicate_of"] = df["duplicate_of"].astype("Int64")
    return df


def display_table(df: pd.DataFrame, *, greyed: bool = False) -> pd.DataFrame:
    """The results table as shown on the page: band with a coloured dot (grey when ``greyed``), duplicates as a
    readable note."""
    out = df.copy()
    out["band"] = [band_label(b, greyed=greyed) for b in df["band"]]
    out["duplicate_of"] = ["" if pd.isna(d) else _("duplicate of #{d}").format(d=int(d)) for d in df["duplicate_of"]]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """The results as UTF-8 CSV (with BOM-free header), one row per title, best first."""
    return df.to_csv(index=False).encode("utf-8")


def to_json_bytes(df: pd.DataFrame, meta: dict[str, Any]) -> bytes:
    """The results as JSON: ``{"meta": {...}, "results": [row, ...]}``; NaN becomes null."""
    records = json.loads(df.to_json(orient="records", force_ascii=False))
    return json.dumps({"meta": meta, "results": records}, ensure_ascii=False, indent=2).encode("utf-8")


def score_chart(df: pd.DataFrame, *, strong: float, medium: float, greyed: bool = False) -> alt.LayerChart:
    """Horizontal bars of P(yes) per title, best first, coloured by band (all grey when ``greyed``: the bands do not
    apply), with the thresholds as dashed rules."""
    colors = [GREYED_COLOR] * len(BAND_ORDER) if greyed else [BAND_COLORS[b] for b in BAND_ORDER]
    legend_title = _("Band (not meaningful here)") if greyed else _("Band")
    data = df.assign(
        label=[f"{r}. {t}" for r, t in zip(df["rank"], df["title"])], band_shown=[band_name(b) for b in df["band"]]
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title="P(yes)"),
            y=alt.Y("label:N", sort=list(data["label"]), title=None, axis=alt.Axis(labelLimit=360)),
            color=alt.Color(
                "band_shown:N",
                scale=alt.Scale(domain=[band_name(b) for b in BAND_ORDER], range=colors),
                legend=alt.Legend(title=legend_title, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("rank:Q", title=_("Rank")),
                alt.Tooltip("original_rank:Q", title=_("Original rank")),
                alt.Tooltip("title:N", title=_("Title")),
                alt.Tooltip("score:Q", title="P(yes)", format=".3f"),
                alt.Tooltip("band_shown:N", title=_("Band")),
            ],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"threshold": [medium, strong], "name": [band_name("medium"), band_name("strong")]}))
        .mark_rule(strokeDash=[4, 4], color="#555")
        .encode(
            x="threshold:Q",
            tooltip=[
                alt.Tooltip("name:N", title=_("Band")),
                alt.Tooltip("threshold:Q", title=_("Threshold"), format=".2f"),
            ],
        )
    )
    # A step height (px per bar) rather than a fixed height: Streamlit's stretch mode squeezes a fixed-height layered
    # chart until Vega hides most title labels.
    return (bars + rules).properties(height=alt.Step(22))


def input_notes(result: BatchResult) -> tuple[str | None, str | None, str | None]:
    """What parsing and scoring noticed, as the page words it: ``(blank lines skipped, duplicates kept, titles
    truncated)``, each ``None`` when there is nothing to say."""
    unit = "row" if result.source.startswith("CSV") else "line"
    blank = None
    if result.blank_skipped:
        n = result.blank_skipped
        if unit == "row":
            blank = ngettext("Skipped {n} blank row.", "Skipped {n} blank rows.", n).format(n=n)
        else:
            blank = ngettext("Skipped {n} blank line.", "Skipped {n} blank lines.", n).format(n=n)
    n_dup = sum(d is not None for d in result.duplicate_of)
    duplicates = None
    if n_dup:
        duplicates = ngettext(
            "{n} duplicate title is kept and marked “duplicate of #k” (k = original position of its first occurrence).",
            "{n} duplicate titles are kept and marked “duplicate of #k” (k = original position of its first "
            "occurrence).",
            n_dup,
        ).format(n=n_dup)
    n_trunc = sum(result.truncated)
    truncated = None
    if n_trunc:
        truncated = ngettext(
            "{n} title was longer than the model's maximum input and scored on truncated text (marked in the "
            "Truncated column).",
            "{n} titles were longer than the model's maximum input and scored on truncated text (marked in the "
            "Truncated column).",
            n_trunc,
        ).format(n=n_trunc)
    return blank, duplicates, truncated


def inputs_changed(
    result: BatchResult,
    *,
    query_text: str | None,
    image_name: str | None,
    video_name: str | None,
    titles: Sequence[str] | None,
) -> bool:
    """Whether the page's inputs now (the query box, the uploads' names, the titles as parsed; ``None`` when they do
    not parse) differ from those ``result`` was scored from."""
    text = query_text if query_text is not None and query_text.strip() else None
    return (
        (result.query_text, result.query_image_name, result.query_video_name) != (text, image_name, video_name)
        or titles is None
        or list(titles) != result.titles
    )


def stale_note(result: BatchResult) -> str:
    """The note over a result whose inputs have changed on the page since it was scored."""
    query = f"“{shorten(result.query_text, STALE_QUERY_CHARS)}”" if result.query_text else _("(no text)")
    return _(
        "These are the last results, for the query {query} and {n_titles} titles from {source}. The "
        "inputs above have changed since: click **Rerank** to rerank them."
    ).format(query=query, n_titles=len(result.titles), source=source_label(result.source))


def result_caption(result: BatchResult, n_titles: int) -> str:
    """The line under the top result: the query (text, image, clip), model, instruction, source and time."""
    only = {(True, False): _("(image only)"), (False, True): _("(clip only)")}.get(
        (bool(result.query_image_name), bool(result.query_video_name)), _("(no text)")
    )
    query_desc = f"“{escape_markdown(result.query_text)}”" if result.query_text else only
    if result.query_image_name:
        query_desc += _(" + image {query_image_name}").format(query_image_name=markdown_code(result.query_image_name))
    if result.query_video_name:
        query_desc += _(" + clip {query_video_name}").format(query_video_name=markdown_code(result.query_video_name))
    instruction = escape_markdown(shorten(result.instruction_used, INSTRUCTION_CHARS))
    return _(
        "Query {query_desc} · model {model} · instruction “{instruction}” · {n_titles} titles from "
        "{source} scored in {seconds:.2f} s"
    ).format(
        query_desc=query_desc,
        model=markdown_code(result.model),
        instruction=instruction,
        n_titles=n_titles,
        source=escape_markdown(source_label(result.source)),
        seconds=result.seconds,
    )


__all__ = [
    "BAND_ICONS",
    "BAND_ORDER",
    "RESULT_KEY",
    "BatchResult",
    "band_label",
    "display_table",
    "input_notes",
    "inputs_changed",
    "result_caption",
    "results_table",
    "score_chart",
    "stale_note",
    "to_csv_bytes",
    "to_json_bytes",
]
