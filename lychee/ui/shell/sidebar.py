"""The shared sidebar: sign-in, model picker, instruction editor (presets, reset) and band thresholds.

Every page calls :func:`sidebar` first. With an OIDC sign-in it first stops the run at the sign-in button until the
user is signed in (:func:`lychee.ui.shell.identity.require_sign_in`). It initialises the shared session keys
(``model``, ``instruction``, ``band_strong``, ``band_medium``, plus ``device``/``dtype``) with ``setdefault``, draws
the widgets, releases the previous model if the user switched, and returns a :class:`Settings`. The shared keys are
plain session keys, never widget keys, so choices survive page switches (see :mod:`lychee.ui.shell.state`).

The model picker depends on the role: an editor picks the models the server offers (``LYCHEE_MODELS``, when set),
the embedded default, any checkpoint folder or any endpoint URL; a viewer only the offered ones
(:mod:`lychee.ui.shell.offered_picker`).
"""

from __future__ import annotations

import logging

import streamlit as st

import lychee
from lychee.access import Catalog, catalog_from_env
from lychee.bands import MEDIUM, STRONG, band
from lychee.formatting import escape_markdown, markdown_code
from lychee.roles import Actor
from lychee.scorers.lexical import BM25_MODEL
from lychee.scorers.remote import is_remote
from lychee.serving import DEVICES, DTYPES, model_locked, server_model_key
from lychee.serving.environment import env_choice, loader_key, server_model
from lychee.ui.i18n import N_, _
from lychee.ui.shell import identity, language, models, offered_picker, remote_picker
from lychee.ui.shell.settings import PRESETS, Settings
from lychee.ui.shell.state import widget_key

logger = logging.getLogger(__name__)

MODEL_DEFAULT_CHOICE = N_("Model default")
CUSTOM_CHOICE = N_("Custom (edited)")

MODEL_SOURCES = {
    "listed": N_("A model this server offers"),
    "default": N_("Embedded default (all-MiniLM-L6-v2: English text only)"),
    "bm25": N_("BM25 (lexical baseline: shared words, any language, no model)"),
    "checkpoint": N_("Checkpoint folder or hub id"),
    "remote": N_("Remote endpoint (URL: vLLM, TEI, another Lychee server)"),
}


def catalog() -> Catalog:
    """The models this server offers (``LYCHEE_MODELS``); the server refuses a malformed list at start, so a bad one
    here (a test's environment) offers the server's model alone."""
    try:
        return catalog_from_env()
    except ValueError:
        return Catalog(server_model=server_model())


def is_editor(actor: Actor | None = None) -> bool:
    """Whether this session's actor is an editor (may load any model)."""
    actor = identity.current_actor() if actor is None else actor
    return actor is not None and actor.is_editor


def source_of(model: str) -> str:
    """The picker entry of ``model``: ``"listed"`` (one ``LYCHEE_MODELS`` offers), ``"default"``, ``"bm25"``,
    ``"remote"`` (a URL) or ``"checkpoint"``."""
    offer = catalog()
    if offer.listed and offer.allows(model):
        return "listed"
    if model == lychee.DEFAULT_MODEL:
        return "default"
    if model == BM25_MODEL:
        return "bm25"
    return "remote" if is_remote(model) else "checkpoint"


def default_model() -> str:
    """The model a new session starts on: the server's (env ``LYCHEE_MODEL``), else ``"default"``."""
    return server_model()


def init_state() -> list[str]:
    """``setdefault`` every shared key and repair values of the wrong type; returns messages about repairs."""
    ss = st.session_state
    problems: list[str] = []
    ss.setdefault("model", default_model())
    ss.setdefault("instruction", None)
    ss.setdefault("band_strong", STRONG)
    ss.setdefault("band_medium", MEDIUM)
    ss.setdefault("device", env_choice("LYCHEE_DEVICE", DEVICES))
    ss.setdefault("dtype", env_choice("LYCHEE_DTYPE", DTYPES))
    if model_locked():
        # A shared deployment: every session uses the server's model, whatever the session state says.
        model, device, dtype = server_model_key()
        ss["model"], ss["device"], ss["dtype"] = model, device or "auto", dtype or "auto"

    if not isinstance(ss["model"], str) or not ss["model"].strip():
        problems.append(
            _(
                "Model {model!r} is not usable: expected 'default' or a checkpoint folder / hub id. Switched to "
                "the embedded default."
            ).format(model=ss["model"])
        )
        ss["model"] = lychee.DEFAULT_MODEL
    offer = catalog()
    if not is_editor() and not offer.allows(ss["model"]):
        problems.append(
            _(
                "Model {model!r} is not one this server offers, and loading other models is for editors. "
                "Switched to the server's model {server_model!r}."
            ).format(model=ss["model"], server_model=offer.server_model)
        )
        ss["model"] = offer.server_model
    if ss["instruction"] is not None and not isinstance(ss["instruction"], str):
        problems.append(
            _("Instruction {instruction!r} is not text; reset to the model default.").format(
                instruction=ss["instruction"]
            )
        )
        ss["instruction"] = None
    try:
        strong, medium = float(ss["band_strong"]), float(ss["band_medium"])
        band(0.5, strong=strong, medium=medium)  # validates 0 <= medium <= strong <= 1
    except (TypeError, ValueError):
        problems.append(
            _(
                "Band thresholds strong={band_strong!r}, medium={band_medium!r} are invalid: expected 0 <= "
                "medium <= strong <= 1. Reset to {MEDIUM} / {STRONG}."
            ).format(band_strong=ss["band_strong"], band_medium=ss["band_medium"], MEDIUM=MEDIUM, STRONG=STRONG)
        )
        strong, medium = STRONG, MEDIUM
    ss["band_strong"], ss["band_medium"] = strong, medium
    if ss["device"] not in DEVICES:
        problems.append(
            _("Device {device!r} is not one of {DEVICES}; using auto.").format(
                device=ss["device"], DEVICES=list(DEVICES)
            )
        )
        ss["device"] = "auto"
    if ss["dtype"] not in DTYPES:
        problems.append(
            _("Dtype {dtype!r} is not one of {DTYPES}; using auto.").format(dtype=ss["dtype"], DTYPES=list(DTYPES))
        )
        ss["dtype"] = "auto"
    ss.setdefault("model_source", source_of(ss["model"]))
    ss.setdefault("model_path", ss["model"] if source_of(ss["model"]) == "checkpoint" else "")
    remote_picker.init_state()
    return problems


def current_settings() -> Settings:
    """Settings from session state (call :func:`init_state` first); no widgets drawn."""
    ss = st.session_state
    instruction = ss["instruction"]
    if instruction is not None and not instruction.strip():
        instruction = None  # an emptied editor means "model default"; the sidebar says so
    model, device, dtype = loader_key(ss["model"], ss["device"], ss["dtype"])
    return Settings(
        model=model,
        instruction=instruction,
        strong=float(ss["band_strong"]),
        medium=float(ss["band_medium"]),
        device=device,
        dtype=dtype,
    )


def default_instruction(settings: Settings) -> str:
    """The instruction the model uses when none is given: the loaded scorer's, else the library default."""
    return models.model_facts(settings)[0]


def preset_of(instruction: str | None) -> str:
    """The preset-picker entry matching ``instruction``."""
    if instruction is None:
        return MODEL_DEFAULT_CHOICE
    for name, text in PRESETS.items():
        if instruction == text:
            return name
    return CUSTOM_CHOICE


# --- callbacks (run before the script body, so the rerun already sees the new values) --------------------------
def _on_model_source() -> None:
    ss = st.session_state
    ss["model_source"] = ss[widget_key("model_source")]
    if ss["model_source"] == "listed":
        ss["model"] = offered_picker.chosen_model(catalog())
    elif ss["model_source"] == "default":
        ss["model"] = lychee.DEFAULT_MODEL
    elif ss["model_source"] == "bm25":
        ss["model"] = BM25_MODEL
    elif ss["model_source"] == "remote":
        ss["model"] = remote_picker.model_from_fields()
    else:
        ss["model"] = ss["model_path"].strip() or lychee.DEFAULT_MODEL


def _on_model_path() -> None:
    ss = st.session_state
    ss["model_path"] = ss[widget_key("model_path")]
    ss["model"] = ss["model_path"].strip() or lychee.DEFAULT_MODEL


def _on_instruction() -> None:
    st.session_state["instruction"] = st.session_state[widget_key("instruction")]


def _on_preset() -> None:
    choice = st.session_state[widget_key("instruction_preset")]
    if choice == MODEL_DEFAULT_CHOICE:
        st.session_state["instruction"] = None
    elif choice in PRESETS:
        st.session_state["instruction"] = PRESETS[choice]
    # CUSTOM_CHOICE: keep the text as it is


def _on_reset_instruction() -> None:
    st.session_state["instruction"] = None


def _on_bands() -> None:
    medium, strong = st.session_state[widget_key("bands")]
    st.session_state["band_medium"], st.session_state["band_strong"] = float(medium), float(strong)


def _on_reset_bands() -> None:
    st.session_state["band_medium"], st.session_state["band_strong"] = MEDIUM, STRONG


def _leave_pages_directory_mode() -> None:
    """Hand a deep-linked page over to the entry script's ``st.navigation``.

    Streamlit 1.67 decides per process whether a ``pages/`` folder means the old directory-based navigation: until a
    session runs ``st.navigation``, a URL like ``/Batch_rerank`` runs the page file alone, with an auto-generated menu
    ("streamlit app", no icons, no wide layout). Measured: the first deep link after a server start gets that menu.
    Clearing the flag and rerunning makes the same page run inside ``streamlit_app.py``'s navigation (page names match
    because no page sets a custom url_path). The flag is private API, so anything unexpected leaves things as they are.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a future Streamlit without it has no such mode either
        return
    if getattr(PagesManager, "uses_pages_directory", None) is True:
        PagesManager.uses_pages_directory = False
        st.rerun()


def sidebar() -> Settings:
    """Draw the shared sidebar and return the current :class:`Settings`.

    Call it first on every page: it also initialises session state, so a page works when opened directly.

    Returns:
        The settings the user chose (model, instruction, band thresholds, device, dtype).
    """
    _leave_pages_directory_mode()
    language.bind()
    actor = identity.require_sign_in()
    models.reset_redraws()
    problems = init_state()
    ss = st.session_state
    # Keep the picker consistent with `model` when something else (a test, another page) set it directly.
    source = source_of(ss["model"])
    if source == "checkpoint":
        ss["model_source"], ss["model_path"] = "checkpoint", ss["model"]
    elif source == "remote":
        ss["model_source"] = "remote"
        remote_picker.sync_from_model()
    elif source == "listed":
        ss["model_source"] = "listed"

    with st.sidebar:
        language.draw_switch()
        identity.account_line(actor)
        for msg in problems:
            st.warning(escape_markdown(msg))
        _model_section(actor)
        settings = current_settings()
        models.release_previous(models.model_key(settings))
        models.remember_drawn(settings)
        _instruction_section(settings)
        _band_section()
    return current_settings()


def _model_section(actor: Actor) -> None:
    ss = st.session_state
    st.subheader(_("Model"))
    if model_locked():
        st.caption(
            _("{model}: this server serves one model (LYCHEE_LOCK_MODEL=1), so no other can be chosen here.").format(
                model=markdown_code(ss["model"])
            )
        )
        slot = st.empty()
        models.on_load(lambda: models.status_line(current_settings(), slot))
        return
    offer = catalog()
    if not is_editor(actor):
        offered_picker.draw(offer, viewer=True)
        slot = st.empty()
        models.on_load(lambda: models.status_line(current_settings(), slot))
        return
    sources = [s for s in MODEL_SOURCES if s != "listed" or offer.listed]
    if ss["model_source"] not in sources:
        ss["model_source"] = source_of(ss["model"]) if source_of(ss["model"]) in sources else "default"
    ss[widget_key("model_source")] = ss["model_source"]
    st.radio(
        _("Model"),
        options=sources,
        format_func=lambda source: _(MODEL_SOURCES[source]),
        key=widget_key("model_source"),
        on_change=_on_model_source,
        label_visibility="collapsed",
        help=_(
            "The embedded default needs no download and reads English text only: on Chinese titles it ranks "
            "by shared characters, not meaning. BM25 ranks by shared words (character pairs in Chinese) in "
            "any language, offline; its scores are not probabilities. Lychee-rerank-mm (Qwen2.5-VL) and "
            "Qwen3-VL-Reranker checkpoints read text, images and video clips in many languages, Chinese "
            "included."
        ),
    )
    if ss["model_source"] == "listed":
        offered_picker.draw(offer, viewer=False)
    if ss["model_source"] == "remote":
        remote_picker.draw()
    if ss["model_source"] == "checkpoint":
        _checkpoint_fields()
    slot = st.empty()
    models.on_load(lambda: models.status_line(current_settings(), slot))


def _checkpoint_fields() -> None:
    """The checkpoint folder or hub id, and the device and dtype to load it with."""
    ss = st.session_state
    ss[widget_key("model_path")] = ss["model_path"]
    st.text_input(
        _("Checkpoint folder or hub id"),
        key=widget_key("model_path"),
        on_change=_on_model_path,
        placeholder=_("/models/lychee-rerank-mm  or  vec-ai/lychee-rerank-mm"),
        help=_(
            "A local folder with config.json and weights, or a hub id already in the local cache (downloads "
            "only with LYCHEE_ALLOW_DOWNLOAD=1). Press Enter to apply."
        ),
    )
    if not ss["model_path"].strip():
        st.info(_("Enter a checkpoint folder or hub id. Until then the embedded default model is used."))
    with st.expander(_("Device and precision")):
        ss[widget_key("device")] = ss["device"]
        st.selectbox(
            _("Device"),
            DEVICES,
            key=widget_key("device"),
            on_change=lambda: ss.__setitem__("device", ss[widget_key("device")]),
            help=_("auto = CUDA when available, else CPU."),
        )
        ss[widget_key("dtype")] = ss["dtype"]
        st.selectbox(
            _("Dtype"),
            DTYPES,
            key=widget_key("dtype"),
            on_change=lambda: ss.__setitem__("dtype", ss[widget_key("dtype")]),
            help=_("auto = bfloat16 on CUDA, float32 on CPU."),
        )


def _instruction_section(settings: Settings) -> None:
    ss = st.session_state
    st.subheader(_("Instruction"), help=_("Tells a reranker what relevance means. Sent with every query."))
    ss[widget_key("instruction_preset")] = preset_of(ss["instruction"])
    st.selectbox(
        _("Preset"),
        [MODEL_DEFAULT_CHOICE, *PRESETS, CUSTOM_CHOICE],
        key=widget_key("instruction_preset"),
        on_change=_on_preset,
        format_func=_,
        help=_("Pick a preset, then edit the text freely below."),
    )
    shown = ss["instruction"] if ss["instruction"] is not None else default_instruction(settings)
    ss[widget_key("instruction")] = shown
    st.text_area(
        _("Instruction text"),
        key=widget_key("instruction"),
        on_change=_on_instruction,
        height=110,
        label_visibility="collapsed",
        help=_("Free text. Applied when the box loses focus (or Ctrl+Enter)."),
    )
    if ss["instruction"] is not None and not ss["instruction"].strip():
        st.warning(
            _("The instruction is empty, so the model's default instruction is used. Type one or pick a preset.")
        )
    state = _("the model's default") if ss["instruction"] is None else _("edited")
    st.caption(_("Instruction in use: {state}.").format(state=state))
    st.button(
        _("Reset to default"),
        key="sidebar_reset_instruction",
        icon=":material/restart_alt:",
        on_click=_on_reset_instruction,
        disabled=ss["instruction"] is None,
    )
    note = st.empty()
    models.on_load(lambda: _instruction_note(settings, note))


def _instruction_note(settings: Settings, slot) -> None:
    reads = models.uses_instruction(settings)
    if reads is False:
        if is_remote(settings.model):
            why = _("the server fixes it, or its model was trained without instructions; see the model's notes on Home")
        elif settings.model == BM25_MODEL:
            why = _("a lexical ranking: it counts the query's words in each title")
        else:
            why = _("a bi-encoder trained without instructions")
        slot.caption(
            ":material/info: "
            + _(
                "**This model ignores the instruction** ({why}): editing it does not change scores. Load a Lychee / "
                "Qwen3-VL reranker to use it."
            ).format(why=why)
        )
    elif reads is None:
        slot.caption(":material/info: " + _("Whether the model reads the instruction is known once it is loaded."))
    else:
        slot.empty()


def _band_section() -> None:
    ss = st.session_state
    st.subheader(_("Score bands"), help=_("P(yes) ≥ strong → strong; ≥ medium → medium; otherwise weak."))
    ss[widget_key("bands")] = (float(ss["band_medium"]), float(ss["band_strong"]))
    st.slider(
        _("Medium and strong thresholds"),
        min_value=0.0,
        max_value=1.0,
        step=0.01,
        key=widget_key("bands"),
        on_change=_on_bands,
        help=_("Left handle: medium threshold. Right handle: strong threshold."),
    )
    st.caption(
        _(
            "🟢 strong ≥ {band_strong:.2f} · 🟡 medium {band_medium:.2f}–{band_strong:.2f} · 🔴 weak < "
            "{band_medium:.2f}"
        ).format(band_strong=ss["band_strong"], band_medium=ss["band_medium"])
    )
    if (ss["band_medium"], ss["band_strong"]) != (MEDIUM, STRONG):
        st.button(_("Reset thresholds"), key="sidebar_reset_bands", on_click=_on_reset_bands)


__all__ = [
    "CUSTOM_CHOICE",
    "MODEL_DEFAULT_CHOICE",
    "MODEL_SOURCES",
    "current_settings",
    "default_instruction",
    "default_model",
    "init_state",
    "preset_of",
    "sidebar",
    "source_of",
]
