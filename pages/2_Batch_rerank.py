"""Batch rerank: one query, up to 50 titles; reranked table, rank changes, score chart and downloads."""

from __future__ import annotations

import streamlit as st

from lychee import ui
from lychee.ui import batch, batch_ab, batch_label, batch_view

settings = ui.sidebar()

st.title(":material/format_list_numbered: Batch rerank")
st.caption(
    f"Rerank up to {batch.MAX_TITLES} titles for one query. Blank lines are skipped, duplicates are kept and marked, "
    "and every title keeps its original position so you can see what moved."
)

source = st.radio(
    "Titles from",
    ["paste", "csv"],
    format_func={"paste": "Paste titles (one per line)", "csv": "Upload a CSV"}.__getitem__,
    horizontal=True,
    help="Type or paste titles, or upload a CSV and pick the column that holds them.",
    **ui.bind("batch_source", "paste"),
)
csv_table, csv_column, csv_name = batch_view.csv_picker() if source == "csv" else (None, None, "")
ab_choice = batch_ab.controls(settings)

FORM_KEYS = ["batch_query_text", "batch_titles"]
with st.form("batch_form", border=True):
    q1, q2 = st.columns([2, 1])
    query_text = q1.text_area(
        "Query",
        height=80,
        help="What the user searched for. Leave empty to query with the image only.",
        **ui.bind("batch_query_text", batch.EXAMPLE_QUERY, in_form=True),
    )
    query_file = q2.file_uploader(
        "Query image (optional)",
        type=ui.IMAGE_TYPES,
        key="batch_query_image",
        help="Needs a vision-language reranker; the embedded default reads text only.",
    )
    query_video_file = q2.file_uploader(
        "Query clip (optional)",
        type=ui.VIDEO_TYPES,
        key="batch_query_video",
        help="A clip of at most 30 s (1 frame per second, at most 64 frames); needs a vision-language reranker.",
    )
    titles_text = None
    if source == "paste":
        titles_text = st.text_area(
            f"Titles — one per line, at most {batch.MAX_TITLES}",
            height=260,
            help="Blank lines are skipped. Repeated titles are kept and flagged.",
            **ui.bind("batch_titles", batch.EXAMPLE_TITLES, in_form=True),
        )
    submitted = st.form_submit_button(
        "Rerank", type="primary", icon=":material/sort:", on_click=ui.store_many, args=(FORM_KEYS,), key="batch_submit"
    )

if submitted:
    try:
        if source == "paste":
            titles = batch.parse_titles(titles_text or "")
            origin = "the text box"
        elif csv_table is not None and csv_column is not None:
            titles = batch.titles_from_column(csv_table, csv_column, name=f"CSV file '{csv_name}'")
            origin = f"CSV '{csv_name}' column '{csv_column}'"
        else:
            raise ValueError("No CSV file to read titles from: upload a CSV above, or switch to pasting titles.")
    except ValueError as exc:
        st.error(str(exc))
    else:
        a_result = batch_view.run_batch(
            settings,
            query_text=query_text,
            query_file=query_file,
            query_video_file=query_video_file,
            titles=titles,
            source=origin,
        )
        batch_ab.after_rerank(a_result, ab_choice, settings)

result = st.session_state.get(batch_view.RESULT_KEY)
if result is not None:
    st.divider()
    batch_view.render_result(result, settings)
    batch_ab.render(result, settings)
    batch_label.render(result, settings)
else:
    st.info("The example query and titles are ready: click **Rerank** to see them reordered.")
