"""The pages' inputs as library items: an uploaded file's bytes and name, and a query or document :class:`Item` built
from a text box and uploads. Pure: no streamlit, so tests call it directly.
"""

from __future__ import annotations

from typing import Any

from lychee.contract import Capabilities
from lychee.items import Item, load_image
from lychee.ui.i18n import N_, _, modalities_name, side_name
from lychee.video import load_video


def read_upload(file: Any) -> tuple[bytes | None, str | None]:
    """``(bytes, file name)`` of an uploaded file (anything with ``getvalue()`` and ``name``); ``(None, None)`` for
    no file."""
    if file is None:
        return None, None
    return file.getvalue(), file.name


def make_item(
    text: str | None,
    image_bytes: bytes | None,
    *,
    name: str,
    image_name: str | None = None,
    video_bytes: bytes | None = None,
    video_name: str | None = None,
    reduce_to: int | None = None,
) -> Item:
    """An :class:`Item` from page inputs; blank text counts as no text.

    Args:
        text: the text box's content.
        image_bytes, image_name: an uploaded image and its file name.
        video_bytes, video_name: an uploaded clip and its file name.
        name: ``"query"`` or ``"document"``, for messages.
        reduce_to: the model's pixel bound (``capabilities.max_image_pixels``): a larger image is decoded reduced to
            it (see :func:`lychee.load_image`), never kept at full size.

    Raises:
        ValueError: the image bytes are not a readable image, or the clip cannot be read or is too long (the
            library's message, naming ``name`` and the file).
    """
    what = name if image_name is None else f"{name} '{image_name}'"
    text = text if text is not None and text.strip() else None
    image = None
    if image_bytes is not None:
        image = load_image(image_bytes, what=f"{what} image", reduce_to=reduce_to)
    clip = None
    if video_bytes is not None:
        clip = load_video(video_bytes, what=f"{name} '{video_name or 'upload'}' video")
    return Item(text=text, image=image, video=clip, name=name)


#: The page's answer to an upload the model cannot read: the file by name, and where in the sidebar to fix it.
IMAGE_REFUSAL = N_(
    "The {side} image '{file}' cannot be scored: the model '{model}' reads {modalities} only. Remove the image, or "
    "choose *Checkpoint folder or hub id* in the sidebar and enter a Lychee-rerank-mm or Qwen3-VL-Reranker checkpoint."
)
CLIP_REFUSAL = N_(
    "The {side} clip '{file}' cannot be scored: the model '{model}' reads {modalities} only. Remove the clip, or "
    "choose *Checkpoint folder or hub id* in the sidebar and enter a Lychee-rerank-mm or Qwen3-VL-Reranker checkpoint."
)
#: What the page says at an uploader when the chosen model will refuse what is uploaded there.
IMAGE_UPLOAD_NOTE = N_(
    "'{model}' reads {modalities} only, so an image here is refused: choose *Checkpoint folder or hub id* in the "
    "sidebar to score images."
)
CLIP_UPLOAD_NOTE = N_(
    "'{model}' reads {modalities} only, so a clip here is refused: choose *Checkpoint folder or hub id* in the "
    "sidebar to score clips."
)


def modality_refusal(
    capabilities: Capabilities,
    model: str,
    *,
    side: str,
    image_name: str | None = None,
    video_name: str | None = None,
) -> str | None:
    """What the page says when the ``side`` (``"query"`` or ``"document"``) has an uploaded image (``image_name``) or
    clip (``video_name``) the model does not read, naming the file; ``None`` when the model reads all of it. Asked
    before anything is decoded: an upload the model refuses costs nothing."""
    values = {"side": side_name(side), "model": model, "modalities": modalities_name(capabilities.modalities)}
    if image_name is not None and not capabilities.image:
        return _(IMAGE_REFUSAL).format(file=image_name, **values)
    if video_name is not None and not capabilities.video:
        return _(CLIP_REFUSAL).format(file=video_name, **values)
    return None


def upload_note(capabilities: Capabilities | None, model: str, kind: str) -> str | None:
    """The note at an ``"image"`` or ``"clip"`` uploader when the model will refuse that kind of file (``None`` when
    it reads it, or when its capabilities are not known yet)."""
    if capabilities is None:
        return None
    values = {"model": model, "modalities": modalities_name(capabilities.modalities)}
    if kind == "image" and not capabilities.image:
        return _(IMAGE_UPLOAD_NOTE).format(**values)
    if kind == "clip" and not capabilities.video:
        return _(CLIP_UPLOAD_NOTE).format(**values)
    return None


__all__ = [
    "CLIP_REFUSAL",
    "CLIP_UPLOAD_NOTE",
    "IMAGE_REFUSAL",
    "IMAGE_UPLOAD_NOTE",
    "make_item",
    "modality_refusal",
    "read_upload",
    "upload_note",
]
