"""Shared-prefix KV reuse for the Qwen-VL scorer, all in one place.

Every pair of one query renders to the same text up to and including ``"\\n<Document>:"`` — system sentence,
instruction, query clip, query image and query text. :func:`score_shared_prefix` runs that prefix once (batch 1), keeps its
per-layer keys and values, and then runs only the document suffixes, in batches, on top of them, through the scorer's
own batching (:class:`PrefixRunner`: the scorer's model, processor, encoder and ``run_batches``).

Token identity is checked, never assumed: each pair's full token ids (tokenized whole, image pads expanded) must start
with the shared prefix ids. Byte-level BPE can merge across the boundary (``">:"`` followed by a document that starts
with punctuation forms one pre-token), so the shared length is the longest prefix common to the rendered prefix and
every pair of the group; a pair that differs earlier than the last :data:`BOUNDARY_SLACK` prefix tokens (its query
text was cut by truncation) is scored on the plain path. An image- or clip-token run is never split: all of the
query image's and the query clip's tokens must lie inside the shared prefix (a clip's tokens are its video pads and,
for Qwen3-VL, the ``<t seconds>`` markers and vision start/end tokens between them, as the processor writes them).

Positions are the full sequence's 3-D rope index (computed by the model's ``get_rope_index`` on prefix + suffix ids,
with left padding of the suffixes as holes in the attention mask), sliced to the suffix, so rope continues exactly
after the prefix — including the 2-D positions of document images and the 3-D positions of document clips in the suffix.

The cache (:func:`shared_prefix_cache`) never stores anything: each layer returns ``cat(prefix.expand(B), new)`` for
the batch's own keys/values and forgets them, so one prefix serves any number of batches (and threads) unchanged.
Memory: attention materialises ``B`` copies of the prefix keys/values for one layer at a time (``B * L * kv_heads *
head_dim`` elements each for keys and values), instead of recomputing the prefix ``B`` times through every layer.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from lychee.items import Item
from lychee.results import PATH_PREFIX, Prediction
from lychee.runtime import is_out_of_memory
from lychee.scorers.qwen_vl.encoding import SENTINEL_DOCUMENT, EncodedPair, PromptEncoder
from lychee.scorers.qwen_vl.vision import PreparedVideo, vision_inputs

logger = logging.getLogger(__name__)

#: A pair whose ids leave the rendered prefix earlier than this many tokens before its end is scored plain.
BOUNDARY_SLACK = 8
#: Groups smaller than this are scored on the plain path (one pair gains nothing from a shared prefix).
MIN_GROUP = 2


def expand_image_pads(ids: Sequence[int], image_pad_id: int, counts: Sequence[int]) -> list[int]:
    """``ids`` with the ``k``-th ``image_pad_id`` repeated ``counts[k]`` times (as the processor expands images).

    Raises:
        ValueError: the number of image pads in ``ids`` differs from ``len(counts)``.
    """
    out: list[int] = []
    it = iter(counts)
    n_pads = 0
    for t in ids:
        if t == image_pad_id:
            n_pads += 1
            n = next(it, None)
            if n is None:
                break
            out.extend([t] * n)
        else:
            out.append(t)
    if n_pads != len(counts):
        raise ValueError(
            f"the prompt has {n_pads} image placeholders but {len(counts)} images were given; expected one "
            "<|image_pad|> per image."
        )
    return out


def expand_video_pads(ids: Sequence[int], video_pad_id: int, replacements: Sequence[Sequence[int]]) -> list[int]:
    """``ids`` with the ``k``-th ``video_pad_id`` replaced by ``replacements[k]`` (as the processor expands clips).

    Raises:
        ValueError: the number of video pads in ``ids`` differs from ``len(replacements)``.
    """
    out: list[int] = []
    n_pads = 0
    for t in ids:
        if t == video_pad_id:
            if n_pads < len(replacements):
                out.extend(replacements[n_pads])
            n_pads += 1
        else:
            out.append(t)
    if n_pads != len(replacements):
        raise ValueError(
            f"the prompt has {n_pads} video placeholders but {len(replacements)} clips were given; expected one "
            "<|video_pad|> per clip."
        )
    return out


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two id sequences."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def shared_length(
    prefix_ids: Sequence[int],
    rows: Sequence[Sequence[int]],
    image_pad_id: int,
    *,
    video_pad_id: int | None = None,
    slack: int = BOUNDARY_SLACK,
) -> tuple[int, list[int]]:
    """How many leading tokens the rows share with the rendered prefix, and which rows share them.

    Args:
        prefix_ids: the rendered prefix (through ``"\\n<Document>:"``), tokenized alone, image and clip pads
            expanded.
        rows: each pair's full ids, expanded the same way.
        image_pad_id: the ``<|image_pad|>`` id; every pad of ``prefix_ids`` must end up inside the shared prefix.
        video_pad_id: the ``<|video_pad|>`` id, held to the same rule.
        slack: a row may leave ``prefix_ids`` at most this many tokens before its end (BPE merges at the boundary).

    Returns:
        ``(L, eligible)``: rows ``eligible`` (indices into ``rows``) all start with ``prefix_ids[:L]`` and are longer
        than ``L``; ``L`` covers every image and video pad of ``prefix_ids``. ``(0, [])`` when no row qualifies.
    """
    pads = [
        i for i, t in enumerate(prefix_ids) if t == image_pad_id or (video_pad_id is not None and t == video_pad_id)
    ]
    need = max(pads[-1] + 1 if pads else 1, len(prefix_ids) - slack)
    lcps = [common_prefix_length(prefix_ids, row) for row in rows]
    eligible = [i for i, (n, row) in enumerate(zip(lcps, rows)) if n >= need and len(row) > n]
    if not eligible:
        return 0, []
    return min(lcps[i] for i in eligible), eligible


def _per_object(obj: Any, compute: Callable[[Any], Any], memo: dict[int, Any]) -> Any:
    """``compute(obj)``, once per object while ``memo`` (keyed by ``id``) lives; the caller keeps the objects alive."""
    key = id(obj)
    if key not in memo:
        memo[key] = compute(obj)
    return memo[key]


def _image_key(image: Any) -> Any:
    return image.size, image.mode, hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest()


def image_digest(image: Any, memo: dict[int, Any]) -> Any:
    """A content key for a PIL image (size, mode and a BLAKE2 digest of its pixels), memoised per object."""
    return _per_object(image, _image_key, memo)


@dataclass
class PrefixState:
    """One computed prefix: what every suffix batch of its group needs.

    Attributes:
        ids: the shared prefix ids, a ``(1, L)`` long tensor on the CPU (for the rope index of each batch).
        kv: per decoder layer, ``(keys, values)`` of shape ``(1, kv_heads, L, head_dim)`` on the model's device.
        image_grid_thw: ``(n, 3)`` grids (CPU) of the query image(s) inside the prefix, or ``None``.
        n_images: how many images lie inside the prefix (the rows' first ``n_images`` images).
        video_grid_thw: ``(n, 3)`` grids (CPU) of the query clip(s) inside the prefix, or ``None``.
        second_per_grid_ts: their seconds per temporal patch (Qwen2.5-VL), or ``None``.
        n_videos: how many clips lie inside the prefix (the rows' first ``n_videos`` clips).
    """

    ids: Any
    kv: list[tuple[Any, Any]]
    image_grid_thw: Any | None
    n_images: int
    video_grid_thw: Any | None = None
    second_per_grid_ts: Any | None = None
    n_videos: int = 0

    @property
    def length(self) -> int:
        return int(self.ids.shape[1])


class SuffixBatch(dict):
    """Model inputs of one batch of suffixes (``input_ids``, ``attention_mask`` over prefix + suffix,
    ``position_ids``, document ``pixel_values`` / ``image_grid_thw`` / ``pixel_values_videos`` / ``video_grid_thw``),
    plus the :class:`PrefixState` they extend.

    ``attention_mask.sum(1)`` is each pair's full length, as for a plain batch.
    """

    def __init__(self, tensors: dict[str, Any], prefix: PrefixState) -> None:
        super().__init__(tensors)
        self.prefix = prefix


@dataclass
class PathRecord:
    """What one scoring call did (for the INFO log line); never stored on the scorer."""

    prefix_pairs: int = 0
    prefix_lengths: list[int] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _shared_prefix_layer_class() -> type:
    from transformers.cache_utils import DynamicLayer

    class SharedPrefixLayer(DynamicLayer):
        """A read-only layer cache: serves ``cat(prefix.expand(B), new)`` and stores nothing.

        ``get_seq_length`` is the prefix length, so the causal mask offsets the suffix queries after the prefix.
        """

        def __init__(self, keys: Any, values: Any) -> None:
            super().__init__()
            self.keys, self.values = keys, values
            self.dtype, self.device = keys.dtype, keys.device
            self.is_initialized = True

        def update(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
            import torch

            b = key_states.shape[0]
            keys = torch.cat([self.keys.expand(b, -1, -1, -1), key_states], dim=-2)
            values = torch.cat([self.values.expand(b, -1, -1, -1), value_states], dim=-2)
            return keys, values

    return SharedPrefixLayer


def shared_prefix_cache(kv: Sequence[tuple[Any, Any]]) -> Any:
    """A transformers ``Cache`` over the prefix keys/values ``kv`` (batch 1) that any batch size can attend to.

    Each forward gets its own (cheap) cache object; the prefix tensors are shared and never modified.
    """
    from transformers.cache_utils import Cache

    layer_cls = _shared_prefix_layer_class()
    return Cache(layers=[layer_cls(k, v) for k, v in kv])


#: Called with each scored batch: ``on_scored(pairs, predictions)``.
ScoredCallback = Callable[[Sequence[EncodedPair], Sequence[Prediction]], None]


class PrefixRunner(Protocol):
    """What the shared-prefix path needs from the scorer."""

    model: Any
    processor: Any
    encoder: PromptEncoder
    device: str
    lock: Any

    def run_batches(
        self,
        rows: Sequence[EncodedPair],
        make_inputs: Callable[[list[EncodedPair]], Any],
        path: str,
        on_scored: ScoredCallback,
    ) -> None: ...


def prefix_unsupported(model: Any) -> str | None:
    """Why ``model`` cannot take the shared-prefix path, or ``None`` when it can."""
    text_config = model.config.get_text_config()
    layer_types = getattr(text_config, "layer_types", None) or ["full_attention"]
    if any(t != "full_attention" for t in layer_types):
        return "sliding-window layers: plain path"
    attention = getattr(model.config, "_attn_implementation", None) or "sdpa"
    if attention not in ("sdpa", "eager", "flash_attention_2"):
        return f"attention {attention!r} is not checked for cached prefixes: plain path"
    if attention == "flash_attention_2":
        from transformers.modeling_flash_attention_utils import flash_attn_supports_top_left_mask

        # Old flash-attn aligns the causal mask top-left, which is wrong for suffix queries after a cached prefix.
        if flash_attn_supports_top_left_mask():
            return "flash-attn with a top-left causal mask: plain path"
    return None


def query_groups(
    pairs: Sequence[tuple[Item, Item]], encoded: Sequence[EncodedPair]
) -> list[tuple[Item, list[EncodedPair]]]:
    """Pairs grouped by query content (text, image pixels, clip content and sampling), in order of first appearance."""
    groups: dict[Any, tuple[Item, list[EncodedPair]]] = {}
    memo: dict[int, Any] = {}
    clip_memo: dict[int, Any] = {}
    for (query, _), enc in zip(pairs, encoded):
        clip_key = None
        if query.has_video:
            clip_key = _per_object(query.video, lambda clip: clip.content_key(), clip_memo)
        key = (query.text, image_digest(query.image, memo) if query.has_image else None, clip_key)
        groups.setdefault(key, (query, []))[1].append(enc)
    return list(groups.values())


def score_shared_prefix(
    runner: PrefixRunner,
    pairs: Sequence[tuple[Item, Item]],
    encoded: Sequence[EncodedPair],
    instruction: str,
    on_scored: ScoredCallback,
    record: PathRecord,
) -> list[EncodedPair]:
    """Score every pair that can share its query's prefix; returns the rest (for the plain path)."""
    unsupported = prefix_unsupported(runner.model)
    if unsupported:
        record.fallbacks.append(unsupported)
        return list(encoded)
    plain: list[EncodedPair] = []
    for query, group in query_groups(pairs, encoded):
        plain += score_group(runner, query, group, instruction, on_scored, record)
    return plain


def score_group(
    runner: PrefixRunner,
    query: Item,
    group: list[EncodedPair],
    instruction: str,
    on_scored: ScoredCallback,
    record: PathRecord,
) -> list[EncodedPair]:
    """Score the pairs of ``group`` that can share the query's prefix; returns the rest (for the plain path)."""
    if len(group) < MIN_GROUP:
        return group
    tok = runner.processor.tokenizer
    image_pad, video_pad = runner.processor.image_token_id, runner.processor.video_token_id
    n_query_images = 1 if query.has_image else 0
    query_clips = [group[0].videos["query"]] if query.has_video else []
    # The prefix text: the prompt rendered with a sentinel document, cut where the document text would start.
    marked = runner.encoder.render_pair(query, Item(text=SENTINEL_DOCUMENT, name="document"), instruction)
    cut = marked.find(SENTINEL_DOCUMENT)
    if cut < 0:  # pragma: no cover - the chat template dropped the document text
        record.fallbacks.append("prefix not found in the rendered prompt")
        return group
    tokenized = tok([marked[:cut]] + [p.text for p in group])["input_ids"]

    def expand(ids: list[int], image_tokens: list[int], clips: list[PreparedVideo]) -> list[int]:
        ids = expand_image_pads(ids, image_pad, image_tokens)
        return expand_video_pads(ids, video_pad, [clip.replacement_ids for clip in clips])

    prefix_ids = expand(tokenized[0], group[0].image_tokens[:n_query_images], query_clips)
    rows = [expand(ids, p.image_tokens, list(p.videos.values())) for ids, p in zip(tokenized[1:], group)]
    length, eligible = shared_length(prefix_ids, rows, image_pad, video_pad_id=video_pad)
    # The ids must be what the processor would build (their count is checked against the measured length).
    eligible = [i for i in eligible if len(rows[i]) == group[i].n_tokens]
    if len(eligible) < MIN_GROUP:
        record.fallbacks.append(f"{len(group) - len(eligible)} of {len(group)} pairs do not share the prefix")
        return group
    chosen = [group[i] for i in eligible]
    row_ids = {group[i].index: rows[i] for i in eligible}
    query_image = chosen[0].images[0] if n_query_images else None
    try:
        state = prefix_state(runner, prefix_ids[:length], query_image, query_clips)
    except Exception as exc:  # only CUDA out-of-memory falls back; everything else propagates
        if not is_out_of_memory(exc):
            raise
        logger.warning("CUDA out of memory computing a %d-token shared prefix; scoring its pairs plain", length)
        record.fallbacks.append("out of memory on the prefix")
        return group
    runner.run_batches(chosen, lambda chunk: suffix_inputs(runner, state, chunk, row_ids), PATH_PREFIX, on_scored)
    record.prefix_pairs += len(chosen)
    record.prefix_lengths.append(length)
    if len(chosen) < len(group):
        record.fallbacks.append(f"{len(group) - len(chosen)} of {len(group)} pairs do not share the prefix")
    taken = {p.index for p in chosen}
    return [p for p in group if p.index not in taken]


def mm_token_types(processor: Any, ids: Any) -> Any:
    """The processor's ``mm_token_type_ids`` of ``ids``: 1 for image pads, 2 for video pads, 0 for text."""
    return (ids == processor.image_token_id).int() + 2 * (ids == processor.video_token_id).int()


def _vision_model_inputs(runner: PrefixRunner, vision: dict[str, Any]) -> dict[str, Any]:
    """``vision`` (from :func:`vision_inputs`) on the model's device, pixel values in the model's dtype."""
    out = {}
    for key, value in vision.items():
        if key.startswith("pixel_values"):
            out[key] = value.to(runner.device, runner.model.dtype)
        else:
            out[key] = value.to(runner.device)
    return out


def prefix_state(
    runner: PrefixRunner,
    prefix_ids: Sequence[int],
    query_image: Any | None,
    query_clips: Sequence[PreparedVideo] = (),
) -> PrefixState:
    """Run the shared prefix once (batch 1) and keep every layer's keys and values."""
    import torch

    ids = torch.tensor([list(prefix_ids)], dtype=torch.long)
    mask = torch.ones_like(ids)
    model_inputs: dict[str, Any] = {"input_ids": ids.to(runner.device), "attention_mask": mask.to(runner.device)}
    vision = vision_inputs(runner.processor, [query_image] if query_image is not None else [], query_clips)
    model_inputs.update(_vision_model_inputs(runner, vision))
    with torch.no_grad():
        position_ids, _ = runner.model.model.get_rope_index(
            ids,
            mm_token_type_ids=mm_token_types(runner.processor, ids),
            image_grid_thw=vision.get("image_grid_thw"),
            attention_mask=mask,
            **{k: vision[k] for k in ("video_grid_thw", "second_per_grid_ts") if k in vision},
        )
    model_inputs["position_ids"] = position_ids.to(runner.device)
    with runner.lock, torch.inference_mode():
        out = runner.model.model(**model_inputs, use_cache=True)
    kv = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
    return PrefixState(
        ids=ids,
        kv=kv,
        image_grid_thw=vision.get("image_grid_thw"),
        n_images=1 if query_image is not None else 0,
        video_grid_thw=vision.get("video_grid_thw"),
        second_per_grid_ts=vision.get("second_per_grid_ts"),
        n_videos=len(query_clips),
    )


def suffix_inputs(
    runner: PrefixRunner, state: PrefixState, chunk: Sequence[EncodedPair], row_ids: dict[int, list[int]]
) -> SuffixBatch:
    """Model inputs for the document suffixes of ``chunk`` on top of ``state``.

    Suffixes are left-padded, so the answer position is the last column; the attention mask spans prefix +
    suffix with 0 at the padding (a hole between prefix and suffix). Positions are the full sequences' 3-D rope
    index sliced to the suffix; only the document images are encoded.
    """
    import torch

    length = state.length
    suffixes = [row_ids[p.index][length:] for p in chunk]
    width = max(len(s) for s in suffixes)
    pad_id = runner.processor.tokenizer.pad_token_id
    ids = torch.full((len(chunk), width), 0 if pad_id is None else pad_id, dtype=torch.long)
    mask = torch.zeros((len(chunk), length + width), dtype=torch.long)
    mask[:, :length] = 1
    for b, suffix in enumerate(suffixes):
        ids[b, width - len(suffix) :] = torch.tensor(suffix, dtype=torch.long)
        mask[b, length + width - len(suffix) :] = 1
    doc_images = [img for p in chunk for img in p.images[state.n_images :]]
    doc_clips = [clip for p in chunk for clip in list(p.videos.values())[state.n_videos :]]
    vision = vision_inputs(runner.processor, doc_images, doc_clips)
    model_inputs = _vision_model_inputs(runner, vision)
    # Grids (and seconds per temporal patch) in prompt order, row by row: the prefix's (query) images and clips,
    # then the row's document images and clips; get_rope_index reads images and clips from separate queues.
    image_grids = _row_major(
        chunk, state.image_grid_thw, vision.get("image_grid_thw"), lambda p: p.images, state.n_images
    )
    video_grids = _row_major(
        chunk, state.video_grid_thw, vision.get("video_grid_thw"), lambda p: list(p.videos), state.n_videos
    )
    seconds = _row_major(
        chunk, state.second_per_grid_ts, vision.get("second_per_grid_ts"), lambda p: list(p.videos), state.n_videos
    )
    full_ids = torch.cat([state.ids.expand(len(chunk), -1), ids], dim=1)
    rope_kwargs: dict[str, Any] = {}
    if video_grids is not None:
        rope_kwargs["video_grid_thw"] = video_grids
    if seconds is not None:
        rope_kwargs["second_per_grid_ts"] = seconds
    with torch.no_grad():
        position_ids, _ = runner.model.model.get_rope_index(
            full_ids,
            mm_token_type_ids=mm_token_types(runner.processor, full_ids),
            image_grid_thw=image_grids,
            attention_mask=mask,
            **rope_kwargs,
        )
    model_inputs["input_ids"] = ids.to(runner.device)
    model_inputs["attention_mask"] = mask.to(runner.device)
    model_inputs["position_ids"] = position_ids[:, :, length:].to(runner.device)
    return SuffixBatch(model_inputs, state)


def _row_major(
    chunk: Sequence[EncodedPair],
    prefix_part: Any | None,
    doc_part: Any | None,
    items: Callable[[EncodedPair], Any],
    n_prefix: int,
) -> Any | None:
    """Per-item rows (grids, or seconds per patch) in prompt order over the batch: for each pair, the prefix's rows,
    then its own document rows taken in turn from ``doc_part`` (``None``: the family has no such rows); ``None`` when
    there are none."""
    import torch

    parts, k = [], 0
    for p in chunk:
        if prefix_part is not None:
            parts.append(torch.as_tensor(prefix_part))
        n_doc = len(items(p)) - n_prefix
        if n_doc and doc_part is not None:  # Qwen3-VL has no seconds per patch
            parts.append(torch.as_tensor(doc_part)[k : k + n_doc])
            k += n_doc
    return torch.cat(parts) if parts else None


__all__ = [
    "BOUNDARY_SLACK",
    "MIN_GROUP",
    "PathRecord",
    "PrefixRunner",
    "PrefixState",
    "SuffixBatch",
    "common_prefix_length",
    "expand_image_pads",
    "expand_video_pads",
    "mm_token_types",
    "image_digest",
    "prefix_state",
    "prefix_unsupported",
    "query_groups",
    "score_group",
    "score_shared_prefix",
    "shared_length",
    "shared_prefix_cache",
    "suffix_inputs",
]
