"""Batch rerank on the page: the CSV picker, scoring with a progress bar, and the results (table, chart, downloads).

Pure logic (parsing, limit, duplicates, table building) lives in :mod:`lychee.ui.batch`. The last result is kept in
``st.session_state["batch_result"]`` (a non-widget key) so it is still there after visiting another page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from lychee.items import Item
from lychee.language import language_warning
from lychee.ui import batch, render
from lychee.ui.models import get_scorer
from lychee.ui.progress import run_with_progress
from lychee.ui.settings import Settings
from lychee.ui.single import make_item
from lychee.ui.state import bind

RESULT_KEY = "batch_result"
CSV_KEY = "batch_csv"  # {"name": str, "data": bytes}: the uploaded CSV, kept across page switches
CSV_UPLOAD_KEY = "batch_csv_upload"


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

    def table(self, settings: Settings) -> pd.DataFrame:
        return batch.results_table(
            self.titles,
            self.scores,
            log_odds=self.log_odds,
            truncated=self.truncated,
            duplicate_of=self.duplicate_of,
            strong=settings.strong,
            medium=settings.medium,
        )

    def meta(self, settings: Settings) -> dict[str, Any]:
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


def _on_csv_upload() -> None:
    file = st.session_state.get(CSV_UPLOAD_KEY)
    if file is None:  # the user removed the file
        st.session_state.pop(CSV_KEY, None)
    else:
        st.session_state[CSV_KEY] = {"name": file.name, "data": file.getvalue()}


def csv_picker() -> tuple[pd.DataFrame | None, str | None, str]:
    """The CSV uploader, column picker and preview.

    Returns:
        ``(table, column, file name)``; ``(None, None, "")`` when there is no usable file (a message is shown).
    """
    st.file_uploader(
        "CSV file with one title per row",
        type=["csv", "tsv", "txt"],
        key=CSV_UPLOAD_KEY,
        on_change=_on_csv_upload,
        help="UTF-8, with a header row. The delimiter (comma, semicolon, tab, |) is detected.",
    )
    stored = st.session_state.get(CSV_KEY)
    if stored is None:
        st.info("Upload a CSV, then pick the column that holds the titles.")
        return None, None, ""
    if st.session_state.get(CSV_UPLOAD_KEY) is None:
        st.caption(f"Using `{stored['name']}` uploaded earlier. Upload another file to replace it.")
    try:
        df = batch.read_csv(stored["data"], name=f"CSV file '{stored['name']}'")
    except ValueError as exc:
        st.error(str(exc))
        return None, None, stored["name"]
    columns = list(df.columns)
    if st.session_state.get("batch_csv_column") not in columns:
        st.session_state["batch_csv_column"] = batch.guess_title_column(df)
    c1, c2 = st.columns([1, 2])
    column = c1.selectbox(
        "Title column",
        columns,
        help="The column whose cells are the titles to rerank.",
        **bind("batch_csv_column", columns[0]),
    )
    c2.caption(f"`{stored['name']}`: {len(df)} rows × {len(columns)} columns.")
    with c2.expander("Preview (first 5 rows)"):
        st.dataframe(df.head(5), hide_index=True, width="stretch")
    return df, column, stored["name"]


def run_batch(
    settings: Settings,
    *,
    query_text: str | None,
    query_file: Any,
    titles: batch.TitleList,
    source: str,
    query_video_file: Any = None,
) -> BatchResult | None:
    """Score ``titles`` against the query with a progress bar and store the result; errors are shown, not raised."""
    q_bytes = query_file.getvalue() if query_file is not None else None
    q_name = query_file.name if query_file is not None else None
    v_bytes = query_video_file.getvalue() if query_video_file is not None else None
    v_name = query_video_file.name if query_video_file is not None else None
    try:
        query = make_item(query_text, q_bytes, name="query", image_name=q_name, video_bytes=v_bytes, video_name=v_name)
    except (ValueError, TypeError) as exc:
        st.error(str(exc))
        return None
    scorer = get_scorer(settings)
    if scorer is None:
        return None
    start = time.perf_counter()
    ok, scored = run_with_progress(
        f"Scoring {len(titles.titles)} titles",
        lambda callback: (
            scorer.predict(query, titles.titles, settings.instruction, progress=callback),
            scorer.resolve_instruction(settings.instruction),
        ),
    )
    if not ok:
        return None
    preds, instruction_used = scored
    result = BatchResult(
        query_text=query.text,
        titles=list(titles.titles),
        scores=[p.score for p in preds],
        log_odds=[p.log_odds for p in preds],
        truncated=[p.truncated for p in preds],
        duplicate_of=list(titles.duplicate_of),
        blank_skipped=titles.blank_skipped,
        source=source,
        model=settings.model,
        instruction=settings.instruction,
        instruction_used=instruction_used,
        seconds=time.perf_counter() - start,
        query_image_name=q_name,
        query=query,
        query_video_name=v_name,
    )
    note = language_warning(
        scorer.capabilities.languages, scorer.name, [query.text, *titles.titles], what="the query and titles"
    )
    if note:
        result.notes.append(note)
    st.session_state[RESULT_KEY] = result
    return result


def download_table(df: pd.DataFrame, meta: dict[str, Any], *, label: str, file_stem: str, key: str) -> None:
    """CSV and JSON download buttons for a results table (``<file_stem>.csv`` / ``.json``; JSON carries ``meta``)."""
    d1, d2, _ = st.columns([1, 1, 3])
    for column, kind, data, mime in (
        (d1, "CSV", batch.to_csv_bytes(df), "text/csv"),
        (d2, "JSON", batch.to_json_bytes(df, meta), "application/json"),
    ):
        column.download_button(
            f"Download {label}{kind}",
            data,
            file_name=f"{file_stem}.{kind.lower()}",
            mime=mime,
            key=f"{key}_{kind.lower()}",
            icon=":material/download:",
            on_click="ignore",
        )


def render_result(result: BatchResult, settings: Settings) -> None:
    """Draw the notes, top result, band counts, table, chart and downloads of ``result``."""
    if result.model != settings.model or result.instruction != settings.instruction:
        st.info("The model or instruction changed since these results were computed. Click **Rerank** to update them.")
    df = result.table(settings)
    for note in result.notes:
        st.warning(note, icon=":material/translate:")

    unit = "row" if result.source.startswith("CSV") else "line"
    if result.blank_skipped:
        st.caption(f"Skipped {result.blank_skipped} blank {unit}{'s' if result.blank_skipped != 1 else ''}.")
    n_dup = sum(d is not None for d in result.duplicate_of)
    if n_dup:
        st.warning(
            f"{n_dup} duplicate title{'s are' if n_dup != 1 else ' is'} kept and marked “duplicate of #k” "
            "(k = original position of its first occurrence)."
        )
    n_trunc = sum(result.truncated)
    if n_trunc:
        st.warning(
            f"{n_trunc} title{'s were' if n_trunc != 1 else ' was'} longer than the model's maximum input and "
            "scored on truncated text (marked in the Truncated column)."
        )

    top = df.iloc[0]
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            render.top_result_html(
                str(top["title"]), float(top["score"]), str(top["band"]), rank_change=str(top["change"])
            ),
            unsafe_allow_html=True,
        )
    with right:
        counts = df["band"].value_counts()
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Titles", len(df))
        m2.metric("🟢 Strong", int(counts.get("strong", 0)))
        m3.metric("🟡 Medium", int(counts.get("medium", 0)))
        m4.metric("🔴 Weak", int(counts.get("weak", 0)))
    instr = result.instruction_used if len(result.instruction_used) <= 120 else result.instruction_used[:117] + "…"
    only = {(True, False): "(image only)", (False, True): "(clip only)"}.get(
        (bool(result.query_image_name), bool(result.query_video_name)), "(no text)"
    )
    query_desc = f"“{result.query_text}”" if result.query_text else only
    if result.query_image_name:
        query_desc += f" + image `{result.query_image_name}`"
    if result.query_video_name:
        query_desc += f" + clip `{result.query_video_name}`"
    st.caption(
        f"Query {query_desc} · model `{result.model}` · instruction “{instr}” · {len(df)} titles from {result.source} "
        f"scored in {result.seconds:.2f} s"
    )

    shown = batch.display_table(df)
    column_config: dict[str, Any] = {
        "rank": st.column_config.NumberColumn("Rank", format="%d", width="small", help="New rank, by P(yes)."),
        "original_rank": st.column_config.NumberColumn(
            "Original", format="%d", width="small", help="Position in your list."
        ),
        "change": st.column_config.TextColumn("Change", width="small", help="↑ moved up, ↓ moved down, = same place."),
        "score": st.column_config.ProgressColumn(
            "P(yes)", min_value=0.0, max_value=1.0, format="%.3f", width="medium", color="blue"
        ),
        "band": st.column_config.TextColumn("Band", width="small"),
        "title": st.column_config.TextColumn("Title"),
        "log_odds": st.column_config.NumberColumn("Log-odds", format="%+.2f", width="small"),
        "duplicate_of": st.column_config.TextColumn("Duplicate", width="small"),
        "truncated": st.column_config.CheckboxColumn("Truncated", width="small"),
    }
    if not n_dup:
        column_config["duplicate_of"] = None
    if not n_trunc:
        column_config["truncated"] = None
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * len(shown), 560),
        column_config=column_config,
    )
    download_table(df, result.meta(settings), label="", file_stem="rerank", key="batch_download")

    st.subheader("Scores by band")
    st.altair_chart(batch.score_chart(df, strong=settings.strong, medium=settings.medium), width="stretch")
