from __future__ import annotations

import os

import pytest

# Never touch a model hub from tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def default_scorer():
    """The embedded all-MiniLM-L6-v2 scorer, loaded once per session (about 5 s)."""
    from lychee import load_scorer

    return load_scorer("default", device="cpu")


def write_clip(
    path,
    *,
    seconds: float = 3.0,
    fps: int = 10,
    size: tuple[int, int] = (64, 48),
    codec: str = "libx264",
    seed: int = 0,
    options: dict[str, str] | None = None,
):
    """Encode a clip of random frames (each frame different) with PyAV; returns ``path``.

    Args:
        path: where to write it; the extension picks the container (``.mp4``, ``.webm``, ``.mkv``).
        seconds / fps: length and frame rate (``round(seconds * fps)`` frames).
        size: ``(width, height)`` in pixels (even numbers for yuv420p).
        codec: e.g. ``"libx264"``, ``"mpeg4"``, ``"libvpx-vp9"``.
        options: container options, e.g. ``{"movflags": "faststart"}``.
    """
    import av
    import numpy as np

    width, height = size
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w", options=options or {}) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for _ in range(round(seconds * fps)):
            pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="session")
def make_clip():
    """:func:`write_clip`, for tests in any folder."""
    return write_clip


@pytest.fixture(scope="session")
def clip_path(tmp_path_factory: pytest.TempPathFactory):
    """A 3-second, 10 fps, 64x48 H.264 mp4 of random frames (30 frames)."""
    return write_clip(tmp_path_factory.mktemp("clips") / "clip.mp4")
