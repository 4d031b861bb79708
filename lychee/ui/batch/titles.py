"""The titles to rerank, without Streamlit: one per line of a text box or one CSV column, the 50-title limit, blank
lines skipped and counted, duplicates kept and flagged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

MAX_TITLES = 50
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
    """Two titles are duplicates when they differ only in case and whitespace."""
    return " ".join(title.split()).casefold()


def _title_list(values: Sequence[str], *, what: str, unit: str, limit: int) -> TitleList:
    """The non-blank ``values`` as a :class:`TitleList`, within ``limit``, duplicates flagged."""
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


def titles_from_source(
    source: str, *, text: str | None, table: pd.DataFrame | None, column: str | None, csv_name: str
) -> tuple[TitleList, str]:
    """The titles of the page's chosen ``source`` (``"paste"`` or ``"csv"``) and where they came from, in words.

    Raises:
        ValueError: no titles, too many, or no CSV file to read them from (the message says what to do).
    """
    if source == "paste":
        return parse_titles(text or ""), "the text box"
    if table is not None and column is not None:
        return (
            titles_from_column(table, column, name=f"CSV file '{csv_name}'"),
            f"CSV '{csv_name}' column '{column}'",
        )
    raise ValueError("No CSV file to read titles from: upload a CSV above, or switch to pasting titles.")


__all__ = [
    "EXAMPLE_QUERY",
    "EXAMPLE_TITLES",
    "MAX_CSV_BYTES",
    "MAX_TITLES",
    "TitleList",
    "guess_title_column",
    "parse_titles",
    "read_csv",
    "titles_from_column",
    "titles_from_source",
]
