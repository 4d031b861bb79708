"""When a result's score bands mean nothing, and why in a few words: the pages grey the bands and say so.

Two cases, both declared by the scorer (never probed): its score is not a probability (BM25,
``capabilities.score_is_probability``), or the texts are mostly in a language it does not read
(``capabilities.languages``, :mod:`lychee.language`) — then a "strong" 0.95 is confident-looking nonsense. Pure: no
streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable

from lychee.contract import Capabilities
from lychee.language import LANGUAGE_NAMES, dominant_language

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
        return f"{model} scores rank titles but are not probabilities"
    if not capabilities.languages:
        return None
    code = dominant_language(texts)
    if code is None or code in capabilities.languages:
        return None
    language = LANGUAGE_NAMES.get(code, code)
    return f"{model} does not read {language}: its scores are not meaningful here"


__all__ = ["GREYED_COLOR", "GREYED_ICON", "band_caveat"]
