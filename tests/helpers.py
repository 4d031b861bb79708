"""Test data every test folder builds the same way: random-noise images and their encoded bytes.

One home for what test modules used to copy (``noise_image`` six times, a PNG encoder four times). A free TCP port is
:func:`tests.servers.free_port`; the tiny VLM checkpoint is the root ``conftest.py``'s ``tiny_vlm`` fixture.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from lychee import BaseScorer, Prediction
from lychee.results import sigmoid


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


def bomb_body(n: int = 30) -> dict:
    """The issue's attack: ``n`` 1-bit 16384x8192 PNGs (28 KB each, 403 MB of RGB each once decoded) as base64
    documents of one /v1/rerank body (about 1.1 MB for 30)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (16_384, 8_192)).save(out, format="PNG")
    bomb = data_url(out.getvalue())
    return {"query": "red running shoes", "documents": [{"image": bomb} for _ in range(n)]}


@dataclass
class WordOverlapScorer(BaseScorer):
    """A deterministic text scorer for tests: log-odds = 4 * (share of query words in the document) - 2.

    An instruction containing "reverse" flips the sign, so an instruction A/B gives clearly different rankings.
    ``calls`` records the number of pairs of each ``_predict_pairs`` call.
    """

    name: str = "word-overlap"
    family: str = "test"
    calls: list[int] = field(default_factory=list)

    def _predict_pairs(self, pairs, instruction, *, progress=None):
        self.calls.append(len(pairs))
        out = []
        for q, d in pairs:
            words = set((q.text or "").lower().split())
            doc = set((d.text or "").lower().replace(",", " ").split())
            share = len(words & doc) / len(words) if words else 0.0
            z = 4.0 * share - 2.0
            if "reverse" in instruction:
                z = -z
            out.append(Prediction(score=sigmoid(z), log_odds=z))
        if progress is not None:
            progress(len(pairs), len(pairs))
        return out


def run_in_fresh_interpreters(function: str, calls: list[tuple[Any, ...]], *, timeout: float = 180) -> None:
    """Run ``"module:function"`` once per argument tuple in ``calls``, each in its own fresh interpreter, all at once.

    Fresh interpreters, not ``multiprocessing``: a spawned child re-runs the parent's ``__main__``, which after an
    AppTest in the same session is a dashboard page. Arguments travel as JSON.

    Raises:
        AssertionError: a run exited non-zero (its stderr is in the message).
    """
    module, name = function.split(":")
    code = (
        "import importlib, json, sys; "
        "getattr(importlib.import_module(sys.argv[1]), sys.argv[2])(*json.loads(sys.argv[3]))"
    )
    root = Path(__file__).resolve().parents[1]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, module, name, json.dumps(list(args))], cwd=root, stderr=subprocess.PIPE
        )
        for args in calls
    ]
    errors = [p.communicate(timeout=timeout)[1].decode(errors="replace") for p in procs]
    assert [p.returncode for p in procs] == [0] * len(procs), errors


__all__ = [
    "WordOverlapScorer",
    "bomb_body",
    "data_url",
    "encode_image",
    "noise_image",
    "noise_png",
    "run_in_fresh_interpreters",
]
