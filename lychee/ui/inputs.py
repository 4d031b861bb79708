"""The pages' inputs as library items: an uploaded file's bytes and name, and a query or document :class:`Item` built
from a text box and uploads. Pure: no streamlit, so tests call it directly.
"""

from __future__ import annotations

from typing import Any

from lychee.items import Item, load_image
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


__all__ = ["make_item", "read_upload"]
