"""Entry point and home page: navigation, model status and the Load model button.

``./start.sh`` serves this file. Each page in ``pages/`` is self-sufficient (it calls ``ui.sidebar()`` itself), so the
entry script only sets the page config, asks for the sign-in (OIDC: nothing else, not even the navigation, is drawn
before it), builds the navigation and runs the chosen page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

import lychee
from lychee import ui
from lychee.formatting import escape_markdown, markdown_code
from lychee.scorers.lexical import BM25_MODEL
from lychee.scorers.remote import is_remote
from lychee.ui.i18n import _
from lychee.ui.model_notes import model_note
from lychee.ui.shell import identity, language, notices, remote_picker

ROOT = Path(__file__).parent
PAGES = ROOT / "pages"


def home() -> None:
    """Home: what the dashboard does, the model's status, and lazy loading of the model."""
    settings = ui.sidebar()
    st.title(_("Lychee rerank — analyst dashboard"))
    st.caption(
        _(
            "Score how relevant a document (text, image and/or video clip) is to a query with multimodal "
            "rerankers (Lychee-rerank-mm, Qwen3-VL-Reranker) or the embedded all-MiniLM-L6-v2, and see why."
        )
    )
    _model_section(settings)
    _pages_section()
    _reading_a_score(settings)
    _http_api()


def _model_section(settings: ui.Settings) -> None:
    """The model's status; a model that is not loaded yet gets the Load model button (the embedded default loads at
    once)."""
    st.subheader(_("Model"))
    loaded = ui.loaded_model(settings)
    # The embedded default loads in seconds and BM25 has nothing to load, so show their status at once; a VLM waits
    # for the button.
    if loaded is None and settings.model in (lychee.DEFAULT_MODEL, BM25_MODEL):
        loaded = ui.load_model(settings)
    if loaded is None:
        prompt = st.empty()
        with prompt.container():
            _not_loaded_note(settings)
            clicked = st.button(
                _("Load model"), type="primary", key="home_load", help=_("Load the model chosen in the sidebar.")
            )
        if clicked:
            loaded = ui.load_model(settings)
            if loaded is not None:
                prompt.empty()
    if loaded is not None:
        _model_status(loaded)


def _not_loaded_note(settings: ui.Settings) -> None:
    """Why the model is not loaded yet and what Load model will do: join a background load, connect, or load."""
    status = ui.load_status(settings)
    if status.state == "loading":
        st.info(
            _(
                "Model {model} is loading in the background ({seconds:.0f} s so far). **Load model** waits for "
                "that load; nothing is loaded twice."
            ).format(model=markdown_code(settings.model), seconds=status.seconds)
        )
    elif is_remote(settings.model):
        st.info(
            _(
                "Remote model {model} is not connected yet. It connects on first use, or now with **Load model** "
                "(each endpoint is asked what it serves)."
            ).format(model=markdown_code(settings.model))
        )
    else:
        st.info(
            _(
                "Model {model} is not loaded. It loads on first use, or now with **Load model** (a VLM reads all "
                "its weights: 2 bytes per parameter in bfloat16, about 16 GB for a 7-8 B model)."
            ).format(model=markdown_code(settings.model))
        )


def _pages_section() -> None:
    """A card per task page: its link and what it does."""
    st.subheader(_("Pages"))
    cols = st.columns(len(_task_pages()))
    for col, (page, blurb) in zip(cols, _task_pages()):
        with col.container(border=True):
            st.page_link(page, label=page.title, icon=page.icon)
            st.caption(blurb)


def _reading_a_score(settings: ui.Settings) -> None:
    """What P(yes), its log-odds and the bands mean, with the sidebar's thresholds."""
    st.subheader(_("Reading a score"))
    st.markdown(
        _(
            "The score is **P(yes)**: the probability the model answers *yes, relevant*. Next to it is the "
            "**log-odds** `log(P / (1 - P))`, which explanations use because P saturates near 0 and 1. Bands "
            "use the sidebar thresholds: 🟢 **strong** ≥ {strong:.2f}, 🟡 **medium** ≥ {medium:.2f}, 🔴 "
            "**weak** below."
        ).format(strong=settings.strong, medium=settings.medium)
    )


def _http_api() -> None:
    """The rerank API this server answers on the same port, with a curl example."""
    st.subheader(_("HTTP API"))
    st.markdown(
        _(
            "This server also answers rerank requests on the same port, with the server's model "
            '(`LYCHEE_MODEL`): `POST /api/rerank` (`{"query", "documents"}`), `POST /v1/rerank` · '
            "`/v2/rerank` · `/rerank` (the Cohere / vLLM / Jina shape; the Cohere SDK works unchanged), `GET "
            "/api/health`, `GET /api/model`. See the README's *HTTP API* section."
        )
    )
    st.code(
        "curl -s <this server>/api/rerank -H 'Content-Type: application/json' \\\n"
        '  -d \'{"query": "red running shoes", "documents": ["Nike red running shoe", "blue teapot"]}\'',
        language="bash",
    )


def _model_status(loaded: ui.LoadedModel) -> None:
    status = ui.model_status(loaded)
    st.success(
        _("{model} is loaded ({family}), in {load_time}.").format(
            model=markdown_code(status["Model"]),
            family=escape_markdown(status["Family"]),
            load_time=status["Load time"],
        )
    )
    for warning in loaded.scorer.info.warnings:  # declared at load time: a served model that does not rank like one
        notices.library_note(warning, _(notices.MODEL_WARNING_HEADING), warning=True)
    helps = {
        "Process memory (RSS)": _("Resident memory of the dashboard process (all loaded models and caches)."),
        "CUDA allocated": _("GPU memory held by torch tensors; — when the model runs on CPU."),
        "Attention": _("The attention implementation the model runs with."),
        "Weights": _("Memory taken by the model's weights (parameters and buffers)."),
    }
    labels = {
        "Device": _("Device"),
        "Dtype": _("Dtype"),
        "Attention": _("Attention"),
        "Parameters": _("Parameters"),
        "Weights": _("Weights"),
        "Process memory (RSS)": _("Process memory (RSS)"),
        "CUDA allocated": _("CUDA allocated"),
        "Modalities": _("Modalities"),
    }
    names = list(labels)
    for row in (names[:4], names[4:]):
        for col, name in zip(st.columns(4), row):
            col.metric(labels[name], status[name], help=helps.get(name))
    info = loaded.scorer.info
    remote = remote_picker.describe(info)
    if remote is not None:
        st.caption(remote)
    if info.score_formula:
        st.caption(_("Score formula: {score_formula}").format(score_formula=markdown_code(info.score_formula)))
    for note in info.notes:
        st.info(model_note(note), icon=":material/info:")


# The session's language first: the navigation's titles below are in it (lychee/ui/shell/language.py).
language.bind()

# No custom url_path: with a pages/ folder present, Streamlit first resolves a URL against the file-derived names
# (Single_pair, Batch_rerank), and a custom path opened directly pops a "Page not found" dialog (measured on 1.67).
SINGLE = st.Page(PAGES / "1_Single_pair.py", title=_("Single pair"), icon=":material/compare_arrows:")
BATCH = st.Page(PAGES / "2_Batch_rerank.py", title=_("Batch rerank"), icon=":material/format_list_numbered:")
EVALUATION_FILE = PAGES / "3_Evaluation.py"
RUNS = st.Page(PAGES / "4_Runs.py", title=_("Runs"), icon=":material/history:")
JUDGE = st.Page(PAGES / "5_Judge.py", title=_("Judge"), icon=":material/gavel:")


def _task_pages() -> list[tuple[st.Page, str]]:
    pages = [
        (
            SINGLE,
            _(
                "One query, one document: P(yes), its band, and word / image-region / clip-frame highlights of "
                "what drove it."
            ),
        ),
        (
            BATCH,
            _(
                "One query, up to 50 titles: reranked table, rank changes, score chart, CSV / JSON download; A/B "
                "of two instructions or models; grade the titles into a labelled set."
            ),
        ),
    ]
    if EVALUATION is not None:
        pages.append((EVALUATION, _("Labelled query sets: ranking metrics of the model against baselines.")))
    pages.append(
        (RUNS, _("Every evaluation recorded: compare two runs of a set query by query, with a significance test."))
    )
    pages.append(
        (
            JUDGE,
            _(
                "Grade a saved set blind, several raters: their agreement, the disagreements to settle, the "
                "set's guidelines."
            ),
        )
    )
    return pages


# The evaluation page is written separately; list it only once its file exists.
EVALUATION = (
    st.Page(EVALUATION_FILE, title=_("Evaluation"), icon=":material/query_stats:") if EVALUATION_FILE.exists() else None
)

st.set_page_config(page_title=_("Lychee rerank dashboard"), page_icon="🍈", layout="wide")
identity.require_sign_in(entry=True)
navigation = st.navigation(
    [st.Page(home, title=_("Home"), icon=":material/home:", default=True), *(p for p, _blurb in _task_pages())]
)
navigation.run()
