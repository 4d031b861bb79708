"""Batch rerank: one query, up to 50 titles; reranked table, rank changes, score chart and downloads."""

from __future__ import annotations

import streamlit as st

from lychee import ui
from lychee.ui import previews
from lychee.ui.batch import ab_view, explain_view, judge_view, label_view, table, titles, view
from lychee.ui.i18n import _

settings = ui.sidebar()

st.title(":material/format_list_numbered: " + _("Batch rerank"))
st.caption(
    _(
        "Rerank up to {MAX_TITLES} titles for one query. Blank lines are skipped, duplicates are kept "
        "and marked, and every title keeps its original position so you can see what moved."
    ).format(MAX_TITLES=titles.MAX_TITLES)
)

source = st.radio(
    _("Titles from"),
    ["paste", "csv"],
    format_func={"paste": _("Paste titles (one per line)"), "csv": _("Upload a CSV")}.__getitem__,
    horizontal=True,
    help=_("Type or paste titles, or upload a CSV and pick the column that holds them."),
    **ui.bind("batch_source", "paste"),
)
csv_table, csv_column, csv_name = view.csv_picker() if source == "csv" else (None, None, "")
ab_choice = ab_view.controls(settings)
judging = judge_view.toggle()

# No st.form: a form keeps what is typed in the browser until it is submitted, so toggling A/B or switching pages
# before Rerank lost it. Each box stores its text (on blur) in a session key that survives toggles and page switches.
with st.container(border=True):
    q1, q2 = st.columns([2, 1])
    query_text = q1.text_area(
        _("Query"),
        height=80,
        help=_("What the user searched for. Leave empty to query with the image only."),
        **ui.bind("batch_query_text", titles.EXAMPLE_QUERY),
    )
    query_file = q2.file_uploader(
        _("Query image (optional)"),
        type=ui.IMAGE_TYPES,
        key="batch_query_image",
        help=_("Needs a vision-language reranker; the embedded default reads text only."),
    )
    with q2:
        previews.refusal_note(settings, "image")
    query_video_file = q2.file_uploader(
        _("Query clip (optional)"),
        type=ui.VIDEO_TYPES,
        key="batch_query_video",
        help=_("A clip of at most 30 s (1 frame per second, at most 64 frames); needs a vision-language reranker."),
    )
    with q2:
        previews.refusal_note(settings, "clip")
    titles_text = None
    if source == "paste":
        titles_text = st.text_area(
            _("Titles — one per line, at most {MAX_TITLES}").format(MAX_TITLES=titles.MAX_TITLES),
            height=260,
            help=_("Blank lines are skipped. Repeated titles are kept and flagged."),
            **ui.bind("batch_titles", titles.EXAMPLE_TITLES),
        )
    submitted = st.button(_("Rerank"), type="primary", icon=":material/sort:", key="batch_submit")

if submitted:
    try:
        title_list, origin = titles.titles_from_source(
            source, text=titles_text, table=csv_table, column=csv_column, csv_name=csv_name
        )
    except ValueError as exc:
        ui.library_error(
            str(exc), _("These titles cannot be reranked. Correct them as the message says, then click Rerank.")
        )
    else:
        a_result = view.run_batch(
            settings,
            query_text=query_text,
            query_file=query_file,
            query_video_file=query_video_file,
            titles=title_list,
            source=origin,
        )
        ab_view.after_rerank(a_result, ab_choice, settings)

result = st.session_state.get(table.RESULT_KEY)
if result is not None:
    st.divider()
    view.mark_if_stale(
        result,
        query_text=query_text,
        query_file=query_file,
        query_video_file=query_video_file,
        source=source,
        titles_text=titles_text,
        csv_table=csv_table,
        csv_column=csv_column,
        csv_name=csv_name,
    )
    # In Judge mode nothing of the model's ranking is drawn until the rater finished or asked to see it.
    if not judging or judge_view.render(result, settings):
        view.render_result(result, settings)
        ab_view.render(result, settings)
        explain_view.render_explain(result, settings)
    if not judging:
        label_view.render(result, settings)
elif not submitted:
    st.info(_("The example query and titles are ready: click **Rerank** to see them reordered."))
