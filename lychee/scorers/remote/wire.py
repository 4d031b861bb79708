"""How items travel: images as PNG data URLs (resized as the family's model sees them, when the family is known),
and what an empty side becomes on protocols that carry plain text.

An empty side happens in occlusion, when a text's only word is removed. The chat protocol sends the family's own
messages (:func:`lychee.prompt.build_messages`), so an empty side is exactly what the local recipe makes of it. This
project's server scores an empty item when asked (``"allow_empty": true``), with its own recipe: exact too. Other
rerank servers get, per side, the text that gives the same prompt as the local recipe — ``"NULL"`` for
Qwen3-VL-Reranker (its recipe writes ``NULL`` for an empty side), ``""`` for the embedding model and for models of
unknown family — and a Lychee model there is refused with a clear error: its recipe leaves an empty side out
altogether, which no text reproduces (use the ``openai-chat`` protocol or a local model to explain such pairs).
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

from lychee.items import Item
from lychee.prompt import FAMILIES, LYCHEE, NULL_TEXT, QWEN3_VL_RERANKER

EMBEDDING = "embedding"
#: How the Qwen-VL chat templates write an image into the prompt (both families).
VISION_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>"

#: The text that reproduces the local recipe's empty side, per family; ``None``: no text does.
EMPTY_SIDE_TEXT: dict[str | None, str | None] = {QWEN3_VL_RERANKER: NULL_TEXT, LYCHEE: None, EMBEDDING: "", None: ""}

ImageCache = dict[int, str]


def png_data_url(image: Image.Image) -> str:
    """``data:image/png;base64,...`` of ``image`` (lossless, so the server decodes the very pixels)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_url(item: Item, *, family: str | None, pixels: tuple[int, int] | None, cache: ImageCache) -> str:
    """The data URL of ``item``'s image, as the model of ``family`` sees it when the family is a Qwen-VL one.

    The local scorer pads an extreme aspect ratio and resizes within the family's pixel bounds before its processor
    runs; sending that image makes the server's processor (which resizes an already-conforming image to the same
    size) see the same pixels. For other families the image goes as it is. Cached per image object within a call.

    Args:
        pixels: ``(min_pixels, max_pixels)`` the server uses, or ``None`` for the family's defaults.
    """
    key = id(item.image)
    if key not in cache:
        image = item.image
        if family in FAMILIES:
            from lychee.scorers.qwen_vl.encoding import fit_image

            spec = FAMILIES[family]
            low, high = pixels or (spec.min_pixels, spec.max_pixels)
            image, _ = fit_image(item, spec, min_pixels=low, max_pixels=high)
        cache[key] = png_data_url(image)
    return cache[key]


def processor_kwargs(family: str | None, pixels: tuple[int, int] | None) -> dict[str, Any] | None:
    """vLLM's per-request ``mm_processor_kwargs`` holding the family's pixel bounds, or ``None`` for other families.

    The server's processor resizes every image again within its own bounds; the checkpoint's defaults can differ from
    the recipe's (Qwen3-VL ships ``shortest_edge`` 65536 pixels, the reranker recipe uses 4*32*32), which would upscale
    small images. Sent with each request that carries an image, so that the server's bounds are the recipe's.
    """
    if family not in FAMILIES:
        return None
    spec = FAMILIES[family]
    low, high = pixels or (spec.min_pixels, spec.max_pixels)
    return {"size": {"shortest_edge": low, "longest_edge": high}}


def empty_side_text(family: str | None, *, what: str, url: str, protocol: str, refuses_empty: bool = False) -> str:
    """The text an empty side becomes on a text-carrying protocol (see module docstring).

    Args:
        refuses_empty: the server refuses an empty query or document (this project's API does): only a non-empty
            text form (Qwen3-VL-Reranker's ``NULL``) can be sent.

    Raises:
        ValueError: the family's recipe has no text form of an empty side the server accepts.
    """
    if family not in EMPTY_SIDE_TEXT:
        family = None
    text = EMPTY_SIDE_TEXT[family]
    if text is None or (refuses_empty and not text):
        why = (
            f"the {family} recipe leaves an empty side out of the prompt, which no text reproduces"
            if text is None
            else "this project's API refuses an empty query or document"
        )
        raise ValueError(
            f"{what} is empty (occlusion removed its only word), and the '{protocol}' protocol cannot say "
            f"'nothing there' to {url}: {why}. Explain this pair with a local model (or, for a Qwen-VL reranker, "
            "protocol='openai-chat', which sends the recipe's own messages), or give the query and the document more "
            "than one word."
        )
    return text


def content_parts(
    item: Item, *, family: str | None, pixels: tuple[int, int] | None, cache: ImageCache
) -> list[dict[str, Any]]:
    """vLLM's multimodal content parts of an item: its image (``image_url``), then its text — the recipe's order.

    For a Qwen-VL family the text part starts with the image placeholder itself. vLLM's score path joins an item's
    text parts and puts each image's placeholder that the text lacks on a line of its own in front
    (``placeholder + "\n" + text``), one newline the recipe does not have; a text that already holds the placeholder
    is left as it is, so the served prompt is the recipe's ``placeholder + text``.
    """
    parts: list[dict[str, Any]] = []
    if item.has_image:
        url = image_url(item, family=family, pixels=pixels, cache=cache)
        parts.append({"type": "image_url", "image_url": {"url": url}})
    text = item.text if item.has_text else ""
    if item.has_image and family in FAMILIES:
        text = VISION_PLACEHOLDER + text
    if text:
        parts.append({"type": "text", "text": text})
    return parts


__all__ = [
    "EMBEDDING",
    "EMPTY_SIDE_TEXT",
    "VISION_PLACEHOLDER",
    "ImageCache",
    "content_parts",
    "empty_side_text",
    "image_url",
    "png_data_url",
    "processor_kwargs",
]
