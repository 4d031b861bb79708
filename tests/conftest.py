from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Never touch a model hub from tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Never write labelled sets or runs into the repository's data/ (nor a developer's own store), not even from
# module- or session-scoped fixtures that run before the per-test `workspace` below.
_SESSION_WORKSPACE = Path(tempfile.mkdtemp(prefix="lychee-test-workspace-"))
atexit.register(shutil.rmtree, _SESSION_WORKSPACE, ignore_errors=True)
os.environ["LYCHEE_SETS_DIR"] = str(_SESSION_WORKSPACE / "sets")
os.environ["LYCHEE_RUNS_DB"] = str(_SESSION_WORKSPACE / "runs.sqlite")


@pytest.fixture(scope="session")
def default_scorer():
    """The embedded all-MiniLM-L6-v2 scorer, loaded once per session (about 5 s)."""
    from lychee import load_scorer

    return load_scorer("default", device="cpu")


#: Access switches read in-process by the pages (lychee.access): a developer's shell must not change what tests see.
ACCESS_ENV = (
    "LYCHEE_DASHBOARD_TOKEN",
    "LYCHEE_ALLOW_ANONYMOUS",
    "LYCHEE_READ_ONLY",
    "LYCHEE_EDITORS",
    "LYCHEE_MODELS",
    "LYCHEE_REMOTE_ALLOW",
)


@pytest.fixture(autouse=True)
def _no_access_switches(monkeypatch: pytest.MonkeyPatch):
    """Every test starts as a local, open dashboard (a test that needs a switch sets it)."""
    for name in ACCESS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Labelled sets and the run store of every test live in a fresh temporary folder, never in the repo's data/."""
    base = tmp_path_factory.mktemp("workspace")
    monkeypatch.setenv("LYCHEE_SETS_DIR", str(base / "sets"))
    monkeypatch.setenv("LYCHEE_RUNS_DB", str(base / "runs.sqlite"))
    return base


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


@pytest.fixture(scope="session")
def tiny_vlm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A randomly initialised tiny Lychee (Qwen2.5-VL) checkpoint folder, built once per session (read-only: copy it
    to change it). The pages, the API server and the scorer tests all run on it."""
    from lychee.synthetic import build_synthetic_checkpoint

    return str(build_synthetic_checkpoint(tmp_path_factory.mktemp("tiny-lychee"), family="lychee", size="tiny", seed=0))


@pytest.fixture(scope="session")
def project_server():
    """Base URL of this project's own server (``./start.sh``, embedded default model) once its model is loaded; used
    as a remote model by the remote-scorer and eval tests."""
    from tests.servers import serve

    with serve(ready_path="/api/health", timeout=600) as url:
        yield url
