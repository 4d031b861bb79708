"""The notes the library declares about its models (``ModelInfo.notes``), as the pages show them: in the session's
language for the notes the dashboard carries a translation of (BM25's, the embedded default's), else the library's
English under a translated heading. Pure: no streamlit.

The English copies below are the library's notes word for word (a test checks it): they are the message ids, marked
here because extraction reads lychee/ui only (library text stays English: babel.cfg).
"""

from __future__ import annotations

from lychee.scorers.embedding import ENGLISH_ONLY_NOTE
from lychee.scorers.lexical import BM25_NOTE
from lychee.ui.i18n import N_, _

#: The library's note -> its message id (the same English).
TRANSLATED_NOTES = {
    BM25_NOTE: N_(
        "BM25 is a lexical ranking, not a model: it counts the query's words (Chinese: character pairs) in each title, "
        "weighted by how rare they are among the titles scored together. Its score is not a probability, so the bands "
        "do not apply; it reads no meaning and no images."
    ),
    ENGLISH_ONLY_NOTE: N_(
        "Reads English well; on Chinese and other non-Latin scripts it ranks by shared characters, not meaning. Load "
        "Lychee-rerank-mm or Qwen3-VL-Reranker for those."
    ),
}


def model_note(note: str) -> str:
    """A library note about a model as Markdown in the session's language: translated when the catalog has it, else
    the library's English under the heading "About this model"."""
    if note in TRANSLATED_NOTES:
        return _(TRANSLATED_NOTES[note])
    return "**" + _("About this model:") + "**\n\n" + note


__all__ = ["TRANSLATED_NOTES", "model_note"]
