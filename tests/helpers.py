"""Test data every test folder builds the same way: random-noise images and their encoded bytes.

One home for what test modules used to copy (``noise_image`` six times, a PNG encoder four times). A free TCP port is
:func:`tests.servers.free_port`; the tiny VLM checkpoint is the root ``conftest.py``'s ``tiny_vlm`` fixture.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from PIL import Image


def noise_image(width: int, height: int, seed: int = 0) -> Image.Image:
    """An RGB image of uniform random pixels (every pixel differs, so no region is uninformative)."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), mode="RGB")


def encode_image(image: Image.Image, fmt: str = "PNG", **save_options: Any) -> bytes:
    """``image`` encoded as ``fmt`` (``"PNG"``, ``"JPEG"``, ``"WEBP"``...), with Pillow's ``save`` options."""
    buf = io.BytesIO()
    image.save(buf, format=fmt, **save_options)
    return buf.getvalue()


def noise_png(width: int = 56, height: int = 42, seed: int = 0) -> bytes:
    """A :func:`noise_image` as PNG bytes, what an upload or an API request carries."""
    return encode_image(noise_image(width, height, seed))


def data_url(data: bytes, mime: str = "image/png") -> str:
    """``data`` as a base64 ``data:`` URL, the way API clients send an image inline."""
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


__all__ = ["data_url", "encode_image", "noise_image", "noise_png"]
