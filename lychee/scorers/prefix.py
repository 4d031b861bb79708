"""Shared-prefix KV reuse for the Qwen-VL scorer: the parts that do not need the model.

Every pair of one query renders to the same text up to and including ``"\\n<Document>:"`` — system sentence,
instruction, query image and query text. :class:`~lychee.scorers.qwen_vl.QwenVLScorer` runs that prefix once
(batch 1), keeps its per-layer keys and values, and then runs only the document suffixes, in batches, on top of them.
This module holds the token bookkeeping and the cache object; the scorer does the forwards.

Token identity is checked, never assumed: each pair's full token ids (tokenized whole, image pads expanded) must start
with the shared prefix ids. Byte-level BPE can merge across the boundary (``">:"`` followed by a document that starts
with punctuation forms one pre-token), so the shared length is the longest prefix common to the rendered prefix and
every pair of the group; a pair that differs earlier than the last :data:`BOUNDARY_SLACK` prefix tokens (its query
text was cut by truncation) is scored on the plain path. An image-token run is never split: all of the query image's
tokens must lie inside the shared prefix.

Positions are the full sequence's 3-D rope index (computed by the model's ``get_rope_index`` on prefix + suffix ids,
with left padding of the suffixes as holes in the attention mask), sliced to the suffix, so rope continues exactly
after the prefix — including the 2-D positions of document images in the suffix.

The cache (:func:`shared_prefix_cache`) never stores anything: each layer returns ``cat(prefix.expand(B), new)`` for
the batch's own keys/values and forgets them, so one prefix serves any number of batches (and threads) unchanged.
Memory: attention materialises ``B`` copies of the prefix keys/values for one layer at a time (``B * L * kv_heads *
head_dim`` elements each for keys and values), instead of recomputing the prefix ``B`` times through every layer.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: A pair whose ids leave the rendered prefix earlier than this many tokens before its end is scored plain.
BOUNDARY_SLACK = 8
#: Groups smaller than this are scored on the plain path (one pair gains nothing from a shared prefix).
MIN_GROUP = 2

PATH_PREFIX = "prefix"
PATH_PLAIN = "plain"


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


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two id sequences."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def shared_length(
    prefix_ids: Sequence[int], rows: Sequence[Sequence[int]], image_pad_id: int, *, slack: int = BOUNDARY_SLACK
) -> tuple[int, list[int]]:
    """How many leading tokens the rows share with the rendered prefix, and which rows share them.

    Args:
        prefix_ids: the rendered prefix (through ``"\\n<Document>:"``), tokenized alone, image pads expanded.
        rows: each pair's full ids, image pads expanded.
        image_pad_id: the ``<|image_pad|>`` id; every pad of ``prefix_ids`` must end up inside the shared prefix.
        slack: a row may leave ``prefix_ids`` at most this many tokens before its end (BPE merges at the boundary).

    Returns:
        ``(L, eligible)``: rows ``eligible`` (indices into ``rows``) all start with ``prefix_ids[:L]`` and are longer
        than ``L``; ``L`` covers every image pad of ``prefix_ids``. ``(0, [])`` when no row qualifies.
    """
    pads = [i for i, t in enumerate(prefix_ids) if t == image_pad_id]
    need = max(pads[-1] + 1 if pads else 1, len(prefix_ids) - slack)
    lcps = [common_prefix_length(prefix_ids, row) for row in rows]
    eligible = [i for i, (n, row) in enumerate(zip(lcps, rows)) if n >= need and len(row) > n]
    if not eligible:
        return 0, []
    return min(lcps[i] for i in eligible), eligible


def image_digest(image: Any, memo: dict[int, Any]) -> Any:
    """A content key for a PIL image (size, mode and a BLAKE2 digest of its pixels), memoised per object."""
    key = id(image)
    if key not in memo:
        digest = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest()
        memo[key] = (image.size, image.mode, digest)
    return memo[key]


@dataclass
class PrefixState:
    """One computed prefix: what every suffix batch of its group needs.

    Attributes:
        ids: the shared prefix ids, a ``(1, L)`` long tensor on the CPU (for the rope index of each batch).
        kv: per decoder layer, ``(keys, values)`` of shape ``(1, kv_heads, L, head_dim)`` on the model's device.
        image_grid_thw: ``(n, 3)`` grids (CPU) of the query image(s) inside the prefix, or ``None``.
        n_images: how many images lie inside the prefix (the rows' first ``n_images`` images).
    """

    ids: Any
    kv: list[tuple[Any, Any]]
    image_grid_thw: Any | None
    n_images: int

    @property
    def length(self) -> int:
        return int(self.ids.shape[1])


class SuffixBatch(dict):
    """Model inputs of one batch of suffixes (``input_ids``, ``attention_mask`` over prefix + suffix,
    ``position_ids``, document ``pixel_values`` / ``image_grid_thw``), plus the :class:`PrefixState` they extend.

    ``attention_mask.sum(1)`` is each pair's full length, as for a plain batch.
    """

    def __init__(self, tensors: dict[str, Any], prefix: PrefixState) -> None:
        super().__init__(tensors)
        self.prefix = prefix


@dataclass
class PathRecord:
    """What one ``_predict_pairs`` call did (for the INFO log line); never stored on the scorer."""

    prefix_pairs: int = 0
    plain_pairs: int = 0
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


__all__ = [
    "BOUNDARY_SLACK",
    "MIN_GROUP",
    "PATH_PLAIN",
    "PATH_PREFIX",
    "PathRecord",
    "PrefixState",
    "SuffixBatch",
    "common_prefix_length",
    "expand_image_pads",
    "image_digest",
    "shared_length",
    "shared_prefix_cache",
]
