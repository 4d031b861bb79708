"""Which language a batch of texts is mostly in (by script), and the warning a page shows when the loaded model does
not read it well.

The embedded default (all-MiniLM-L6-v2) was trained on English: on Chinese e-commerce titles it ranks by shared
characters, not meaning (measured: for 办公室绿植 it put a keyboard above a monstera pot). The check is by script, which
is reliable for the cases that matter here (Han, kana, Hangul, Cyrillic, Arabic...); Latin-script text is reported as
unknown (``None``) and never warned about. A leaf module.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable

# Share of a text's letters that must be in one non-Latin script before it counts as that language.
DOMINANT_SHARE = 0.3

LANGUAGE_NAMES = {
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian (Cyrillic script)",
    "ar": "Arabic",
    "he": "Hebrew",
    "th": "Thai",
    "hi": "Hindi (Devanagari script)",
    "el": "Greek",
}


def _script(ch: str) -> str | None:
    """The language code of ``ch``'s script, ``"latin"`` for Latin letters, ``None`` for non-letters."""
    o = ord(ch)
    if 0x3040 <= o <= 0x30FF:
        return "ja"
    if 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF:
        return "ko"
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F:
        return "zh"
    if 0x0400 <= o <= 0x04FF:
        return "ru"
    if 0x0600 <= o <= 0x06FF:
        return "ar"
    if 0x0590 <= o <= 0x05FF:
        return "he"
    if 0x0E00 <= o <= 0x0E7F:
        return "th"
    if 0x0900 <= o <= 0x097F:
        return "hi"
    if 0x0370 <= o <= 0x03FF:
        return "el"
    if ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN"):
        return "latin"
    return None


def dominant_language(texts: Iterable[str | None]) -> str | None:
    """The language code of the non-Latin script most letters of ``texts`` are written in, or ``None``.

    Japanese text mixes kana and Han characters: any kana share above the threshold makes it ``"ja"``.

    Example:
        >>> dominant_language(["办公室绿植", "龟背竹 盆栽 大号"])
        'zh'
        >>> dominant_language(["red running shoes"]) is None
        True
    """
    counts: Counter[str] = Counter()
    for text in texts:
        for ch in text or "":
            script = _script(ch)
            if script is not None:
                counts[script] += 1
    total = sum(counts.values())
    if total == 0:
        return None
    if counts["ja"] / total >= DOMINANT_SHARE / 3:
        return "ja"
    code, n = max(((c, n) for c, n in counts.items() if c != "latin"), key=lambda cn: cn[1], default=(None, 0))
    return code if code is not None and n / total >= DOMINANT_SHARE else None


def language_warning(
    languages: tuple[str, ...], model: str, texts: Iterable[str | None], *, what: str = "these texts"
) -> str | None:
    """A warning when ``texts`` are mostly in a language the model does not read well, else ``None``.

    Args:
        languages: the model's ``capabilities.languages`` (empty: multilingual, never warned about).
        model: the model's name, for the message.
        texts: the query and document texts.
        what: how to call the texts in the message.
    """
    if not languages:
        return None
    code = dominant_language(texts)
    if code is None or code in languages:
        return None
    name = LANGUAGE_NAMES.get(code, code)
    reads = ", ".join(LANGUAGE_NAMES.get(c, "English" if c == "en" else c) for c in languages)
    return (
        f"Most of {what} is {name}, but the model '{model}' reads {reads} well, not {name}: its scores follow shared "
        f"characters rather than meaning, so treat this ranking with care. Load Lychee-rerank-mm or "
        f"Qwen3-VL-Reranker (multilingual, read {name}) for a meaningful ranking, or compare with the lexical "
        "baseline 'bm25' (no download; it counts shared words, character pairs in Chinese, Japanese and Korean, and "
        "reads no meaning)."
    )


__all__ = ["DOMINANT_SHARE", "LANGUAGE_NAMES", "dominant_language", "language_warning"]
