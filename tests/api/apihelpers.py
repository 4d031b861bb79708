"""Shared helpers of the API tests (images, the key)."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

API_KEY = "test-key-7f3a"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def png_bytes(seed: int = 0, size: tuple[int, int] = (56, 42)) -> bytes:
    """A small random RGB PNG."""
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"
