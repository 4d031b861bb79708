"""Batch rerank on the page: the CSV picker, scoring with a progress bar, and the results, one function per section
(notes, top result and band counts, the table and its downloads, the score chart).

Parsing and limits are :mod:`lychee.ui.batch.titles`; the stored result, its table and downloads
:mod:`lychee.ui.batch.table`. The last result is kept in ``st.session_state["batch_result"]`` (a non-widget key) so it
is still there after visiting another page.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from lychee.formatting import markdown_code
from lychee.ui import render
from lychee.ui.batch.table import (
    RESULT_KEY,
    BatchResult,
    display_table,
    input_notes,
    inputs_changed,
    result_caption,
    score_chart,
    stale_note,
    to_csv_bytes,
    to_json_bytes,
)
from lychee.ui.batch.titles import TitleList, guess_title_column, read_csv, titles_from_source
from lychee.ui.caveats import band_caveat, language_note
from lychee.ui.i18n import _
from lychee.ui.inputs import make_item, modality_refusal, read_upload
from lychee.ui.model_notes import model_note
from lychee.ui.shell import notices
from lychee.ui.shell.models import get_scorer
from lychee.ui.shell.progress import run_with_progress
from lychee.ui.shell.settings import Settings
from lychee.ui.shell.state import bind
from lychee.ui.uploads import keep_widget_upload, upload_bytes

#: Column widths (px) of the results tables: rank, title, score, band and the rest fit the 820 px a 1280 px wide
#: window leaves beside the sidebar. Rows taller than 64 px let Streamlit wrap a long title instead of cutting it.
RANK_WIDTH, TITLE_WIDTH, SCORE_WIDTH, BAND_WIDTH, NARROW_WIDTH = 56, 300, 110, 100, 72
WRAPPED_ROW_HEIGHT = 66
CSV_KEY = "batch_csv"  # {"name", "path", "size"} (lychee.ui.uploads): the uploaded CSV, kept across page switches
CSV_ERROR_KEY = "batch_csv_error"  # an upload the server would not keep (too large), said once
CSV_UPLOAD_KEY = "batch_csv_upload"


def _on_csv_upload() -> None:
    """Keep the uploaded CSV under a non-widget key (it survives page switches), or forget it when removed."""
    keep_widget_upload(st.session_state, CSV_UPLOAD_KEY, CSV_KEY, CSV_ERROR_KEY)


def csv_picker() -> tuple[pd.DataFrame | None, str | None, str]:
    """The CSV uploader, column picker and preview.

    Returns:
        ``(table, column, file name)``; ``(None, None, "")`` when there is no usable file (a message is shown).
    """
    st.file_uploader(
        _("CSV file with one title per row"),
        type=["csv", "tsv", "txt"],
        key=CSV_UPLOAD_KEY,
        on_change=_on_csv_upload,
        help=_("UTF-8, with a header row. The delimiter (comma, semicolon, tab, |) is detected."),
    )
    error = st.session_state.pop(CSV_ERROR_KEY, None)
    if error is not None:
        notices.library_error(error, _("This file was not kept. Upload a smaller file, or fewer files at once."))
    stored = st.session_state.get(CSV_KEY)
    if stored is None:
        st.info(_("Upload a CSV, then pick the column that holds the titles."))
        return None, None, ""
    if st.session_state.get(CSV_UPLOAD_KEY) is None:
        st.caption(
            _("Using {name} uploaded earlier. Upload another file to replace it.").format(
                name=markdown_code(stored["name"])
            )
        )
    try:
        df = read_csv(upload_bytes(stored), name=f"CSV file '{stored['name']}'")
    except ValueError as exc:
        notices.library_error(
            str(exc), _("This CSV cannot be read. Fix the file as the message says, then upload it again.")
        )
        return None, None, stored["name"]
    columns = list(df.columns)
    if st.session_state.get("batch_csv_column") not in columns:
        st.session_state["batch_csv_column"] = guess_title_column(df)
    c1, c2 = st.columns([1, 2])
    column = c1.selectbox(
        _("Title column"),
        columns,
        help=_("The column whose cells are the titles to rerank."),
        **bind("batch_csv_column", columns[0]),
    )
    c2.caption(
        _("`{name}`: {n_df} rows × {n_columns} columns.").format(
            name=stored["name"], n_df=len(df), n_columns=len(columns)
        )
    )
    with c2.expander(_("Preview (first 5 rows)")):
        st.dataframe(df.head(5), hide_index=True, width="stretch")
    return df, column, stored["name"]


def run_batch(
    settings: Settings,
    *,
    query_text: str | None,
    query_file: Any,
    titles: TitleList,
    source: str,
    query_video_file: Any = None,
) -> BatchResult | None:
    """Score ``titles`` against the query with a progress bar and store the result; errors are shown, not raised."""
    q_bytes, q_name = read_upload(query_file)
    v_bytes, v_name = read_upload(query_video_file)
    scorer = get_scorer(settings)
    if scorer is None:
        return None
    # What the model cannot read is refused before anything is decoded.
    refusal = modality_refusal(scorer.capabilities, scorer.name, side="query", image_name=q_name, video_name=v_name)
    if refusal:
        st.error(refusal)
        return None
    try:
        query = make_item(
            query_text,
            q_bytes,
            name="query",
            image_name=q_name,
            video_bytes=v_bytes,
            video_name=v_name,
            reduce_to=scorer.capabilities.max_image_pixels,  # decoded reduced to what the model looks at
        )
    except (ValueError, TypeError) as exc:
        notices.library_error(str(exc), _("An upload cannot be read. Remove it or upload another file."))
        return None
    start = time.perf_counter()
    ok, scored = run_with_progress(
        _("Scoring {n_titles} titles").format(n_titles=len(titles.titles)),
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
    note = language_note(
        scorer.capabilities.languages, scorer.name, [query.text, *titles.titles], what=_("the query and titles")
    )
    if note:
        result.notes.append(note)
    result.band_caveat = band_caveat(scorer.capabilities, scorer.name, [query.text, *titles.titles])
    if not scorer.capabilities.score_is_probability:
        result.about_model = "\n\n".join(
            [*map(model_note, scorer.info.notes), _("Score: {formula}.").format(formula=scorer.info.score_formula)]
        )
    st.session_state[RESULT_KEY] = result
    return result


def mark_if_stale(
    result: BatchResult,
    *,
    query_text: str | None,
    query_file: Any,
    query_video_file: Any,
    source: str,
    titles_text: str | None,
    csv_table: pd.DataFrame | None,
    csv_column: str | None,
    csv_name: str,
) -> None:
    """A note over ``result`` when the inputs on the page are no longer those it was scored from."""
    try:
        current, _problem = titles_from_source(
            source, text=titles_text, table=csv_table, column=csv_column, csv_name=csv_name
        )
        title_list: list[str] | None = current.titles
    except ValueError:
        title_list = None  # the inputs do not even parse: certainly not the result's
    changed = inputs_changed(
        result,
        query_text=query_text,
        image_name=read_upload(query_file)[1],
        video_name=read_upload(query_video_file)[1],
        titles=title_list,
    )
    if changed:
        st.warning(stale_note(result), icon=":material/history:")


def download_table(df: pd.DataFrame, meta: dict[str, Any], *, label: str, file_stem: str, key: str) -> None:
    """CSV and JSON download buttons for a results table (``<file_stem>.csv`` / ``.json``; JSON carries ``meta``)."""
    d1, d2, _rest = st.columns([1, 1, 3])
    for column, kind, data, mime in (
        (d1, "CSV", to_csv_bytes(df), "text/csv"),
        (d2, "JSON", to_json_bytes(df, meta), "application/json"),
    ):
        column.download_button(
            _("Download {label}{kind}").format(label=label, kind=kind),
            data,
            file_name=f"{file_stem}.{kind.lower()}",
            mime=mime,
            key=f"{key}_{kind.lower()}",
            icon=":material/download:",
            on_click="ignore",
        )


def render_result(result: BatchResult, settings: Settings) -> None:
    """Draw ``result``: its notes, the top result and band counts, the table with its downloads, the score chart."""
    if result.outdated(settings):
        st.info(
            _("The model or instruction changed since these results were computed. Click **Rerank** to update them.")
        )
    df = result.table(settings)
    has_duplicates, has_truncated = _notes(result)
    _summary(result, df)
    _results_table(result, df, settings, has_duplicates=has_duplicates, has_truncated=has_truncated)
    st.subheader(_("Scores by band"))
    greyed = result.band_caveat is not None
    st.altair_chart(score_chart(df, strong=settings.strong, medium=settings.medium, greyed=greyed), width="stretch")


def _notes(result: BatchResult) -> tuple[bool, bool]:
    """The result's warnings (language, duplicates, truncation) and the blank-line count; returns whether there are
    duplicates and truncated titles (their table columns show only then)."""
    if result.about_model:
        st.info(result.about_model, icon=":material/info:")
    for note in result.notes:
        st.warning(note, icon=":material/translate:")
    blank, duplicates, truncated = input_notes(result)
    if blank:
        st.caption(blank)
    if duplicates:
        st.warning(duplicates)
    if truncated:
        st.warning(truncated)
    return duplicates is not None, truncated is not None


def _summary(result: BatchResult, df: pd.DataFrame) -> None:
    """The top result's card beside the title and band counts, and the caption naming query, model and source."""
    top = df.iloc[0]
    left, right = st.columns([3, 2])
    with left:
        st.markdown(
            render.top_result_html(
                str(top["title"]),
                float(top["score"]),
                str(top["band"]),
                rank_change=str(top["change"]),
                caveat=result.band_caveat,
            ),
            unsafe_allow_html=True,
        )
    with right:
        _band_counts(df, greyed=result.band_caveat is not None)
    st.caption(result_caption(result, len(df)))


def _band_counts(df: pd.DataFrame, *, greyed: bool) -> None:
    """How many titles fall in each band (grey dots and a note when the bands do not apply)."""
    counts = df["band"].value_counts()
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(_("Titles"), len(df))
    if greyed:
        m2.metric(
            _("⚪ Strong"), int(counts.get("strong", 0)), help=_("Not meaningful for this result (see the card).")
        )
        m3.metric(
            _("⚪ Medium"), int(counts.get("medium", 0)), help=_("Not meaningful for this result (see the card).")
        )
        m4.metric(_("⚪ Weak"), int(counts.get("weak", 0)), help=_("Not meaningful for this result (see the card)."))
    else:
        m2.metric(_("🟢 Strong"), int(counts.get("strong", 0)))
        m3.metric(_("🟡 Medium"), int(counts.get("medium", 0)))
        m4.metric(_("🔴 Weak"), int(counts.get("weak", 0)))


def _results_table(
    result: BatchResult, df: pd.DataFrame, settings: Settings, *, has_duplicates: bool, has_truncated: bool
) -> None:
    """The reranked table as shown (the duplicate and truncated columns only when they say something) and its
    downloads. Rank, title and score come first and every column fits 1280 px; long titles wrap."""
    greyed = result.band_caveat is not None
    band_help = (
        _("Not meaningful here: {band_caveat}.").format(band_caveat=result.band_caveat)
        if greyed
        else _("By the sidebar's thresholds.")
    )
    column_config: dict[str, Any] = {
        "rank": st.column_config.NumberColumn(_("Rank"), format="%d", width=RANK_WIDTH, help=_("New rank, by P(yes).")),
        "title": st.column_config.TextColumn(_("Title"), width=TITLE_WIDTH, help=_("The title as given.")),
        "score": st.column_config.ProgressColumn(
            _("P(yes)"), min_value=0.0, max_value=1.0, format="%.3f", width=SCORE_WIDTH, color="blue"
        ),
        "band": st.column_config.TextColumn(_("Band"), width=BAND_WIDTH, help=band_help),
        "change": st.column_config.TextColumn(
            _("Change"), width=NARROW_WIDTH, help=_("↑ moved up, ↓ moved down, = same place.")
        ),
        "original_rank": st.column_config.NumberColumn(
            _("Original"), format="%d", width=NARROW_WIDTH, help=_("Position in your list.")
        ),
        "log_odds": st.column_config.NumberColumn(
            _("Log-odds"), format="%+.2f", width=NARROW_WIDTH, help=_("log(P / (1 − P)), what the model computes.")
        ),
        "duplicate_of": st.column_config.TextColumn(_("Duplicate"), width="small"),
        "truncated": st.column_config.CheckboxColumn(_("Truncated"), width="small"),
    }
    order = list(column_config)
    if not has_duplicates:
        order.remove("duplicate_of")
    if not has_truncated:
        order.remove("truncated")
    st.dataframe(
        display_table(df, greyed=greyed),
        hide_index=True,
        width="stretch",
        height=min(38 + WRAPPED_ROW_HEIGHT * len(df), 600),
        row_height=WRAPPED_ROW_HEIGHT,
        column_order=order,
        column_config=column_config,
    )
    download_table(df, result.meta(settings), label="", file_stem="rerank", key="batch_download")


__all__ = [
    "CSV_KEY",
    "CSV_UPLOAD_KEY",
    "RESULT_KEY",
    "csv_picker",
    "download_table",
    "mark_if_stale",
    "render_result",
    "run_batch",
]
