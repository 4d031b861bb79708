"""Single-pair analysis: one query, one document, P(yes) with its band and what drove it."""

from __future__ import annotations

import streamlit as st

from lychee import ui
from lychee.ui import previews
from lychee.ui.i18n import _
from lychee.ui.single import logic, view

settings = ui.sidebar()

st.title(":material/compare_arrows: " + _("Single-pair analysis"))
st.caption(
    _(
        "Score one query against one document (text, image and/or video clip). Salience shows which "
        "words, image regions and clip frames pushed the score up (green) or down (red); the deletion "
        "curve shows how far to trust it."
    )
)

left, right = st.columns(2, gap="large")
with left:
    st.subheader(_("Query"))
    query_text = st.text_area(
        _("Query text"),
        height=100,
        help=_("What the user searched for. Leave empty to query with the image only."),
        **ui.bind("single_query_text", logic.EXAMPLE_QUERY),
    )
    query_file = st.file_uploader(
        _("Query image (optional)"),
        type=ui.IMAGE_TYPES,
        key="single_query_image",
        help=_("Needs a vision-language reranker (Lychee-rerank-mm / Qwen3-VL); the embedded default reads text only."),
    )
    previews.refusal_note(settings, "image")
    previews.image_preview(query_file)
    query_video_file = st.file_uploader(
        _("Query clip (optional)"),
        type=ui.VIDEO_TYPES,
        key="single_query_video",
        help=_(
            "A video clip of at most 30 s, sampled at 1 frame per second (at most 64 frames); needs a "
            "vision-language reranker."
        ),
    )
    previews.refusal_note(settings, "clip")
    previews.video_preview(query_video_file)
with right:
    st.subheader(_("Document"))
    document_text = st.text_area(
        _("Document text"),
        height=100,
        help=_("The candidate: a title, passage or caption."),
        **ui.bind("single_document_text", logic.EXAMPLE_DOCUMENT),
    )
    document_file = st.file_uploader(
        _("Document image (optional)"),
        type=ui.IMAGE_TYPES,
        key="single_document_image",
        help=_("A product photo, screenshot or figure; needs a vision-language reranker."),
    )
    previews.refusal_note(settings, "image")
    previews.image_preview(document_file)
    document_video_file = st.file_uploader(
        _("Document clip (optional)"),
        type=ui.VIDEO_TYPES,
        key="single_document_video",
        help=_("A product or how-to clip of at most 30 s; needs a vision-language reranker."),
    )
    previews.refusal_note(settings, "clip")
    previews.video_preview(document_video_file)

with st.expander(_("Explanation options")):
    method = view.method_picker(settings)
    o1, o2 = st.columns(2)
    max_units = o1.slider(
        _("Max word units per text"),
        8,
        128,
        step=8,
        help=_("Longer texts are split into at most this many spans; each costs one scored variant."),
        **ui.bind("single_max_units", 64),
    )
    image_cells = o2.slider(
        _("Image grid cells"),
        4,
        64,
        step=4,
        help=_(
            "Exactly this many cells per image (rows × columns chosen so cells are closest to square); each "
            "is greyed in turn (one scored variant each). The gradient methods use the model's own patch "
            "grid instead."
        ),
        **ui.bind("single_image_cells", 16),
    )
    method_options = view.method_options(method)
    shares = st.toggle(
        _("Where the score comes from (modality shares)"),
        help=_(
            "Exact Shapley values over the pair's parts (query text / image / clip, document text / image / "
            "clip): every subset scored in one batch, at most 64 pairs."
        ),
        **ui.bind("single_shares", True),
    )

clicked = st.button(_("Score and explain"), type="primary", key="single_score")
if clicked:
    view.score_and_explain(
        settings,
        query_text=query_text,
        query_file=query_file,
        document_text=document_text,
        document_file=document_file,
        max_units=max_units,
        image_cells=image_cells,
        method=method,
        query_video_file=query_video_file,
        document_video_file=document_video_file,
        method_options=method_options,
        shares=shares,
    )

inputs = view.pair_inputs(
    query_text=query_text,
    document_text=document_text,
    query_file=query_file,
    document_file=document_file,
    query_video_file=query_video_file,
    document_video_file=document_video_file,
)
view.show_stored(settings, inputs, clicked=clicked)
