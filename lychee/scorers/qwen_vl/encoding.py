"""Prompt encoding for the Qwen-VL scorers: render a pair's reference prompt, prepare its images and clips, measure
it in tokens, and truncate it to ``max_length`` (document text first, then query text, never the end of the template).

No model here: :class:`PromptEncoder` needs only the processor and the family's :class:`~lychee.prompt.FamilySpec`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lychee.items import MAX_ASPECT_RATIO, Item, pad_to_aspect_ratio
from lychee.prompt import FamilySpec, build_messages
from lychee.scorers.qwen_vl.vision import VIDEO_PROCESSOR_KWARGS, PreparedVideo, prepare_video

logger = logging.getLogger(__name__)

# Texts no user writes, used to find where the query / document text sits in a rendered prompt.
SENTINEL_QUERY = "\ue000LYCHEE-QUERY\ue000"
SENTINEL_DOCUMENT = "\ue000LYCHEE-DOCUMENT\ue000"

PreparedImage = tuple[Any, int, tuple[int, int]]  # (resized image, merged tokens, (width, height) after padding)


@dataclass
class EncodedPair:
    """One pair ready for the processor.

    Attributes:
        index: position in the input list.
        query / document: the items as prompted — text possibly cut, image replaced by a 1x1 stand-in.
        text: the rendered prompt (one ``<|image_pad|>`` per image).
        images: the images as the model sees them (padded if needed, resized within the pixel bounds), prompt order.
        image_tokens: merged image tokens per image.
        image_sizes: ``{"query"|"document": (width, height)}`` of each image before resizing (after padding).
        n_tokens: the pair's length in tokens, images and clips expanded.
        truncated: text was cut to fit ``max_length``.
        videos: ``{"query"|"document": PreparedVideo}`` of each side's clip, in prompt order (query first).
    """

    index: int
    query: Item
    document: Item
    text: str
    images: list[Any]
    image_tokens: list[int]
    image_sizes: dict[str, tuple[int, int]]
    n_tokens: int
    truncated: bool
    videos: dict[str, PreparedVideo] = field(default_factory=dict)

    @property
    def vision_extra(self) -> int:
        """Tokens the processor adds beyond one placeholder per image and per clip."""
        return sum(n - 1 for n in self.image_tokens) + sum(v.n_tokens - 1 for v in self.videos.values())


@dataclass
class Measurements:
    """What one :meth:`PromptEncoder.encode_pairs` call has measured, so that nothing is measured twice in it: token
    counts of rendered pairs, token ends of texts, and query cuts (the same for every pair whose document text is
    gone). One per call: the encoder itself is shared by every thread and keeps no state."""

    pairs: dict[tuple[Any, ...], tuple[int, str]] = field(default_factory=dict)
    token_ends: dict[str, list[int]] = field(default_factory=dict)
    query_cuts: dict[tuple[Any, ...], str | None] = field(default_factory=dict)


def fit_image(item: Item, spec: FamilySpec, *, min_pixels: int, max_pixels: int) -> tuple[Any, tuple[int, int]]:
    """The image of ``item`` as the family's model sees it.

    An extreme aspect ratio is padded with white first (with a warning), then ``qwen_vl_utils.process_vision_info``
    resizes the image within ``min_pixels .. max_pixels`` to a multiple of the family's patch grid. Shared by the local
    scorer and the remote ``openai-chat`` protocol, which sends this very image so that the server's processor sees
    the pixels the local scorer's processor sees.

    Returns:
        ``(resized RGB image, (width, height) after padding)``.
    """
    from qwen_vl_utils import process_vision_info

    image, padded = pad_to_aspect_ratio(item.image, MAX_ASPECT_RATIO)
    if padded:
        w, h = item.image.size
        msg = (
            f"{item.name} image is {w}x{h} (aspect ratio {max(w, h) / min(w, h):.0f}:1, above the "
            f"{MAX_ASPECT_RATIO}:1 the Qwen vision encoder accepts); padded with white to "
            f"{image.width}x{image.height}."
        )
        warnings.warn(msg, stacklevel=6)
        logger.warning(msg)
    part = {"type": "image", "image": image, "min_pixels": min_pixels, "max_pixels": max_pixels}
    resized, _ = process_vision_info([{"role": "user", "content": [part]}], image_patch_size=spec.image_patch_size)
    return resized[0], image.size


class PromptEncoder:
    """Renders, measures and truncates (query, document) pairs for one checkpoint.

    Args:
        processor: the checkpoint's processor (tokenizer, image processor, chat template).
        spec: the family's prompt facts.
        max_length: the most tokens a pair may have (images expanded).
        min_pixels / max_pixels: image area bounds for the resizer.
    """

    def __init__(self, processor: Any, spec: FamilySpec, *, max_length: int, min_pixels: int, max_pixels: int) -> None:
        self.processor = processor
        self.spec = spec
        self.max_length = max_length
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels

    # --- rendering and measuring --------------------------------------------------------------------------------
    def render_pair(self, query: Item, document: Item, instruction: str) -> str:
        """The prompt text of one pair (one ``<|image_pad|>`` per image, before the processor expands it)."""
        messages = build_messages(self.spec.name, instruction, query, document)
        return self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def count_text_tokens(self, text: str) -> int:
        return len(self.processor.tokenizer(text)["input_ids"])

    def prepare_image(self, item: Item, cache: dict[int, PreparedImage]) -> PreparedImage:
        """Pad an extreme aspect ratio, resize within the family's pixel bounds (qwen_vl_utils), count its tokens.

        Returns:
            ``(resized image, merged image tokens, (width, height) after padding)``.

        Cached per image object for the duration of one call (a query image shared by 50 documents is done once).
        """
        key = id(item.image)
        if key not in cache:
            img, size = fit_image(item, self.spec, min_pixels=self.min_pixels, max_pixels=self.max_pixels)
            ip = self.processor.image_processor
            n_tokens = (img.height // ip.patch_size) * (img.width // ip.patch_size) // (ip.merge_size**2)
            cache[key] = (img, n_tokens, size)
        return cache[key]

    def prepare_video(self, item: Item, cache: dict[int, PreparedVideo]) -> PreparedVideo:
        """Sample, resize and measure ``item``'s clip (see :mod:`lychee.scorers.qwen_vl.vision`), once per clip
        object for the duration of one call."""
        key = id(item.video)
        if key not in cache:
            cache[key] = prepare_video(self.processor, self.spec, item.video, what=f"{item.name} video")
        return cache[key]

    def _check_placeholders(self, item: Item) -> None:
        for token in (getattr(self.processor, name, None) for name in ("image_token", "video_token")):
            if token and item.has_text and token in item.text:
                raise ValueError(
                    f"{item.name} text contains {token!r}, the model's placeholder for image/video features; "
                    "a text cannot carry it (the model would look for a matching image). Remove it from the "
                    "text, or give the image as the item's image."
                )

    def encode_pairs(self, pairs: Sequence[tuple[Item, Item]], instruction: str) -> list[EncodedPair]:
        """Render, measure and (if needed) truncate each pair; each distinct image is padded/resized once.

        Raises:
            ValueError: a pair does not fit in ``max_length`` even with all its text removed (its images and clips
                alone are too long), a text contains an image/video placeholder token, or a clip's file broke.
        """
        cache: dict[int, PreparedImage] = {}
        video_cache: dict[int, PreparedVideo] = {}
        memo = Measurements()  # this call's: each distinct prompt is rendered and tokenized once
        out = []
        for i, (q, d) in enumerate(pairs):
            images, image_tokens, sizes, videos = [], [], {}, {}
            for side, item in (("query", q), ("document", d)):
                self._check_placeholders(item)
                if item.has_video:
                    videos[side] = self.prepare_video(item, video_cache)
                if item.has_image:
                    resized, n, size = self.prepare_image(item, cache)
                    images.append(resized)
                    image_tokens.append(n)
                    sizes[side] = size
            enc = EncodedPair(i, q, d, "", images, image_tokens, sizes, 0, False, videos)
            # each <|image_pad|> / <|video_pad|> of the rendered text becomes many tokens in the processor
            q_kept, d_kept, text, n_tokens, truncated = self.truncate_pair(
                i, len(pairs), q, d, instruction, enc.vision_extra, memo=memo
            )
            enc.query, enc.document, enc.text, enc.n_tokens, enc.truncated = q_kept, d_kept, text, n_tokens, truncated
            out.append(enc)
        return out

    def measure_pair(
        self, q: Item, d: Item, instruction: str, image_extra: int, *, memo: Measurements | None = None
    ) -> tuple[int, str]:
        """``(tokens, rendered prompt)`` of a pair; ``image_extra`` is the image and clip tokens beyond one
        placeholder each. With ``memo``, a prompt measured before in the same call is not rendered again."""
        key = (q.text, d.text, q.has_image, q.has_video, d.has_image, d.has_video, instruction, image_extra)
        if memo is not None and key in memo.pairs:
            return memo.pairs[key]
        text = self.render_pair(q, d, instruction)
        measured = self.count_text_tokens(text) + image_extra, text
        if memo is not None:
            memo.pairs[key] = measured
        return measured

    # --- truncation ---------------------------------------------------------------------------------------------
    def truncate_pair(
        self,
        index: int,
        n_pairs: int,
        q: Item,
        d: Item,
        instruction: str,
        image_extra: int,
        *,
        memo: Measurements | None = None,
    ) -> tuple[Item, Item, str, int, bool]:
        """Cut document text, then query text, until the pair fits in ``max_length`` tokens.

        Returns:
            ``(query, document, prompt, tokens, truncated)`` as kept.
        """
        memo = Measurements() if memo is None else memo
        n, text = self.measure_pair(q, d, instruction, image_extra, memo=memo)
        if n <= self.max_length:
            return q, d, text, n, False
        n_original, cuts = n, []
        if d.has_text:
            d = self.cut_text(
                d, lambda t: self.measure_pair(q, d.with_text(t), instruction, image_extra, memo=memo)[0], memo=memo
            )
            cuts.append("the document text was " + ("cut" if d.has_text else "removed"))
            n, text = self.measure_pair(q, d, instruction, image_extra, memo=memo)
        if n > self.max_length and q.has_text:
            # the same query cut for every pair whose document text is gone: found once, then remembered
            key = (q.text, d.text, q.has_image, q.has_video, d.has_image, d.has_video, instruction, image_extra)
            if key not in memo.query_cuts:
                memo.query_cuts[key] = self.cut_text(
                    q,
                    lambda t: self.measure_pair(q.with_text(t), d, instruction, image_extra, memo=memo)[0],
                    memo=memo,
                ).text
            q = q.with_text(memo.query_cuts[key])
            cuts.append("the query text was " + ("cut" if q.has_text else "removed"))
            n, text = self.measure_pair(q, d, instruction, image_extra, memo=memo)
        if n > self.max_length:
            vision_tokens = image_extra + sum(int(item.has_image) + int(item.has_video) for item in (q, d))
            if q.has_video or d.has_video:
                what, fix = "images and clips", "fewer clip frames (load_video(..., fps=..., max_frames=...))"
            else:
                what, fix = "images", "a smaller image"
            raise ValueError(
                f"pair {index + 1} of {n_pairs} ({q.name} / {d.name}) needs {n} tokens even with all its text "
                f"removed ({what}: {vision_tokens} tokens; the rest is the instruction and the prompt template), "
                f"more than max_length={self.max_length}. Use {fix} or a shorter instruction, or load the "
                "scorer with a bigger max_length (load_scorer(..., max_length=...)) or a smaller max_pixels "
                "(processor_kwargs={'max_pixels': ...})."
            )
        msg = (
            f"pair {index + 1} of {n_pairs} ({q.name} / {d.name}) has {n_original} tokens, more than "
            f"max_length={self.max_length}; {' and '.join(cuts)} to fit ({n} tokens)."
        )
        warnings.warn(msg, stacklevel=5)
        logger.warning(msg)
        return q, d, text, n, True

    def cut_text(self, item: Item, measure: Callable[[str], int], *, memo: Measurements | None = None) -> Item:
        """The longest token-boundary prefix of ``item.text`` whose pair fits; no text if none does.

        Each token removed shortens the pair by about one token, so the cut is guessed from the overshoot and then
        checked: a few measurements per text instead of one per step of a binary search. ``measure`` must grow with
        the prefix (it does: a longer text never renders into fewer tokens); the answer is then the binary search's.
        """
        memo = Measurements() if memo is None else memo
        if item.text not in memo.token_ends:
            enc = self.processor.tokenizer(item.text, add_special_tokens=False, return_offsets_mapping=True)
            memo.token_ends[item.text] = [e for _, e in enc["offset_mapping"]]
        ends = memo.token_ends[item.text]

        def fits(k: int) -> int:
            """Tokens over max_length when the first k tokens are kept (<= 0: it fits)."""
            return measure(item.text[: ends[k - 1]]) - self.max_length

        # k keeps the first k tokens; k = len(ends) is the whole text, known not to fit
        k = min(len(ends) - 1, max(0, len(ends) - fits(len(ends))))
        while k > 0 and (over := fits(k)) > 0:
            k = max(0, k - over)
        while k + 1 < len(ends) and fits(k + 1) <= 0:
            k += 1
        return item.with_text(item.text[: ends[k - 1]] if k > 0 else None)

    # --- processor batches and text positions ---------------------------------------------------------------------
    def batch_inputs(self, batch: Sequence[EncodedPair]) -> Any:
        """Processor output for a batch (left-padded), with all its keys (input_ids, attention_mask, pixel_values,
        image_grid_thw, mm_token_type_ids; pixel_values_videos, video_grid_thw and for Qwen2.5-VL
        second_per_grid_ts when there are clips)."""
        images = [img for p in batch for img in p.images]
        videos = [v for p in batch for v in p.videos.values()]
        if not videos:
            return self.processor(
                text=[p.text for p in batch], images=images or None, padding=True, return_tensors="pt"
            )
        return self.processor(
            text=[p.text for p in batch],
            images=images or None,
            videos=[v.pixels.float() for v in videos],
            video_metadata=[dict(v.metadata) for v in videos],
            videos_kwargs=VIDEO_PROCESSOR_KWARGS,
            padding=True,
            return_tensors="pt",
        )

    def text_spans(self, enc: EncodedPair, instruction: str) -> dict[str, tuple[int, int]]:
        """Where the query / document text sit in ``enc.text``, found by rendering with sentinel texts.

        Raises:
            ValueError: the chat template changes text parts, so the spans cannot be located.
        """
        q, d = enc.query, enc.document
        qs = q.with_text(SENTINEL_QUERY) if q.has_text else q
        ds = d.with_text(SENTINEL_DOCUMENT) if d.has_text else d
        marked = self.render_pair(qs, ds, instruction)
        spans: dict[str, tuple[int, int]] = {}
        rebuilt, cursor = "", 0
        for key, sentinel, item in (("query", SENTINEL_QUERY, q), ("document", SENTINEL_DOCUMENT, d)):
            if not item.has_text:
                continue
            at = marked.index(sentinel, cursor)
            rebuilt += marked[cursor:at]
            spans[key] = (len(rebuilt), len(rebuilt) + len(item.text))
            rebuilt += item.text
            cursor = at + len(sentinel)
        rebuilt += marked[cursor:]
        if rebuilt != enc.text:
            raise ValueError(
                "gradient explain: cannot locate the query/document text in the rendered prompt (the chat template "
                "changes text parts). Use method='occlusion'."
            )
        return spans

    def token_offsets(self, enc: EncodedPair, input_ids: list[int]) -> list[tuple[int, int]]:
        """Character offsets in ``enc.text`` of every processor token (image pads expanded to their token counts,
        each clip's pad to its replacement tokens; expanded tokens get the placeholder's offsets).

        Raises:
            ValueError: the tokenizer's offsets do not line up with ``input_ids``.
        """
        tok = self.processor.tokenizer(enc.text, return_offsets_mapping=True)
        image_pad, video_pad = self.processor.image_token_id, self.processor.video_token_id
        ids, offsets = [], []
        counts = iter(enc.image_tokens)
        clips = iter(enc.videos.values())
        for t, off in zip(tok["input_ids"], tok["offset_mapping"]):
            if t == video_pad:
                expanded = list(next(clips).replacement_ids)
            else:
                expanded = [t] * (next(counts) if t == image_pad else 1)
            ids += expanded
            offsets += [tuple(off)] * len(expanded)
        if ids != input_ids:
            raise ValueError(
                "gradient explain: the tokenizer's offsets do not line up with the processor's tokens. "
                "Use method='occlusion'."
            )
        return offsets


__all__ = ["SENTINEL_DOCUMENT", "SENTINEL_QUERY", "EncodedPair", "Measurements", "PromptEncoder", "fit_image"]
