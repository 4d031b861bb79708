"""Batch rerank logic, free of Streamlit calls so tests can call it directly.

Parsing titles (one per line, or one CSV column), the 50-title limit, duplicate flags, the results table, its
downloads and the score chart.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt
import pandas as pd

from lychee.bands import BAND_COLORS, band
from lychee.compare import rank_order, shift_label

MAX_TITLES = 50
BAND_ORDER = ("strong", "medium", "weak")
BAND_ICONS = {"strong": "🟢", "medium": "🟡", "weak": "🔴"}
MAX_CSV_BYTES = 20 * 1024 * 1024

EXAMPLE_QUERY = "waterproof hiking boots for women"
EXAMPLE_TITLES = """\
Women's Waterproof Leather Hiking Boots, Mid-Cut, Vibram Sole
Men's Running Shoes Lightweight Breathable Mesh Sneakers
Women's Insulated Winter Snow Boots, Waterproof, Faux Fur Lining
Stainless Steel Insulated Water Bottle, 1 L
Women's Trail Hiking Shoes, Gore-Tex, Low Cut
Kids' Rain Boots with Easy-On Handles
Hiking Backpack 40 L with Rain Cover
Women's Waterproof Hiking Boots, Breathable, Ankle Support
Wool Hiking Socks, 3 Pairs, Cushioned
Men's Waterproof Hiking Boots, Leather, Wide Fit"""


@dataclass
class TitleList:
    """Titles ready to score, with what parsing noticed.

    Attributes:
        titles: the non-blank titles (stripped), in input order.
        sources: for each title, where it came from (line or row number, 1-based) for messages.
        blank_skipped: how many blank lines / empty cells were skipped.
        duplicate_of: for each title, the 1-based position (in ``titles``) of its first occurrence if it repeats an
            earlier title (compared case- and whitespace-insensitively), else ``None``. Duplicates are kept.
    """

    titles: list[str]
    sources: list[int] = field(default_factory=list)
    blank_skipped: int = 0
    duplicate_of: list[int | None] = field(default_factory=list)


def _dedupe_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def _title_list(values: Sequence[str], *, what: str, unit: str, limit: int) -> TitleList:
    titles: list[str] = []
    sources: list[int] = []
    blank = 0
    for i, value in enumerate(values, start=1):
        text = value.strip()
        if not text:
            blank += 1
            continue
        titles.append(text)
        sources.append(i)
    if not titles:
        raise ValueError(
            f"{what}: no titles found ({blank} blank {unit}{'s' if blank != 1 else ''}). "
            f"Expected one title per {unit}, at most {limit}."
        )
    if len(titles) > limit:
        raise ValueError(
            f"{what}: got {len(titles)} titles, but at most {limit} can be reranked at once. "
            f"Remove {len(titles) - limit} title{'s' if len(titles) - limit != 1 else ''} or split the list into "
            f"batches of {limit}."
        )
    first: dict[str, int] = {}
    duplicate_of: list[int | None] = []
    for pos, text in enumerate(titles, start=1):
        key = _dedupe_key(text)
        duplicate_of.append(first.get(key))
        first.setdefault(key, pos)
    return TitleList(titles=titles, sources=sources, blank_skipped=blank, duplicate_of=duplicate_of)


def parse_titles(text: str, *, limit: int = MAX_TITLES) -> TitleList:
    """Titles from a text area, one per line.

    Args:
        text: the raw text.
        limit: the most titles accepted.

    Returns:
        A :class:`TitleList`; blank lines are skipped (and counted), duplicates kept and flagged.

    Raises:
        ValueError: no titles, or more than ``limit`` (the message says how many were given and the limit).
        TypeError: ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise TypeError(f"titles: got {type(text).__name__}; expected text with one title per line.")
    return _title_list(text.splitlines(), what="titles", unit="line", limit=limit)


def read_csv(data: bytes, *, name: str = "CSV file") -> pd.DataFrame:
    """Parse an uploaded CSV (UTF-8, delimiter sniffed among ``, ; tab |``) into a DataFrame of strings.

    Raises:
        ValueError: empty, too large, not UTF-8, or not parseable as a table; the message names the file.
    """
    if len(data) == 0:
        raise ValueError(
            f"{name}: the file is empty (0 bytes). Expected a CSV with a header row and one title per row."
        )
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(
            f"{name}: {len(data) / 1024 / 1024:.1f} MiB is more than the {MAX_CSV_BYTES // 1024 // 1024} MiB accepted "
            f"for at most {MAX_TITLES} titles. Keep only the rows to rerank."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{name}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}). Expected a UTF-8 CSV; re-save it "
            "as 'CSV UTF-8' or paste the titles instead."
        ) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","  # one column (no delimiter to find) or ambiguous: comma is the CSV default
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise ValueError(
            f"{name}: cannot be read as CSV ({exc}). Expected a header row, then one title per row."
        ) from exc
    if df.shape[1] == 0:
        raise ValueError(f"{name}: has no columns. Expected a header row, then one title per row.")
    df.columns = [str(c) for c in df.columns]
    return df


def guess_title_column(df: pd.DataFrame) -> str:
    """The column most likely to hold titles: one named title/name/text/document..., else the longest text column."""
    for wanted in ("title", "titles", "name", "product", "text", "document", "passage", "doc"):
        for col in df.columns:
            if col.strip().lower() == wanted:
                return col
    lengths = {col: df[col].astype(str).str.len().mean() for col in df.columns}
    return max(df.columns, key=lambda c: lengths[c] if pd.notna(lengths[c]) else 0.0)


def titles_from_column(df: pd.DataFrame, column: str, *, limit: int = MAX_TITLES, name: str = "CSV file") -> TitleList:
    """Titles from one CSV column; empty cells are skipped and counted.

    Raises:
        ValueError: unknown column, no titles, or more than ``limit`` titles.
    """
    if column not in df.columns:
        raise ValueError(f"{name}: no column {column!r}; expected one of {list(df.columns)}.")
    values = ["" if v is None else str(v) for v in df[column].tolist()]
    return _title_list(values, what=f"{name}, column {column!r}", unit="row", limit=limit)


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


def display_table(df: pd.DataFrame) -> pd.DataFrame:
    """The results table as shown on the page: band with a coloured dot, duplicates as a readable note."""
    out = df.copy()
    out["band"] = [f"{BAND_ICONS[b]} {b}" for b in df["band"]]
    out["duplicate_of"] = ["" if pd.isna(d) else f"duplicate of #{int(d)}" for d in df["duplicate_of"]]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """The results as UTF-8 CSV (with BOM-free header), one row per title, best first."""
    return df.to_csv(index=False).encode("utf-8")


def to_json_bytes(df: pd.DataFrame, meta: dict[str, Any]) -> bytes:
    """The results as JSON: ``{"meta": {...}, "results": [row, ...]}``; NaN becomes null."""
    records = json.loads(df.to_json(orient="records", force_ascii=False))
    return json.dumps({"meta": meta, "results": records}, ensure_ascii=False, indent=2).encode("utf-8")


def score_chart(df: pd.DataFrame, *, strong: float, medium: float) -> alt.LayerChart:
    """Horizontal bars of P(yes) per title, best first, coloured by band, with the thresholds as dashed rules."""
    data = df.assign(label=[f"{r}. {t}" for r, t in zip(df["rank"], df["title"])])
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1]), title="P(yes)"),
            y=alt.Y("label:N", sort=list(data["label"]), title=None, axis=alt.Axis(labelLimit=360)),
            color=alt.Color(
                "band:N",
                scale=alt.Scale(domain=list(BAND_ORDER), range=[BAND_COLORS[b] for b in BAND_ORDER]),
                legend=alt.Legend(title="Band", orient="top"),
            ),
            tooltip=[
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("original_rank:Q", title="Original rank"),
                alt.Tooltip("title:N", title="Title"),
                alt.Tooltip("score:Q", title="P(yes)", format=".3f"),
                alt.Tooltip("band:N", title="Band"),
            ],
        )
    )
    rules = (
        alt.Chart(pd.DataFrame({"threshold": [medium, strong], "name": ["medium", "strong"]}))
        .mark_rule(strokeDash=[4, 4], color="#555")
        .encode(x="threshold:Q", tooltip=["name:N", alt.Tooltip("threshold:Q", format=".2f")])
    )
    # A step height (px per bar) rather than a fixed height: Streamlit's stretch mode squeezes a fixed-height layered
    # chart until Vega hides most title labels.
    return (bars + rules).properties(height=alt.Step(22))
