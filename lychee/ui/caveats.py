"""When a result's score bands mean nothing, and why in a few words: the pages grey the bands and say so.

Two cases, both declared by the scorer (never probed): its score is not a probability (BM25,
``capabilities.score_is_probability``), or the texts are mostly in a language it does not read
(``capabilities.languages``, :mod:`lychee.language`) — then a "strong" 0.95 is confident-looking nonsense. Pure: no
streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable

from lychee.contract import Capabilities
from lychee.language import dominant_language
from lychee.ui.i18n import N_, _

#: The languages of :data:`lychee.language.LANGUAGE_NAMES` as the pages name them (translated where shown).
LANGUAGE_LABELS = {
    "en": N_("English"),
    "zh": N_("Chinese"),
    "ja": N_("Japanese"),
    "ko": N_("Korean"),
    "ru": N_("Russian (Cyrillic script)"),
    "ar": N_("Arabic"),
    "he": N_("Hebrew"),
    "th": N_("Thai"),
    "hi": N_("Hindi (Devanagari script)"),
    "el": N_("Greek"),
}

#: The colour of a band that does not apply (instead of green / amber / red).
GREYED_COLOR = "#9e9e9e"
GREYED_ICON = "⚪"


def band_caveat(capabilities: Capabilities, model: str, texts: Iterable[str | None]) -> str | None:
    """Why the bands of a result do not apply, as the labels say it; ``None`` when they do.

    Args:
        capabilities: the scorer's declared capabilities.
        model: the scorer's name, for the message.
        texts: the query and document texts that were scored.

    Example:
        >>> from lychee.scorers.embedding import EMBEDDING_CAPABILITIES
        >>> band_caveat(EMBEDDING_CAPABILITIES, "all-MiniLM-L6-v2", ["无线降噪耳机", "有线儿童耳机"])
        'all-MiniLM-L6-v2 does not read Chinese: its scores are not meaningful here'
    """
    if not capabilities.score_is_probability:
        return _("{model} scores rank titles but are not probabilities").format(model=model)
    if not capabilities.languages:
        return None
    code = dominant_language(texts)
    if code is None or code in capabilities.languages:
        return None
    language = language_label(code)
    return _("{model} does not read {language}: its scores are not meaningful here").format(
        model=model, language=language
    )


def language_label(code: str) -> str:
    """A language code (``"zh"``) as the session's language names it."""
    return _(LANGUAGE_LABELS[code]) if code in LANGUAGE_LABELS else code


def language_note(
    languages: tuple[str, ...], model: str, texts: Iterable[str | None], *, what: str | None = None
) -> str | None:
    """The page's warning when ``texts`` are mostly in a language the model does not read well, else ``None``: the
    dashboard's wording of :func:`lychee.language.language_warning` (which the CLI and API keep in English).

    Args:
        languages: the model's ``capabilities.languages`` (empty: multilingual, never warned about).
        model: the model's name, for the message.
        texts: the query and document texts.
        what: how to call the texts in the message (translated by the caller; "these texts" by default).
    """
    if not languages:
        return None
    code = dominant_language(texts)
    if code is None or code in languages:
        return None
    name = language_label(code)
    reads = _(", ").join(language_label(c) for c in languages)
    return _(
        "Most of {what} is {name}, but the model '{model}' reads {reads} well, not {name}: its scores follow shared "
        "characters rather than meaning, so treat this ranking with care. Load Lychee-rerank-mm or Qwen3-VL-Reranker "
        "(multilingual, read {name}) for a meaningful ranking, or compare with the lexical baseline 'bm25' (no "
        "download; it counts shared words, character pairs in Chinese, Japanese and Korean, and reads no meaning)."
    ).format(what=what or _("these texts"), name=name, model=model, reads=reads)


__all__ = ["GREYED_COLOR", "GREYED_ICON", "LANGUAGE_LABELS", "band_caveat", "language_label", "language_note"]
