"""Items (text, image and/or video clip), input coercion, and image decoding with validation (a leaf module).

Every image that enters the library passes through :func:`load_image`, which applies EXIF orientation, converts every
mode to RGB (transparency composited onto white, 16-bit scaled down, CMYK converted) and refuses corrupt, truncated,
missing or absurdly large inputs with a ``ValueError`` naming the input. Every clip passes through
:func:`lychee.video.load_video` in the same way.

Size: the pixel count is read from the file's header and refused above :func:`max_image_pixels` (25 MP by default,
``LYCHEE_MAX_IMAGE_PIXELS``) before a single pixel is decoded, so a 28 KB PNG that would decode to 400 MB costs
nothing. A caller that knows the model's own pixel bound (``capabilities.max_image_pixels``) passes it as
``reduce_to``: a larger image is then reduced right while decoding (JPEG's DCT scaling via ``Image.draft``, else an
integer box ``Image.reduce``) to the smallest size still holding ``reduce_to`` pixels, and is never kept at full size.
The model's resizer would have scaled it down to at most its max pixels anyway; an image at or below ``reduce_to``
is untouched, so its scores do not change.
"""

from __future__ import annotations

import io
import math
import os
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias, TypedDict, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from lychee.validation import existing_file
from lychee.video import Video, VideoInput, load_video

#: The default cap on one image's pixels (25 MP: a 6000x4000 photo), read from the header before decoding.
MAX_IMAGE_PIXELS = 25_000_000
#: The environment variable that sets another cap (a positive integer number of pixels).
MAX_IMAGE_PIXELS_ENV = "LYCHEE_MAX_IMAGE_PIXELS"
# Qwen's smart_resize refuses aspect ratios above this; images beyond it are padded (see pad_to_aspect_ratio).
MAX_ASPECT_RATIO = 200

ImageInput: TypeAlias = Image.Image | str | os.PathLike | bytes | bytearray


class ItemDict(TypedDict, total=False):
    text: str | None
    image: ImageInput | None
    video: VideoInput | None


ItemLike: TypeAlias = Union["Item", str, ItemDict, Image.Image]


def max_image_pixels() -> int:
    """The most pixels one image may have: ``LYCHEE_MAX_IMAGE_PIXELS`` when set, else :data:`MAX_IMAGE_PIXELS`.

    Raises:
        ValueError: the variable holds something other than a positive integer; the message names it.
    """
    raw = os.environ.get(MAX_IMAGE_PIXELS_ENV, "").strip().replace("_", "")
    if not raw:
        return MAX_IMAGE_PIXELS
    if not raw.isdigit() or int(raw) <= 0:
        raise ValueError(
            f"{MAX_IMAGE_PIXELS_ENV}={raw!r}: expected a positive integer number of pixels (default "
            f"{MAX_IMAGE_PIXELS:,}, a 6000x4000 photo). Fix or unset {MAX_IMAGE_PIXELS_ENV}."
        )
    return int(raw)


def image_header_size(source: bytes | bytearray, *, what: str = "image") -> tuple[int, int]:
    """``(width, height)`` from an encoded image's header, decoding no pixel, checked against
    :func:`max_image_pixels`.

    Raises:
        ValueError: the bytes are not a readable image, or the header says it has too many pixels.
    """
    label = f"{what} ({len(source)} bytes)"
    img = _open(io.BytesIO(bytes(source)), label)
    try:
        _check_size(img, label)
        return img.size
    finally:
        img.close()


def load_image(source: ImageInput, *, what: str = "image", reduce_to: int | None = None) -> Image.Image:
    """Decode ``source`` into an upright RGB PIL image.

    Args:
        source: a PIL image, a file path, or the encoded bytes of an image file.
        what: how to name the input in error messages, e.g. ``"document 3 image"``.
        reduce_to: the model's own pixel bound (``capabilities.max_image_pixels``); an encoded image with more
            pixels is reduced while it is decoded to the smallest size still holding this many (never below), so it
            is never kept at full size. ``None`` keeps the full size.

    Returns:
        A fully loaded ``RGB`` image with EXIF orientation applied.

    Raises:
        ValueError: the path does not exist, the bytes are not an image, the file is truncated, or its header says
            it has more than :func:`max_image_pixels` pixels (nothing is decoded then).
        TypeError: ``source`` is of an unsupported type.
    """
    if isinstance(source, Image.Image):
        img = source
        label = f"{what} (PIL image {img.width}x{img.height}, mode {img.mode})"
    elif isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise ValueError(f"{what}: got 0 bytes; expected the bytes of a PNG/JPEG/WebP/... image file.")
        label = f"{what} ({len(source)} bytes)"
        img = _open(io.BytesIO(bytes(source)), label)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        label = f"{what} '{path}'"
        img = _open(existing_file(path, label, "image"), label)
    else:
        raise TypeError(
            f"{what}: got {type(source).__name__}; expected a PIL image, a file path or the bytes of an image file."
        )
    _check_size(img, label)
    encoded = not isinstance(source, Image.Image)
    try:
        if encoded and reduce_to is not None:
            _draft(img, reduce_to)
        img.load()
        if encoded and reduce_to is not None:
            img = _reduce(img, reduce_to)
        img = ImageOps.exif_transpose(img)
    except (OSError, SyntaxError, ValueError) as exc:  # PIL reports truncation/corruption as OSError
        raise ValueError(
            f"{label}: the image data is corrupt or truncated ({exc}). Re-export or re-download it."
        ) from exc
    return to_rgb(img)


def _reduction(width: int, height: int, reduce_to: int) -> float:
    """How many times each side may shrink with ``reduce_to`` pixels still left (1: none)."""
    return max(1.0, (width * height / reduce_to) ** 0.5)


def _draft(img: Image.Image, reduce_to: int) -> None:
    """JPEG: decode at 1/2, 1/4 or 1/8 scale when that still leaves ``reduce_to`` pixels (libjpeg's DCT scaling)."""
    scale = _reduction(img.width, img.height, reduce_to)
    if scale >= 2 and img.format == "JPEG":
        # draft keeps each side >= the size asked, so the area stays >= reduce_to
        img.draft(img.mode, (math.ceil(img.width / scale), math.ceil(img.height / scale)))


#: Modes :meth:`PIL.Image.Image.reduce` averages correctly (a palette or 1-bit image is converted first).
_REDUCIBLE_MODES = ("RGB", "L", "RGBA", "LA", "CMYK", "YCbCr", "I", "F")


def _reduce(img: Image.Image, reduce_to: int) -> Image.Image:
    """A box reduction by the largest integer factor that leaves at least ``reduce_to`` pixels."""
    factor = math.floor(_reduction(img.width, img.height, reduce_to))
    if factor < 2:
        return img
    if img.mode not in _REDUCIBLE_MODES:
        img = to_rgb(img)
    return img.reduce(factor)


def _open(fp: Any, label: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # We apply our own, clearer pixel limit in _check_size right after opening.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(fp)
    except Image.DecompressionBombError as exc:
        raise ValueError(
            f"{label}: refused as a decompression bomb ({exc}). Expected at most {max_image_pixels():,} pixels; "
            "downscale the image first."
        ) from exc
    except UnidentifiedImageError as exc:
        raise ValueError(
            f"{label}: not a readable image (unknown or corrupt format). Expected PNG, JPEG, WebP, GIF, BMP or TIFF."
        ) from exc
    except OSError as exc:
        raise ValueError(f"{label}: cannot be read ({exc}).") from exc


def _check_size(img: Image.Image, label: str) -> None:
    w, h = img.size
    if w <= 0 or h <= 0:
        raise ValueError(f"{label}: has size {w}x{h}; expected a non-empty image.")
    cap = max_image_pixels()
    if w * h > cap:
        raise ValueError(
            f"{label}: {w}x{h} = {w * h:,} pixels, more than the {cap:,} accepted ({MAX_IMAGE_PIXELS_ENV}); "
            "refused as a possible decompression bomb before decoding it. Downscale the image first."
        )


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any PIL mode to RGB: transparency onto white, 16/32-bit scaled to 8-bit, CMYK/YCbCr/LAB converted."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = (0.0, 65535.0) if img.mode.startswith("I;16") else (float(arr.min()), float(arr.max()))
        scaled = np.clip((arr - lo) / max(hi - lo, 1e-12) * 255.0, 0, 255).round().astype(np.uint8)
        return Image.fromarray(scaled).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def pad_to_aspect_ratio(img: Image.Image, max_ratio: float = MAX_ASPECT_RATIO) -> tuple[Image.Image, bool]:
    """Pad the short side with white so that long/short <= ``max_ratio``; returns (image, padded?)."""
    w, h = img.size
    if max(w, h) / min(w, h) <= max_ratio:
        return img, False
    if w >= h:
        new_w, new_h = w, int(np.ceil(w / max_ratio))
    else:
        new_w, new_h = int(np.ceil(h / max_ratio)), h
    canvas = Image.new("RGB", (new_w, new_h), (255, 255, 255))
    canvas.paste(img, ((new_w - w) // 2, (new_h - h) // 2))
    return canvas, True


#: The images items hold, by ``id``: decoded and checked once. An item built from another item's image (``with_text``,
#: ``coerce`` under another name: every occlusion variant and every scored document) keeps that very object instead of
#: a checked copy, so the per-image caches downstream (resizing, content digests) hit. Weak: an image leaves with the
#: last item holding it.
_CHECKED_IMAGES: weakref.WeakValueDictionary[int, Image.Image] = weakref.WeakValueDictionary()


@dataclass(frozen=True, eq=False)
class Item:
    """A query or a document: text, an image and/or a video clip.

    Args:
        text: the text, or ``None``.
        image: a PIL image, a file path or encoded image bytes, or ``None``. It is decoded and validated on
            construction (see :func:`load_image`) and stored as an RGB PIL image.
        video: a video file path, its bytes, a list of PIL frames, or a :class:`~lychee.video.Video` (from
            :func:`~lychee.video.load_video`, which sets the sampling and a frame list's frame rate), or ``None``.
            It is checked on construction (default sampling: 1 frame per second, at most 64 frames, clips up to
            30 s) and stored as a :class:`~lychee.video.Video`.
        name: how to call this item in error messages (e.g. ``"query"``, ``"document 3"``).

    Example:
        >>> Item("red running shoes")
        Item(text='red running shoes')
        >>> Item("unboxing", video="unboxing.mp4")  # doctest: +SKIP
    """

    text: str | None = None
    image: Image.Image | None = None
    video: Video | None = None
    name: str = field(default="item", repr=False)

    def __post_init__(self) -> None:
        if self.text is not None and not isinstance(self.text, str):
            raise TypeError(f"{self.name} text: got {type(self.text).__name__}; expected a string or None.")
        if self.image is not None and _CHECKED_IMAGES.get(id(self.image)) is not self.image:
            image = load_image(self.image, what=f"{self.name} image")
            _CHECKED_IMAGES[id(image)] = image
            object.__setattr__(self, "image", image)
        if self.video is not None and not isinstance(self.video, Video):
            object.__setattr__(self, "video", load_video(self.video, what=f"{self.name} video"))

    @property
    def has_text(self) -> bool:
        return self.text is not None and self.text.strip() != ""

    @property
    def has_image(self) -> bool:
        return self.image is not None

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def is_empty(self) -> bool:
        return not self.has_text and not self.has_image and not self.has_video

    def with_text(self, text: str | None) -> Item:
        """A copy with other text (same image and clip); used by occlusion and truncation."""
        return Item(text=text, image=self.image, video=self.video, name=self.name)

    def with_image(self, image: Image.Image | None) -> Item:
        return Item(text=self.text, image=image, video=self.video, name=self.name)

    def with_video(self, video: Video | None) -> Item:
        return Item(text=self.text, image=self.image, video=video, name=self.name)

    def __repr__(self) -> str:
        parts = []
        if self.text is not None:
            shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
            parts.append(f"text={shown!r}")
        if self.image is not None:
            parts.append(f"image=<{self.image.width}x{self.image.height}>")
        if self.video is not None:
            parts.append(f"video=<{self.video.n_frames} frames, {self.video.duration:.1f} s>")
        return f"Item({', '.join(parts)})"

    @classmethod
    def coerce(cls, value: ItemLike, *, name: str = "item") -> Item:
        """Turn a ``str``, ``{"text":..., "image":..., "video":...}`` dict, PIL image or ``Item`` into an ``Item``."""
        if isinstance(value, Item):
            if value.name == name:
                return value
            return cls(text=value.text, image=value.image, video=value.video, name=name)
        if isinstance(value, str):
            return cls(text=value, name=name)
        if isinstance(value, Image.Image):
            return cls(image=value, name=name)
        if isinstance(value, dict):
            unknown = set(value) - {"text", "image", "video"}
            if unknown:
                raise ValueError(
                    f"{name}: unknown keys {sorted(unknown)}; expected only 'text', 'image' and/or 'video'."
                )
            return cls(text=value.get("text"), image=value.get("image"), video=value.get("video"), name=name)
        if value is None:
            raise ValueError(f"{name}: got None; expected text, an image, a video clip, or a mix.")
        raise TypeError(
            f"{name}: got {type(value).__name__}; expected a string, an Item, a PIL image or a dict with "
            "'text'/'image'/'video'."
        )


def coerce_query(query: ItemLike) -> Item:
    """The query as an :class:`Item`.

    Raises:
        ValueError: the query is empty (no text, no image).
        TypeError: an unsupported type.
    """
    item = Item.coerce(query, name="query")
    if item.is_empty:
        raise ValueError(
            "query is empty: got no text, no image and no video. Give the query text, an image, a clip, or a mix."
        )
    return item


def coerce_document(document: ItemLike, *, name: str = "document") -> Item:
    """``Item.coerce(document, name=name)``, refusing a document with no text, no image and no clip.

    Raises:
        ValueError: the document is empty.
        TypeError: an unsupported type.
    """
    item = Item.coerce(document, name=name)
    if item.is_empty:
        raise ValueError(
            f"{name} is empty: got no text, no image and no video. Give it text, an image, a clip, or a mix."
        )
    return item


def coerce_documents(documents: Any) -> list[Item]:
    """The documents as :class:`Item` objects named ``"document 1"``, ``"document 2"``...

    Raises:
        TypeError: a single document instead of a list, or an unsupported type.
        ValueError: an empty document.
    """
    if isinstance(documents, (str, bytes, Item, dict, Image.Image)) or documents is None:
        got = "None" if documents is None else f"a single {type(documents).__name__}"
        raise TypeError(f'documents: got {got}; expected a list of documents, e.g. ["title 1", "title 2"].')
    items = []
    for i, doc in enumerate(documents):
        item = Item.coerce(doc, name=f"document {i + 1}")
        if item.is_empty:
            raise ValueError(
                f"document {i + 1} is empty: got no text, no image and no video. Give each document text, an image, "
                "a clip, or a mix (or remove it)."
            )
        items.append(item)
    return items


__all__ = [
    "MAX_ASPECT_RATIO",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_PIXELS_ENV",
    "ImageInput",
    "Item",
    "ItemDict",
    "ItemLike",
    "coerce_document",
    "coerce_documents",
    "coerce_query",
    "image_header_size",
    "load_image",
    "max_image_pixels",
    "pad_to_aspect_ratio",
    "to_rgb",
]
