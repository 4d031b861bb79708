"""Clips as a Qwen-VL model sees them: sampled frames resized as qwen-vl-utils does, their real timing, and the
tokens the processor puts in place of the clip's ``<|video_pad|>``.

The reference Qwen3-VL-Reranker calls ``process_vision_info(..., image_patch_size=16, return_video_kwargs=True,
return_video_metadata=True)`` and then the processor with ``video_metadata=`` and ``do_resize=False``. This module
does the same work without qwen-vl-utils' file readers (its default torchvision reader no longer exists in torchvision
0.29): frames come from :mod:`lychee.video` (PyAV), and are resized as ``qwen_vl_utils.fetch_video`` resizes them:

* frames of a **file**: one bicubic, antialiased resize of the whole clip to ``smart_resize(h, w, factor=2*patch,
  min_pixels=128*factor², max_pixels=min(768*factor², total/frames*2))`` with qwen-vl-utils' default total
  (``MODEL_SEQ_LEN``);
* a **list of frames**: ``qwen_vl_utils.fetch_video`` itself, with the family's ``frames_total_pixels`` (as
  Qwen3-VL-Reranker passes ``total_pixels`` for frame lists).

The processor gets the real timing as ``video_metadata`` (source fps, sampled frame indices, source frame count), from
which transformers derives Qwen2.5-VL's ``second_per_grid_ts = temporal_patch_size / sampled_fps`` and Qwen3-VL's
``<t seconds>`` markers (the mean time of each temporal patch's frames); without it transformers assumes 24 fps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lychee.prompt import FamilySpec
from lychee.video import SampledClip, Video

#: Keyword arguments of every processor call that carries clips: frames are already sampled and resized.
VIDEO_PROCESSOR_KWARGS = {"do_resize": False, "do_sample_frames": False, "cap_pixels_per_frame": False}


@dataclass(frozen=True)
class PreparedVideo:
    """One clip ready for the processor.

    Attributes:
        pixels: ``(T, 3, H, W)`` uint8 tensor: the sampled frames resized (``T`` even).
        metadata: ``{"fps", "frames_indices", "total_num_frames"}`` for the processor's ``video_metadata``.
        grid: ``(t, h, w)``: temporal patches and patch rows / columns (before the spatial merge).
        replacement_ids: the token ids that take the place of the clip's one ``<|video_pad|>`` (video pads, and for
            Qwen3-VL a ``<t seconds>`` marker and vision start/end tokens per temporal patch).
        n_pads: how many of ``replacement_ids`` are video pads (``t * h * w / merge²``).
        sampled: the sampled frames at their source size, with their timing (for display and occlusion).
        frames_per_patch: frames per temporal patch (2).
    """

    pixels: Any
    metadata: dict[str, Any]
    grid: tuple[int, int, int]
    replacement_ids: tuple[int, ...]
    n_pads: int
    sampled: SampledClip
    frames_per_patch: int

    @property
    def n_tokens(self) -> int:
        """Tokens the clip adds to a prompt in place of its ``<|video_pad|>``."""
        return len(self.replacement_ids)

    @property
    def patch_frames(self) -> tuple[tuple[int, ...], ...]:
        """For each temporal patch, the sampled frames (positions in ``sampled.frames``) it covers."""
        n = len(self.sampled.frames)
        step = self.frames_per_patch
        return tuple(tuple(k for k in range(t * step, (t + 1) * step) if k < n) for t in range(self.grid[0]))


def resize_file_frames(frames: Sequence[Any], patch_size: int) -> Any:
    """``(T, 3, H', W')`` uint8: decoded ``(H, W, 3)`` frames resized as ``qwen_vl_utils.fetch_video`` resizes a file.

    torchvision's resize of a uint8 clip rounds back to uint8, and qwen-vl-utils converts that to float afterwards;
    keeping uint8 here stores the same values in a quarter of the memory.
    """
    import numpy as np
    import torch
    from qwen_vl_utils import vision_process as qv
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms import functional as tf

    video = torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2)
    factor = patch_size * qv.SPATIAL_MERGE_SIZE
    n_frames, _, height, width = video.shape
    min_pixels = qv.VIDEO_MIN_TOKEN_NUM * factor * factor
    total_pixels = qv.MODEL_SEQ_LEN * factor * factor * 0.9
    max_pixels = max(
        min(qv.VIDEO_MAX_TOKEN_NUM * factor * factor, total_pixels / n_frames * qv.FRAME_FACTOR), int(min_pixels * 1.05)
    )
    resized_height, resized_width = qv.smart_resize(
        height, width, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels
    )
    return tf.resize(video, [resized_height, resized_width], interpolation=InterpolationMode.BICUBIC, antialias=True)


def resize_frame_list(frames: Sequence[Any], patch_size: int, total_pixels: int) -> Any:
    """``(T, 3, H', W')`` uint8 for a list of PIL frames: ``qwen_vl_utils.fetch_video`` on them (``T`` made even)."""
    import torch
    from qwen_vl_utils import fetch_video

    video = fetch_video({"video": list(frames), "total_pixels": total_pixels}, image_patch_size=patch_size)
    return video.round().clamp(0, 255).to(torch.uint8)


def prepare_video(processor: Any, spec: FamilySpec, video: Video, *, what: str) -> PreparedVideo:
    """Sample, resize and measure one clip for ``processor``.

    Raises:
        ValueError: the clip's file changed or broke since it was loaded (naming ``what``).
    """
    import torch
    from transformers.video_utils import VideoMetadata

    sampled = video.sample(what=what)
    if sampled.kind == "file":
        pixels = resize_file_frames(sampled.frames, spec.image_patch_size)
    else:
        pixels = resize_frame_list(sampled.frames, spec.image_patch_size, spec.frames_total_pixels)
    vp = processor.video_processor
    metadata = {"fps": sampled.fps, "frames_indices": list(sampled.indices), "total_num_frames": sampled.n_frames}
    n_frames, _, height, width = pixels.shape
    grid = (-(-n_frames // vp.temporal_patch_size), height // vp.patch_size, width // vp.patch_size)
    # The processor's own replacement text (timestamps included), from the grid and timing it will compute.
    replacement = processor.replace_video_token(
        {"video_grid_thw": torch.tensor([grid]), "video_metadata": [VideoMetadata(**metadata)]}, video_idx=0
    )
    ids = processor.tokenizer(replacement, add_special_tokens=False)["input_ids"]
    n_pads = grid[0] * grid[1] * grid[2] // vp.merge_size**2
    return PreparedVideo(
        pixels=pixels,
        metadata=metadata,
        grid=grid,
        replacement_ids=tuple(ids),
        n_pads=n_pads,
        sampled=sampled,
        frames_per_patch=vp.temporal_patch_size,
    )


def vision_inputs(processor: Any, images: Sequence[Any], videos: Sequence[PreparedVideo]) -> dict[str, Any]:
    """Processor tensors for ``images`` and ``videos`` alone (no text): pixel values, grids and, for Qwen2.5-VL,
    ``second_per_grid_ts``. Empty when there is nothing to encode."""
    out: dict[str, Any] = {}
    if images:
        out.update(processor.image_processor(images=list(images), return_tensors="pt"))
    if videos:
        encoded = processor(
            videos=[v.pixels.float() for v in videos],
            video_metadata=[dict(v.metadata) for v in videos],
            videos_kwargs=VIDEO_PROCESSOR_KWARGS,
            return_tensors="pt",
        )
        out.update({k: v for k, v in encoded.items() if k != "video_metadata"})
    return out


__all__ = [
    "VIDEO_PROCESSOR_KWARGS",
    "PreparedVideo",
    "prepare_video",
    "resize_file_frames",
    "resize_frame_list",
    "vision_inputs",
]
