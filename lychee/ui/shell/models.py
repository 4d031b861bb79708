"""Model loading for the dashboard: one scorer per (model, device, dtype), shared by all sessions and the HTTP API.

Scorers come from the process-wide loader :data:`lychee.serving.LOADER`, so every browser session and every API
request of the server process uses the same weights, and a model the server started loading in the background is
joined, not loaded twice. Scorers are stateless per call (the embedding cache is thread-safe), so two sessions scoring
at once both get correct results; the shared object is never mutated. When a session switches model, the model it used
before is released (unless the server pins it for the API) and memory is given back (``gc.collect()``, and
``torch.cuda.empty_cache()`` when torch is already imported and CUDA is up) — pages never import torch themselves.
Every load goes through :func:`_load_showing_errors`, which first asks :func:`lychee.access.check_may_load`: a viewer
gets only the models the server offers (``LYCHEE_MODELS``, its own model), whatever the session state says.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from typing import Any

import streamlit as st

import lychee
from lychee.access import check_may_load
from lychee.contract import Scorer
from lychee.formatting import escape_markdown, format_bytes, format_count, markdown_code
from lychee.roles import PermissionDeniedError
from lychee.runtime import cuda_allocated_bytes, empty_cuda_cache, process_rss_bytes
from lychee.scorers.embedding import EMBEDDING_CAPABILITIES
from lychee.scorers.lexical import BM25_CAPABILITIES, BM25_MODEL
from lychee.serving import LOADER, LoadedModel, LoadStatus, ModelKey
from lychee.ui.i18n import _, modalities_name
from lychee.ui.shell import notices
from lychee.ui.shell.identity import current_actor
from lychee.ui.shell.settings import Settings

logger = logging.getLogger(__name__)

# Session key holding the (model, device, dtype) this session loaded last; switching away from it releases it.
LOADED_KEY = "_loaded_model_key"


# Sidebar parts that depend on whether the model is loaded, kept per script-run thread: the sidebar is drawn before a
# page loads anything, so a load later in the same run redraws them (see `on_load`).
_REDRAW = threading.local()


def _this_run() -> object | None:
    # ScriptRunContext.reset() gives every script run a fresh `cursors` dict; holding it identifies the run.
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return None if ctx is None else ctx.cursors


def reset_redraws() -> None:
    """Forget the previous run's redraw callbacks (the sidebar calls this first in every run)."""
    _REDRAW.run = _this_run()
    _REDRAW.callbacks = []
    _REDRAW.facts = None


def on_load(callback: Callable[[], None]) -> None:
    """Draw ``callback()`` now and again after a model loads later in this run (it should write into an st.empty)."""
    callback()
    if getattr(_REDRAW, "run", None) is not _this_run():
        reset_redraws()
    _REDRAW.callbacks.append(callback)


def _redraw() -> None:
    # Only this run's slots: a page that loads without having drawn the sidebar must not write into an old run's.
    if getattr(_REDRAW, "run", None) is not _this_run():
        return
    for callback in getattr(_REDRAW, "callbacks", []):
        callback()


def model_facts(settings: Settings) -> tuple[str, tuple[str, ...]]:
    """What the sidebar and the pages' pickers show about the model before it loads and may show differently after:
    its default instruction (the library's until loaded) and its salience methods (occlusion until loaded)."""
    loaded = loaded_model(settings)
    if loaded is None:
        return lychee.DEFAULT_INSTRUCTION, ("occlusion",)
    return loaded.scorer.default_instruction, tuple(loaded.scorer.capabilities.explain_methods)


def remember_drawn(settings: Settings) -> None:
    """Note what the sidebar is drawn with in this run (:func:`model_facts`), for :func:`rerun_if_sidebar_stale`."""
    if getattr(_REDRAW, "run", None) is not _this_run():
        reset_redraws()
    _REDRAW.facts = model_facts(settings)


def rerun_if_sidebar_stale(settings: Settings) -> None:
    """Rerun the page when a model that loaded during this run changed what the sidebar shows (its default
    instruction) or what the pickers offer (gradient salience): a VLM loaded on first use otherwise leaves the previous
    model's instruction in the sidebar until the next interaction. Call it after the result is stored, so the rerun
    draws it again; a run whose sidebar is up to date is left alone."""
    drawn = getattr(_REDRAW, "facts", None)
    if getattr(_REDRAW, "run", None) is _this_run() and drawn is not None and drawn != model_facts(settings):
        st.rerun()


def status_line(settings: Settings, slot: Any) -> None:
    """Write the sidebar's model status ("loaded (2.1 s)" / "loading" / "not loaded yet") into ``slot``, with the
    warnings the loaded model declared (``info.warnings``)."""
    status = load_status(settings)
    model = markdown_code(settings.model)
    if status.loaded is not None:
        with slot.container():
            st.caption(
                ":material/check_circle: "
                + _("{model} loaded ({seconds:.1f} s).").format(model=model, seconds=status.loaded.seconds)
            )
            for warning in status.loaded.scorer.info.warnings:  # declared at load time (a remote model's probe)
                notices.library_note(warning, _(notices.MODEL_WARNING_HEADING), warning=True)
    elif status.state == "loading":
        slot.caption(
            ":material/hourglass_top: "
            + _("{model} is loading ({seconds:.0f} s so far).").format(model=model, seconds=status.seconds)
        )
    else:
        slot.caption(
            _("{model} is not loaded yet: it loads on first use, or with **Load model** on Home.").format(model=model)
        )


def model_key(settings: Settings) -> ModelKey:
    """The cache key of the model ``settings`` asks for."""
    return (settings.model, settings.device, settings.dtype)


def loaded_model(settings: Settings) -> LoadedModel | None:
    """The model ``settings`` asks for if it is already loaded (by any session or the API), else ``None``; never loads."""
    return LOADER.loaded(model_key(settings))


def load_status(settings: Settings) -> LoadStatus:
    """Whether the model ``settings`` asks for is absent, loading (e.g. in the background at server start), loaded
    or failed; never loads."""
    return LOADER.status(model_key(settings))


def get_scorer(settings: Settings, *, spinner: bool = True) -> Scorer | None:
    """The cached scorer for ``settings``, loading it on first use.

    Args:
        settings: from :func:`lychee.ui.sidebar`.
        spinner: show a spinner while a model loads.

    Returns:
        The scorer, or ``None`` after showing the library's error message with ``st.error`` (missing folder,
        unsupported checkpoint, missing package...). Never raises for a bad model choice.
    """
    loaded = load_model(settings, spinner=spinner)
    return None if loaded is None else loaded.scorer


def load_model(settings: Settings, *, spinner: bool = True) -> LoadedModel | None:
    """Like :func:`get_scorer`, but returns the :class:`LoadedModel` (scorer plus load time)."""
    key = model_key(settings)
    release_previous(key)
    loaded = _load_showing_errors(key, spinner=spinner)
    if loaded is None:
        return None
    st.session_state[LOADED_KEY] = key
    _redraw()
    return loaded


def load_second(key: ModelKey, *, spinner: bool = True) -> LoadedModel | None:
    """Load (or reuse) a model *next to* this session's own, e.g. model B of an A/B; releases nothing.

    The sidebar's model stays the session's model; the second one lives in the same bounded cache (two entries), so
    loading a third model evicts the least recently used one.

    Returns:
        The :class:`LoadedModel`, or ``None`` after showing the library's error message.
    """
    return _load_showing_errors(tuple(key), spinner=spinner)


def _load_showing_errors(key: ModelKey, *, spinner: bool) -> LoadedModel | None:
    model = key[0]
    try:
        check_may_load(model, current_actor())
        if spinner and LOADER.loaded(key) is None:
            with st.spinner(_("Loading model {model}...").format(model=markdown_code(model)), show_time=True):
                return LOADER.load(key)
        return LOADER.load(key)
    except (ValueError, TypeError, ImportError, OSError, PermissionDeniedError) as exc:
        # The library's messages say what is wrong and how to fix it; shown as they are (escaped: they quote input).
        notices.library_error(
            str(exc),
            _("The model cannot be loaded. Choose another model in the sidebar, or fix what the message names."),
        )
    except Exception as exc:  # a model load can fail in many ways (CUDA OOM, corrupt weights); never a traceback
        logger.exception("loading model %r failed", model)
        st.error(
            escape_markdown(
                _("Loading model '{model}' failed: {error_type}: {exc}").format(
                    model=model, error_type=type(exc).__name__, exc=exc
                )
            )
        )
    return None


def loaded_models() -> list[LoadedModel]:
    """Every model loaded right now (by any session or the API), oldest first; never loads."""
    loaded = [LOADER.status(key).loaded for key in LOADER.keys()]
    return sorted((m for m in loaded if m is not None), key=lambda m: m.loaded_at)


def release_previous(key: ModelKey) -> bool:
    """If this session used another model before, release it and free its memory (unless the server pins it: the
    HTTP API serves that one).

    Returns:
        True when a previous model was released.
    """
    previous = st.session_state.get(LOADED_KEY)
    if previous is None or tuple(previous) == tuple(key):
        return False
    st.session_state.pop(LOADED_KEY, None)
    if not LOADER.release(tuple(previous)):
        return False
    free_memory()
    return True


def free_memory() -> None:
    """Collect garbage and, if torch is already imported and CUDA is up, return cached CUDA blocks to the driver."""
    gc.collect()
    empty_cuda_cache()


def model_status(loaded: LoadedModel) -> dict[str, str]:
    """What the home page shows about a loaded model: name, family, device, dtype, attention, parameters, memory."""
    scorer = loaded.scorer
    info = scorer.info
    return {
        "Model": info.name,
        "Family": info.family,
        "Device": info.device,
        "Dtype": info.dtype,
        "Attention": info.attention,
        "Parameters": format_count(info.parameters),
        "Weights": format_bytes(info.weights_bytes),
        "Process memory (RSS)": format_bytes(process_rss_bytes()),
        "CUDA allocated": format_bytes(cuda_allocated_bytes()),
        "Load time": _("{seconds:.1f} s").format(seconds=loaded.seconds),
        "Modalities": modalities_name(scorer.capabilities.modalities),
    }


def capabilities(settings: Settings) -> lychee.Capabilities | None:
    """The capabilities of the model of ``settings`` if it is loaded, else ``None`` (never loads)."""
    loaded = loaded_model(settings)
    return None if loaded is None else loaded.scorer.capabilities


def known_capabilities(settings: Settings) -> lychee.Capabilities | None:
    """The capabilities of the model of ``settings``: the loaded scorer's, else those the embedded default and BM25
    always declare (they load in seconds), else ``None`` (a checkpoint or URL not loaded yet). Never loads."""
    caps = capabilities(settings)
    if caps is not None:
        return caps
    return {lychee.DEFAULT_MODEL: EMBEDDING_CAPABILITIES, BM25_MODEL: BM25_CAPABILITIES}.get(settings.model)


def uses_instruction(settings: Settings) -> bool | None:
    """Whether the model of ``settings`` reads the instruction: True/False, or ``None`` if unknown (not loaded)."""
    caps = capabilities(settings)
    if caps is not None:
        return caps.uses_instruction
    if settings.model in (lychee.DEFAULT_MODEL, BM25_MODEL):
        return False  # the embedded bi-encoder was trained without instructions; BM25 counts words
    return None


__all__ = [
    "LOADED_KEY",
    "LoadedModel",
    "ModelKey",
    "capabilities",
    "free_memory",
    "get_scorer",
    "known_capabilities",
    "load_model",
    "load_second",
    "load_status",
    "loaded_model",
    "loaded_models",
    "model_facts",
    "model_key",
    "model_status",
    "on_load",
    "release_previous",
    "remember_drawn",
    "rerun_if_sidebar_stale",
    "reset_redraws",
    "status_line",
    "uses_instruction",
]
