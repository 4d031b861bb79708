"""Video clips: decoding with PyAV, validation, and frame sampling (a leaf module).

Every clip that enters the library passes through :func:`load_video`, which decodes it once to check it and refuses
anything the model could not read, each time with a ``ValueError`` naming the input: a missing file, data PyAV cannot
open (corrupt or truncated), no video stream, fewer than two decodable frames, fewer frames than the container
declares (truncated), no frame rate, and a clip longer than ``max_seconds`` (never silently cut).

Sampling follows qwen-vl-utils, which the reference rerankers use:

* a **file** (path or bytes) is sampled at ``fps`` frames per second (default 1, as Qwen3-VL-Reranker), at least 4
  and at most ``max_frames`` (default 64) frames, an even number: ``qwen_vl_utils.smart_nframes``, then the frame
  indices ``round(linspace(0, n_frames - 1, k))``;
* a **list of frames** is the sample itself: more than ``max_frames`` frames are thinned to ``max_frames`` with
  ``linspace(0, n - 1, max_frames)`` (floored, as Qwen3-VL-Reranker's ``sample_frames``); the frames are taken to be
  ``frame_rate`` frames per second apart (default 2, qwen-vl-utils' assumption for frame lists).

The model then needs the real timing of what it sees — the source frame rate and the index of every sampled frame —
which :class:`SampledClip` carries (``timestamps`` in seconds).

PyAV (``av``, FFmpeg bundled) decodes; torchvision 0.29 has no ``read_video`` and torchcodec needs system FFmpeg.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
from PIL import Image

from lychee.validation import existing_file

#: Frames sampled per second of a video file (Qwen3-VL-Reranker's ``FPS``).
DEFAULT_FPS = 1.0
#: The most frames sampled from one clip (Qwen3-VL-Reranker's ``MAX_FRAMES``).
DEFAULT_MAX_FRAMES = 64
#: Clips longer than this many seconds are refused (the Qwen3-VL-Reranker seed takes clips up to 30 s).
MAX_VIDEO_SECONDS = 30.0
#: The frame rate assumed for a list of frames given without one (qwen-vl-utils' ``sample_fps`` default).
FRAMES_FPS = 2.0
#: Frames are sampled in pairs (the vision encoder's temporal patch), qwen-vl-utils' FRAME_FACTOR: a clip needs two.
FRAME_FACTOR = 2
#: qwen-vl-utils' FPS_MAX_FRAMES: the most frames any setting may ask for.
MAX_FRAMES_LIMIT = 768
#: A frame larger than this (8K: 8192 x 4320) is refused as a possible decompression bomb.
MAX_FRAME_PIXELS = 8192 * 4320
#: Frames with more pixels than this (720p) are scaled down to about this many while they are decoded (FFmpeg's
#: scaler, ``frame.reformat``), so a sampled 8K clip holds what a 720p clip holds; the model's resizer makes every
#: frame smaller still (at most 768 patches of 28 or 32 pixels squared), so a clip up to 720p sees no change.
DECODE_FRAME_PIXELS = 1280 * 720
#: Probing decodes every frame of a file once to count them; it stops after this many frames or seconds.
MAX_PROBE_FRAMES = 4_000
MAX_PROBE_SECONDS = 120.0
#: The vision encoder refuses aspect ratios above this (qwen-vl-utils' MAX_RATIO).
MAX_FRAME_ASPECT_RATIO = 200

VideoKind = Literal["file", "frames"]
VideoInput: TypeAlias = "Video | str | os.PathLike | bytes | bytearray | Sequence[Image.Image]"


@dataclass(frozen=True)
class SampledClip:
    """The frames a model sees of a clip, with their real timing.

    Attributes:
        frames: the sampled frames (a file's scaled down to about 720p when larger, see
            :data:`DECODE_FRAME_PIXELS`): ``(H, W, 3)`` uint8 arrays for a file, RGB PIL
            images for a list of frames.
        indices: the index of each sampled frame in the source (file frames or the given frame list).
        fps: the source frame rate (frames per second); frame ``i`` is at ``i / fps`` seconds.
        n_frames: how many frames the source has.
        kind: ``"file"`` or ``"frames"`` (they are resized differently, as in qwen-vl-utils).
    """

    frames: tuple[Any, ...]
    indices: tuple[int, ...]
    fps: float
    n_frames: int
    kind: VideoKind

    @property
    def timestamps(self) -> tuple[float, ...]:
        """Seconds from the start of the clip of each sampled frame (``index / fps``)."""
        return tuple(i / self.fps for i in self.indices)

    def frame_image(self, k: int) -> Image.Image:
        """Sampled frame ``k`` as an RGB PIL image."""
        frame = self.frames[k]
        return frame if isinstance(frame, Image.Image) else Image.fromarray(frame, mode="RGB")

    def thumbnails(self, size: int = 160) -> tuple[Image.Image, ...]:
        """Every sampled frame scaled down to fit ``size`` x ``size`` (for display)."""
        out = []
        for k in range(len(self.frames)):
            thumb = self.frame_image(k).copy()
            thumb.thumbnail((size, size))
            out.append(thumb)
        return tuple(out)


@dataclass(frozen=True, eq=False)
class Video:
    """A validated video clip and how to sample it. Build it with :func:`load_video`.

    Attributes:
        kind: ``"file"`` (a path or encoded bytes) or ``"frames"`` (a list of images).
        fps: the source frame rate: the file's average frame rate, or the frame list's ``frame_rate``.
        n_frames: the decodable frames of a file, or the number of frames given.
        width / height: frame size in pixels.
        source: how to name the clip in messages (``'clip.mp4'``, ``(52133 bytes)``, ``(12 frames)``).
        sample_fps: frames sampled per second of a file (ignored for frame lists, as in Qwen3-VL-Reranker).
        max_frames: the most frames sampled.
        path / data / frames: the source (one of them).
        sampled: for a clip whose frames were already chosen (an occlusion variant): the frame index of each of
            ``frames`` in the original source; sampling then returns them as they are.
    """

    kind: VideoKind
    fps: float
    n_frames: int
    width: int
    height: int
    source: str
    sample_fps: float = DEFAULT_FPS
    max_frames: int = DEFAULT_MAX_FRAMES
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)
    frames: tuple[Any, ...] | None = field(default=None, repr=False)
    sampled: tuple[int, ...] | None = None

    @property
    def duration(self) -> float:
        """Length in seconds: ``n_frames / fps``."""
        return self.n_frames / self.fps

    def __repr__(self) -> str:
        return f"Video({self.source}, {self.n_frames} frames at {self.fps:g} fps, {self.width}x{self.height})"

    def with_sampling(self, *, fps: float | None = None, max_frames: int | None = None) -> Video:
        """A copy sampled at other settings (``None`` keeps the current one); validated as in :func:`load_video`."""
        sample_fps = self.sample_fps if fps is None else check_fps(fps, "fps")
        limit = self.max_frames if max_frames is None else check_max_frames(max_frames)
        return replace(self, sample_fps=sample_fps, max_frames=limit)

    def content_key(self) -> tuple[Any, ...]:
        """A hashable key equal for two clips that give the model the same frames (source content and sampling)."""
        if self.frames is not None:
            digest = hashlib.blake2b(digest_size=16)
            for frame in self.frames:  # PIL images or (H, W, 3) arrays
                digest.update(frame.tobytes())
            content: Any = digest.hexdigest()
        elif self.data is not None:
            content = hashlib.blake2b(self.data, digest_size=16).hexdigest()
        else:
            content = str(self.path)
        return (self.kind, content, self.fps, self.n_frames, self.sample_fps, self.max_frames, self.sampled)

    def sample(self, *, what: str = "video") -> SampledClip:
        """The frames the model sees (decoding the file again) and their timing.

        Raises:
            ValueError: the file changed or broke since it was loaded.
        """
        if self.sampled is not None:
            return SampledClip(tuple(self.frames or ()), self.sampled, self.fps, self.n_frames, self.kind)
        if self.kind == "frames":
            indices = frame_list_indices(self.n_frames, self.max_frames)
            frames = tuple(self.frames[i] for i in indices)  # type: ignore[index]
            return SampledClip(frames, indices, self.fps, self.n_frames, "frames")
        indices = file_indices(self.n_frames, self.fps, self.sample_fps, self.max_frames)
        label = f"{what} {self.source}"
        frames = _decode_at(self._opener(), indices, self.n_frames, label)
        return SampledClip(tuple(frames), indices, self.fps, self.n_frames, "file")

    def with_frames(self, sampled: SampledClip, frames: Sequence[Any]) -> Video:
        """A clip showing ``frames`` in place of ``sampled``'s frames, with the same timing (for occlusion)."""
        if len(frames) != len(sampled.indices):
            raise ValueError(f"expected {len(sampled.indices)} frames, got {len(frames)}.")
        return replace(self, frames=tuple(frames), sampled=sampled.indices, path=None, data=None)

    def _opener(self) -> Callable[[], Any]:
        if self.data is not None:
            data = self.data
            return lambda: io.BytesIO(data)
        return lambda: str(self.path)


# --- settings -----------------------------------------------------------------------------------------------------
def check_fps(value: Any, name: str = "fps") -> float:
    """``value`` as a positive finite float, or a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of frames per second, got {value!r}; e.g. {name}=1.0.")
    return float(value)


def check_max_frames(value: Any) -> int:
    """``value`` as an int in ``[2, 768]``, or a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or not FRAME_FACTOR <= value <= MAX_FRAMES_LIMIT:
        raise ValueError(
            f"max_frames must be an integer from {FRAME_FACTOR} to {MAX_FRAMES_LIMIT}, got {value!r}; "
            f"the default is {DEFAULT_MAX_FRAMES}."
        )
    return value


def check_max_seconds(value: Any) -> float:
    """``value`` as a positive finite float (the longest clip accepted), or a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"max_video_seconds must be a positive number of seconds, got {value!r}; the default is "
            f"{MAX_VIDEO_SECONDS:g}."
        )
    return float(value)


# --- sampling -----------------------------------------------------------------------------------------------------
def file_indices(n_frames: int, fps: float, sample_fps: float, max_frames: int) -> tuple[int, ...]:
    """The frames qwen-vl-utils samples from a file of ``n_frames`` frames at ``fps``.

    ``k = smart_nframes({"fps": sample_fps, "max_frames": max_frames})`` (at least 4, at most ``max_frames`` and
    ``n_frames``, even), then ``round(linspace(0, n_frames - 1, k))`` in float32, as its readers compute them.
    """
    import torch
    from qwen_vl_utils.vision_process import smart_nframes

    k = smart_nframes({"fps": sample_fps, "max_frames": max_frames}, total_frames=n_frames, video_fps=fps)
    return tuple(int(i) for i in torch.linspace(0, n_frames - 1, k).round().long().tolist())


def frame_list_indices(n_frames: int, max_frames: int) -> tuple[int, ...]:
    """Which of ``n_frames`` given frames are kept: all, or ``linspace(0, n - 1, max_frames)`` floored."""
    if n_frames <= max_frames:
        return tuple(range(n_frames))
    return tuple(int(i) for i in np.linspace(0, n_frames - 1, max_frames, dtype=int).tolist())


# --- loading ------------------------------------------------------------------------------------------------------
def load_video(
    source: VideoInput,
    *,
    what: str = "video",
    fps: float = DEFAULT_FPS,
    max_frames: int = DEFAULT_MAX_FRAMES,
    frame_rate: float | None = None,
    max_seconds: float = MAX_VIDEO_SECONDS,
) -> Video:
    """Check a clip and describe it as a :class:`Video`.

    Args:
        source: a path to a video file (mp4, webm, mov, mkv...), its encoded bytes, a list of frames (PIL images, all
            the same size), or a :class:`Video` (re-checked against ``max_seconds``, sampling set to ``fps`` /
            ``max_frames``).
        what: how to name the input in messages, e.g. ``"query video"``.
        fps: frames sampled per second of a file.
        max_frames: the most frames sampled (2..768).
        frame_rate: frames per second of a frame list (default 2.0, as qwen-vl-utils assumes); files use their own.
        max_seconds: longer clips are refused.

    Returns:
        A :class:`Video`; a file's frames are decoded once here to check them, and again when a model samples them.

    Raises:
        ValueError: the clip cannot be read (see the module docstring), is too long, or a setting is invalid.
        TypeError: ``source`` is of an unsupported type.
    """
    sample_fps = check_fps(fps, "fps")
    limit = check_max_frames(max_frames)
    longest = check_max_seconds(max_seconds)
    if isinstance(source, Video):
        video = source.with_sampling(fps=sample_fps, max_frames=limit)
    elif isinstance(source, (bytes, bytearray)):
        if len(source) == 0:
            raise ValueError(f"{what}: got 0 bytes; expected the bytes of a video file (mp4, webm, mov...).")
        data = bytes(source)
        source_name = f"({len(data)} bytes)"
        video = _probe_file(lambda: io.BytesIO(data), f"{what} {source_name}", longest, sample_fps, limit)
        video = replace(video, data=data, source=source_name)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        label = f"{what} '{path}'"
        existing_file(path, label, "video")
        video = _probe_file(lambda: str(path), label, longest, sample_fps, limit)
        video = replace(video, path=path, source=f"'{path}'")
    elif isinstance(source, (list, tuple)):
        rate = FRAMES_FPS if frame_rate is None else check_fps(frame_rate, "frame_rate")
        video = _frame_list(source, what, rate, sample_fps, limit)
    else:
        raise TypeError(
            f"{what}: got {type(source).__name__}; expected a video file path, the bytes of a video file, or a list "
            "of PIL images (frames)."
        )
    _check_duration(video, f"{what} {video.source}", longest)
    return video


def _too_long(label: str, how_long: str, max_seconds: float) -> ValueError:
    return ValueError(
        f"{label}: lasts {how_long}, longer than the {max_seconds:g} s limit. Cut the clip to at most "
        f"{max_seconds:g} s, or raise the limit (load_video(..., max_seconds=...) / "
        "process({..., 'max_video_seconds': ...}))."
    )


def _check_duration(video: Video, label: str, max_seconds: float) -> None:
    if video.duration > max_seconds + 1e-9:
        how_long = f"{video.duration:.1f} s ({video.n_frames} frames at {video.fps:g} fps)"
        raise _too_long(label, how_long, max_seconds)


def _check_frame_size(width: int, height: int, label: str) -> None:
    if width <= 0 or height <= 0:
        raise ValueError(f"{label}: frames are {width}x{height}; expected non-empty frames.")
    if width * height > MAX_FRAME_PIXELS:
        raise ValueError(
            f"{label}: frames are {width}x{height} = {width * height:,} pixels, more than the {MAX_FRAME_PIXELS:,} "
            "accepted (a possible decompression bomb). Downscale the clip first."
        )
    if max(width, height) / min(width, height) > MAX_FRAME_ASPECT_RATIO:
        raise ValueError(
            f"{label}: frames are {width}x{height} (aspect ratio {max(width, height) / min(width, height):.0f}:1); "
            f"the Qwen vision encoder accepts at most {MAX_FRAME_ASPECT_RATIO}:1. Crop or pad the clip."
        )


def _too_few(label: str, n: int) -> ValueError:
    if n == 0:
        return ValueError(
            f"{label}: has no decodable frames (its video stream is empty or every frame failed to decode). "
            "Re-export the clip, or check that it plays."
        )
    return ValueError(
        f"{label}: has {n} decodable frame; a clip needs at least {FRAME_FACTOR} (frames are read in pairs). "
        "Give a single frame as an image instead."
    )


def _frame_list(frames: Sequence[Any], what: str, rate: float, sample_fps: float, max_frames: int) -> Video:
    label = f"{what} ({len(frames)} frames)"
    if len(frames) < FRAME_FACTOR:
        raise _too_few(label, len(frames))
    checked = []
    for i, frame in enumerate(frames):
        if not isinstance(frame, Image.Image):
            raise TypeError(f"{label}: frame {i + 1} is a {type(frame).__name__}; expected PIL images.")
        try:
            frame.load()
        except (OSError, SyntaxError, ValueError) as exc:
            raise ValueError(f"{label}: frame {i + 1} is corrupt or truncated ({exc}).") from exc
        checked.append(frame if frame.mode == "RGB" else frame.convert("RGB"))
    sizes = {frame.size for frame in checked}
    if len(sizes) > 1:
        raise ValueError(
            f"{label}: frames differ in size ({', '.join(f'{w}x{h}' for w, h in sorted(sizes))}); expected every "
            "frame of a clip to have the same size. Resize them to one size first."
        )
    width, height = checked[0].size
    _check_frame_size(width, height, label)
    return Video(
        kind="frames",
        fps=rate,
        n_frames=len(checked),
        width=width,
        height=height,
        source=f"({len(checked)} frames)",
        sample_fps=sample_fps,
        max_frames=max_frames,
        frames=tuple(checked),
    )


def _av_errors() -> tuple[type[BaseException], ...]:
    import av

    return (av.error.FFmpegError, OSError, ValueError, EOFError)


def _probe_file(open_source: Callable[[], Any], label: str, max_seconds: float, sample_fps: float, limit: int) -> Video:
    """Open, check the stream and its declared length, decode every frame once (keeping none), count them."""
    import av

    errors = _av_errors()
    try:
        container = av.open(open_source(), mode="r")
    except errors as exc:
        raise ValueError(
            f"{label}: cannot be opened as a video ({exc}); the file is corrupt, truncated or not a video. "
            "Expected an mp4, webm, mov or mkv file that plays."
        ) from exc
    with container:
        if not container.streams.video:
            kinds = sorted({s.type for s in container.streams}) or ["none"]
            raise ValueError(
                f"{label}: has no video stream (streams: {', '.join(kinds)}). Expected a file with a video track."
            )
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate or float(rate) <= 0:
            raise ValueError(f"{label}: does not say its frame rate; re-export it with a constant frame rate.")
        fps = float(rate)
        declared = stream.frames or 0
        # Refuse what is known to be too long or too big before decoding it.
        if container.duration is not None and container.duration / 1e6 > max_seconds + 1.0:
            raise _too_long(label, f"{container.duration / 1e6:.1f} s", max_seconds)
        if stream.codec_context.width and stream.codec_context.height:
            _check_frame_size(stream.codec_context.width, stream.codec_context.height, label)
        stream.thread_type = "AUTO"
        n, width, height, too_long = 0, stream.codec_context.width, stream.codec_context.height, False
        deadline, too_costly = time.monotonic() + MAX_PROBE_SECONDS, False
        try:
            for frame in container.decode(stream):
                n += 1
                width, height = frame.width, frame.height
                if n / fps > max_seconds + 1.0:  # known to be too long: no need to decode the rest
                    too_long = True
                    break
                if n > MAX_PROBE_FRAMES or time.monotonic() > deadline:
                    too_costly = True
                    break
        except errors as exc:
            raise ValueError(
                f"{label}: the video data is corrupt or truncated: decoding failed after {n} frames ({exc}). "
                "Re-export or re-download the clip."
            ) from exc
    if too_costly:
        raise _probe_too_costly(label, n, fps)
    if too_long:
        raise _too_long(label, f"more than {n / fps:.1f} s (at {fps:g} fps)", max_seconds)
    if n < FRAME_FACTOR:
        raise _too_few(label, n)
    if declared and n < declared:
        raise ValueError(
            f"{label}: is truncated: only {n} of the {declared} frames its header declares could be decoded. "
            "Re-export or re-download the clip."
        )
    _check_frame_size(width, height, label)
    return Video(
        kind="file",
        fps=fps,
        n_frames=n,
        width=width,
        height=height,
        source="",
        sample_fps=sample_fps,
        max_frames=limit,
    )


def _probe_too_costly(label: str, n: int, fps: float) -> ValueError:
    return ValueError(
        f"{label}: checking it stopped after {n} frames ({n / fps:.1f} s of video at {fps:g} fps): a clip may take "
        f"at most {MAX_PROBE_FRAMES:,} frames or {MAX_PROBE_SECONDS:g} s of decoding to check. Re-export it at a lower "
        "frame rate or resolution (e.g. 30 fps, 1080p)."
    )


def decode_size(width: int, height: int) -> tuple[int, int] | None:
    """The size a ``width`` x ``height`` frame is decoded to (even sides, aspect kept, about
    :data:`DECODE_FRAME_PIXELS`), or ``None`` to keep it: frames up to that many pixels are untouched."""
    if width * height <= DECODE_FRAME_PIXELS:
        return None
    scale = math.sqrt(DECODE_FRAME_PIXELS / (width * height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _rgb(frame: Any) -> np.ndarray:
    """A decoded frame as an ``(H, W, 3)`` uint8 RGB array, scaled down while converting when it is large."""
    size = decode_size(frame.width, frame.height)
    if size is None:
        return frame.to_ndarray(format="rgb24")
    return frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="AREA").to_ndarray()


def _decode_at(open_source: Callable[[], Any], indices: Sequence[int], n_frames: int, label: str) -> list[np.ndarray]:
    """The frames at ``indices`` (sorted, repeats allowed) as ``(H, W, 3)`` uint8 RGB arrays, in one decoding pass;
    a frame above :data:`DECODE_FRAME_PIXELS` is scaled down while it is converted (never kept at full size)."""
    import av

    errors = _av_errors()
    wanted: dict[int, int] = {}
    for i in indices:
        wanted[i] = wanted.get(i, 0) + 1
    picked: dict[int, np.ndarray] = {}
    n = 0
    try:
        with av.open(open_source(), mode="r") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                if n in wanted:
                    picked[n] = _rgb(frame)
                n += 1
                if n > max(wanted):
                    break
    except errors + (IndexError,) as exc:
        raise ValueError(
            f"{label}: cannot be decoded any more ({exc}); did the file change since it was loaded?"
        ) from exc
    missing = [i for i in wanted if i not in picked]
    if missing:
        raise ValueError(
            f"{label}: frame {missing[0]} of {n_frames} could not be decoded (only {n} frames now); did the file "
            "change since it was loaded?"
        )
    return [picked[i] for i in indices]


__all__ = [
    "DECODE_FRAME_PIXELS",
    "DEFAULT_FPS",
    "DEFAULT_MAX_FRAMES",
    "FRAMES_FPS",
    "FRAME_FACTOR",
    "MAX_FRAMES_LIMIT",
    "MAX_FRAME_PIXELS",
    "MAX_PROBE_FRAMES",
    "MAX_PROBE_SECONDS",
    "MAX_VIDEO_SECONDS",
    "SampledClip",
    "Video",
    "VideoInput",
    "VideoKind",
    "check_fps",
    "check_max_frames",
    "check_max_seconds",
    "decode_size",
    "file_indices",
    "frame_list_indices",
    "load_video",
]
