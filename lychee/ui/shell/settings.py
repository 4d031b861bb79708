"""What the sidebar chose (:class:`Settings`), the instruction presets it offers, and the upload types the pages
accept: shared by every ``lychee.ui`` module, so it imports nothing of ``lychee.ui`` (and no streamlit)."""

from __future__ import annotations

from dataclasses import dataclass

import lychee
from lychee.bands import MEDIUM, STRONG, Band, band
from lychee.ui.i18n import N_

#: Image file types the pages' uploaders accept (everything lychee.load_image decodes that browsers send).
IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]
#: Video file types the pages' uploaders accept (containers PyAV reads that browsers send).
VIDEO_TYPES = ["mp4", "webm", "mov", "mkv", "m4v"]

# Instruction presets: what relevance means for common tasks. The web-search one is the Lychee / library default.
# The names are shown translated; the instructions are the model's input and stay as the models were trained (English).
PRESETS: dict[str, str] = {
    N_("Web search"): lychee.DEFAULT_INSTRUCTION,
    N_("E-commerce product search"): (
        "Given a shopper's product search query, retrieve product titles and images that match what the shopper wants "
        "to buy."
    ),
    N_("Image search"): "Given a search query, retrieve images that show what the query describes.",
}


@dataclass(frozen=True)
class Settings:
    """What the sidebar chose; pages pass it to :func:`lychee.ui.get_scorer` and read instruction/thresholds.

    Attributes:
        model: ``"default"`` (embedded all-MiniLM-L6-v2) or a checkpoint folder / hub id.
        instruction: the instruction to send, or ``None`` for the model's own default.
        strong: P(yes) at or above which a result is "strong".
        medium: P(yes) at or above which a result is "medium" (below: "weak").
        device: ``None`` (auto), ``"cpu"`` or ``"cuda"``.
        dtype: ``None`` (auto) or ``"bfloat16"``/``"float16"``/``"float32"``.
    """

    model: str = lychee.DEFAULT_MODEL
    instruction: str | None = None
    strong: float = STRONG
    medium: float = MEDIUM
    device: str | None = None
    dtype: str | None = None

    def band(self, score: float) -> Band:
        """The band of ``score`` under these thresholds."""
        return band(score, strong=self.strong, medium=self.medium)


__all__ = ["IMAGE_TYPES", "PRESETS", "VIDEO_TYPES", "Settings"]
