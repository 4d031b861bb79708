"""Yes/no scorer over Qwen2.5-VL (Lychee-rerank-mm) and Qwen3-VL (Qwen3-VL-Reranker) checkpoints.

For each (query, document) pair the scorer renders the family's reference prompt (:mod:`lychee.prompt`) with the
checkpoint's chat template, runs the model once, and reads the next-token logits ``z_yes`` and ``z_no`` at the last
position (the answer position; batches are left-padded so the last position is always a real token)::

    log_odds = z_yes - z_no                      # kept in Prediction.log_odds
    score    = softmax([z_no, z_yes])[1]         # Lychee;  = sigmoid(log_odds)
    score    = sigmoid(z_yes - z_no)             # Qwen3-VL-Reranker; the same number

Logits are upcast to float32 before the softmax/sigmoid. Pairs are scored in length-sorted batches and returned in
input order; a pair longer than ``max_length`` tokens loses document text first, then query text (cut at token
boundaries found by binary search on the measured prompt length) — never the end of the template, where the answer
position is. torch and transformers are imported only when a scorer is built.

Documents that share a query (two or more in one call) are scored on the shared-prefix path by default: the prompt up
to ``"\n<Document>:"`` (system, instruction, query image and text) runs once and its KV cache serves every document
suffix (:mod:`lychee.scorers.prefix`). It gives the plain path's scores (float32: within 1e-4 in log-odds, tested);
``Prediction.path`` says which path scored a pair, and ``use_prefix_cache=False`` scores every whole prompt.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import math
import struct
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from lychee.items import MAX_ASPECT_RATIO, Item, ItemLike, pad_to_aspect_ratio
from lychee.prompt import FamilySpec, build_messages, family_spec
from lychee.scorers.base import BaseScorer, Prediction, ProgressCallback, coerce_query
from lychee.scorers.prefix import (
    MIN_GROUP,
    PATH_PLAIN,
    PATH_PREFIX,
    PathRecord,
    PrefixState,
    SuffixBatch,
    expand_image_pads,
    image_digest,
    shared_length,
    shared_prefix_cache,
)

logger = logging.getLogger(__name__)

DTYPE_NAMES: dict[str, str] = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
}
DEFAULT_BATCH_SIZE = {"cuda": 8, "cpu": 4}
# Room left for activations, the tokenizer and the rest of the process when deciding whether float32 weights fit.
MEMORY_HEADROOM = 1.2
_SENTINEL_Q = "\ue000LYCHEE-QUERY\ue000"
_SENTINEL_D = "\ue000LYCHEE-DOCUMENT\ue000"


def _import_torch() -> Any:
    try:
        import qwen_vl_utils  # noqa: F401
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"The Qwen-VL rerankers need torch, transformers and qwen-vl-utils ({exc}). Install them with "
            "`pip install -r requirements.txt` (torch, transformers>=5, qwen-vl-utils)."
        ) from exc
    return torch


# --- loading helpers ----------------------------------------------------------------------------------------------


def resolve_device(device: str | None) -> str:
    """``None`` -> ``"cuda"`` when available else ``"cpu"``; validates explicit devices.

    Raises:
        ValueError: unknown device string, or a CUDA device on a machine without CUDA.
    """
    torch = _import_torch()
    if device is None:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device, str):
        device = str(device)
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}.") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} was requested but CUDA is not available here. Use device='cpu'.")
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}.")
    return str(dev)


def parse_dtype(dtype: Any) -> Any:
    """A torch dtype from ``"float32"``/``"bfloat16"``/``"float16"`` (or fp32/bf16/fp16) or a torch dtype.

    ``None`` stays ``None`` (the caller picks the default).

    Raises:
        ValueError: any other value.
    """
    torch = _import_torch()
    if dtype is None:
        return None
    allowed = {torch.float32, torch.bfloat16, torch.float16}
    if isinstance(dtype, torch.dtype):
        if dtype not in allowed:
            raise ValueError(f"dtype must be float32, bfloat16 or float16, got {dtype}.")
        return dtype
    if isinstance(dtype, str) and dtype.strip().lower().removeprefix("torch.") in DTYPE_NAMES:
        return getattr(torch, DTYPE_NAMES[dtype.strip().lower().removeprefix("torch.")])
    raise ValueError(
        f"dtype must be 'float32', 'bfloat16', 'float16' (or fp32/bf16/fp16) or a torch dtype, got {dtype!r}. "
        "Leave it unset for bfloat16 on CUDA and float32 on CPU."
    )


def checkpoint_parameter_count(path: str | Path) -> int | None:
    """Number of parameters stored in the ``*.safetensors`` files of ``path`` (read from their headers only)."""
    total = 0
    files = sorted(Path(path).glob("*.safetensors"))
    if not files:
        return None
    for file in files:
        try:
            with open(file, "rb") as fh:
                (n,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(n))
        except (OSError, ValueError, struct.error):
            return None
        for name, meta in header.items():
            if name != "__metadata__":
                total += math.prod(meta.get("shape", []))
    return total


def available_memory_bytes() -> int | None:
    """Free RAM for new allocations: psutil's ``available`` when installed, else /proc/meminfo ``MemAvailable``."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def choose_dtype(
    requested: Any, device: str, n_params: int | None, free_bytes: int | None
) -> tuple[Any, str | None]:
    """The weight dtype and, when the default had to change, a note saying why.

    CUDA defaults to bfloat16. CPU defaults to float32 unless ``4 * n_params * MEMORY_HEADROOM`` exceeds the free
    memory, in which case bfloat16 halves the footprint (with a warning).
    """
    torch = _import_torch()
    explicit = parse_dtype(requested)
    if explicit is not None:
        return explicit, None
    if device.startswith("cuda"):
        return torch.bfloat16, None
    if n_params is not None and free_bytes is not None and 4 * n_params * MEMORY_HEADROOM > free_bytes:
        note = (
            f"float32 weights need {4 * n_params / 2**30:.1f} GiB but only {free_bytes / 2**30:.1f} GiB of memory is "
            "free; loaded in bfloat16 instead (scores differ from float32 by about 1e-2). Pass dtype='float32' to "
            "force float32."
        )
        return torch.bfloat16, note
    return torch.float32, None


def choose_attention(device: str, requested: str | None = None) -> str:
    """``flash_attention_2`` on CUDA when flash_attn is installed, else ``sdpa`` (``eager`` is the load fallback)."""
    if requested:
        return requested
    if device.startswith("cuda") and importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return "sdpa"


def _is_oom(exc: BaseException) -> bool:
    torch = _import_torch()
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


# --- encoded pairs --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _stand_in_image() -> Any:
    from PIL import Image

    return Image.new("RGB", (1, 1), (255, 255, 255))


def _stand_in(item: Item) -> Item:
    """``item`` with its image replaced by a 1x1 stand-in (same text, same name).

    Rendering only needs to know that an item has an image (the template emits a placeholder), so prompts are
    measured with this stand-in instead of copying a possibly large image for every truncation probe.
    """
    if not item.has_image:
        return item
    return Item(text=item.text, image=_stand_in_image(), name=item.name)


_ImageEntry = tuple[Any, int, tuple[int, int]]  # (resized image, merged tokens, (width, height) after padding)


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
        n_tokens: the pair's length in tokens, images expanded.
        truncated: text was cut to fit ``max_length``.
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


@dataclass
class QwenVLScorer(BaseScorer):
    """Lychee-rerank-mm / Qwen3-VL-Reranker scorer (see module docstring).

    Build it with :func:`lychee.load_scorer` (which reads the checkpoint's ``model_type``) or
    :meth:`QwenVLScorer.from_config`.

    Example:
        >>> scorer = lychee.load_scorer("/models/lychee-rerank-mm")
        >>> scorer.score({"text": "red running shoes"}, [{"image": "shoe.jpg"}, "blue ceramic teapot"])
    """

    model: Any = None
    processor: Any = None
    spec: FamilySpec | None = None
    device: str = "cpu"
    batch_size: int = 4
    max_length: int = 8192
    yes_token_id: int = -1
    no_token_id: int = -1
    #: Run the prompt prefix a query shares with its documents once and reuse its KV cache (see
    #: :mod:`lychee.scorers.prefix`); ``False`` scores every pair's whole prompt (the reference path).
    use_prefix_cache: bool = True
    _lock: Any = field(default_factory=threading.Lock, repr=False)
    #: ``explain(method=...)`` values this scorer supports (the base scorer has occlusion only).
    explain_methods: ClassVar[tuple[str, ...]] = ("occlusion", "gradient")

    # --- construction ------------------------------------------------------------------------------------------
    @classmethod
    def from_config(cls, cfg: Any) -> QwenVLScorer:
        """Load the checkpoint folder ``cfg.path`` for ``cfg.family`` (a :class:`lychee.ScorerConfig`).

        Raises:
            ValueError: bad device/dtype/options, missing files, or a tokenizer without single ``yes``/``no`` tokens.
            ImportError: torch / transformers / qwen-vl-utils are not installed.
        """
        _import_torch()
        spec = family_spec(cfg.family)
        if not cfg.path:
            raise ValueError(f"model '{cfg.model_name_or_path}': no local checkpoint folder was resolved.")
        path = Path(cfg.path)
        model_kwargs = dict(cfg.model_kwargs or {})
        processor_kwargs = dict(cfg.processor_kwargs or {})
        for kw in (model_kwargs, processor_kwargs):
            if kw.pop("trust_remote_code", False):
                raise ValueError(
                    "trust_remote_code=True was passed; this scorer never runs code shipped with a checkpoint. "
                    "Remove it: Qwen2.5-VL and Qwen3-VL are built into transformers."
                )
        device = resolve_device(cfg.device)
        n_params = checkpoint_parameter_count(path)
        dtype, dtype_note = choose_dtype(cfg.dtype, device, n_params, available_memory_bytes())
        if dtype_note:
            warnings.warn(dtype_note, stacklevel=3)
            logger.warning(dtype_note)
        batch_size = cfg.batch_size or DEFAULT_BATCH_SIZE["cuda" if device.startswith("cuda") else "cpu"]
        max_length = cfg.max_length or spec.max_length

        from transformers import AutoProcessor

        if spec.model_type == "qwen2_5_vl":
            from transformers import Qwen2_5_VLForConditionalGeneration as model_cls
        else:
            from transformers import Qwen3VLForConditionalGeneration as model_cls

        # The pixel bounds go to the image processor as size={"shortest_edge": min_pixels, "longest_edge":
        # max_pixels}: transformers 5 deprecates min_pixels/max_pixels keywords for the same thing.
        min_pixels = processor_kwargs.pop("min_pixels", spec.min_pixels)
        max_pixels = processor_kwargs.pop("max_pixels", spec.max_pixels)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (min_pixels, max_pixels)) or not (
            0 < min_pixels <= max_pixels
        ):
            raise ValueError(
                f"processor_kwargs: expected integers 0 < min_pixels <= max_pixels, got min_pixels={min_pixels!r}, "
                f"max_pixels={max_pixels!r}. The family default is {spec.min_pixels}..{spec.max_pixels}."
            )
        processor_kwargs.setdefault("padding_side", "left")
        processor_kwargs.setdefault("size", {"shortest_edge": min_pixels, "longest_edge": max_pixels})
        try:
            processor = AutoProcessor.from_pretrained(str(path), **processor_kwargs)
        except (OSError, ValueError) as exc:
            raise ValueError(
                f"checkpoint {path}: cannot load the processor ({exc}). Expected tokenizer, preprocessor and chat "
                "template files next to config.json."
            ) from exc
        # Left padding, so that the last position of every row is the answer position.
        processor.tokenizer.padding_side = "left"
        yes_id, no_id = _answer_token_ids(processor.tokenizer, path)

        attention = choose_attention(device, model_kwargs.pop("attn_implementation", None))
        # No device_map: in transformers 5 it needs the accelerate package; load, then move to the device.
        load_kwargs = dict(dtype=dtype, attn_implementation=attention, **model_kwargs)
        try:
            model = model_cls.from_pretrained(str(path), **load_kwargs)
        except (ValueError, ImportError) as exc:
            if attention == "eager" or "attn_implementation" in (cfg.model_kwargs or {}):
                raise ValueError(f"checkpoint {path}: cannot load the model ({exc}).") from exc
            logger.warning("attention %s unavailable (%s); falling back to eager", attention, exc)
            load_kwargs["attn_implementation"] = "eager"
            model = model_cls.from_pretrained(str(path), **load_kwargs)
        model = model.to(device)
        model.eval()
        model.requires_grad_(False)  # inference only; gradient salience asks for input gradients explicitly

        attention_used = getattr(model.config, "_attn_implementation", None) or load_kwargs["attn_implementation"]
        n_total = sum(p.numel() for p in model.parameters())
        info: dict[str, Any] = {
            "model": cfg.model_name_or_path,
            "path": str(path),
            "family": spec.name,
            "device": device,
            "dtype": str(dtype).replace("torch.", ""),
            "attention": attention_used,
            "parameters": n_total,
            "max_length": max_length,
            "batch_size": batch_size,
            "modalities": "text+image",
            "instruction": spec.default_instruction,
            "score": spec.score_formula,
            "min_pixels": min_pixels,
            "max_pixels": max_pixels,
            "yes_token_id": yes_id,
            "no_token_id": no_id,
            "oom_retries": 0,
        }
        if dtype_note:
            info["dtype_note"] = dtype_note
        logger.info(
            "loaded %s (%s) on %s in %s with %s attention", path, spec.name, device, info["dtype"], attention_used
        )
        return cls(
            name=cfg.model_name_or_path,
            family=spec.name,
            default_instruction=spec.default_instruction,
            supports_images=True,
            info=info,
            model=model,
            processor=processor,
            spec=spec,
            device=device,
            batch_size=int(batch_size),
            max_length=int(max_length),
            yes_token_id=yes_id,
            no_token_id=no_id,
        )

    # --- prompt rendering and measuring --------------------------------------------------------------------------
    def render(self, query: Item, document: Item, instruction: str) -> str:
        """The prompt text of one pair (one ``<|image_pad|>`` per image, before the processor expands it)."""
        messages = build_messages(self.family, instruction, query, document)
        return self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def _n_text_tokens(self, text: str) -> int:
        return len(self.processor.tokenizer(text)["input_ids"])

    def _image(self, item: Item, cache: dict[int, _ImageEntry]) -> _ImageEntry:
        """Pad an extreme aspect ratio, resize within the family's pixel bounds (qwen_vl_utils), count its tokens.

        Returns:
            ``(resized image, merged image tokens, (width, height) after padding)``.

        Cached per image object for the duration of one call (a query image shared by 50 documents is done once).
        """
        key = id(item.image)
        if key not in cache:
            from qwen_vl_utils import process_vision_info

            image, padded = pad_to_aspect_ratio(item.image, MAX_ASPECT_RATIO)
            if padded:
                w, h = item.image.size
                msg = (
                    f"{item.name} image is {w}x{h} (aspect ratio {max(w, h) / min(w, h):.0f}:1, above the "
                    f"{MAX_ASPECT_RATIO}:1 the Qwen vision encoder accepts); padded with white to "
                    f"{image.width}x{image.height}."
                )
                warnings.warn(msg, stacklevel=5)
                logger.warning(msg)
            part = {"type": "image", "image": image, "min_pixels": self._min_pixels, "max_pixels": self._max_pixels}
            resized, _ = process_vision_info(
                [{"role": "user", "content": [part]}], image_patch_size=self.spec.image_patch_size
            )
            ip = self.processor.image_processor
            img = resized[0]
            n_tokens = (img.height // ip.patch_size) * (img.width // ip.patch_size) // (ip.merge_size**2)
            cache[key] = (img, n_tokens, image.size)
        return cache[key]

    @property
    def _min_pixels(self) -> int:
        return int(self.info.get("min_pixels", self.spec.min_pixels))

    @property
    def _max_pixels(self) -> int:
        return int(self.info.get("max_pixels", self.spec.max_pixels))

    def encode(self, pairs: Sequence[tuple[Item, Item]], instruction: str) -> list[EncodedPair]:
        """Render, measure and (if needed) truncate each pair; each distinct image is padded/resized once.

        Raises:
            ValueError: a pair does not fit in ``max_length`` even with all its text removed (its images alone are
                too long), or a text contains an image/video placeholder token.
        """
        cache: dict[int, Any] = {}
        out = []
        reserved = [getattr(self.processor, name, None) for name in ("image_token", "video_token")]
        reserved = [t for t in reserved if t]
        for i, (q, d) in enumerate(pairs):
            images, image_tokens, sizes = [], [], {}
            for side, item in (("query", q), ("document", d)):
                for token in reserved:
                    if item.has_text and token in item.text:
                        raise ValueError(
                            f"{item.name} text contains {token!r}, the model's placeholder for image/video features; "
                            "a text cannot carry it (the model would look for a matching image). Remove it from the "
                            "text, or give the image as the item's image."
                        )
                if item.has_image:
                    resized, n, size = self._image(item, cache)
                    images.append(resized)
                    image_tokens.append(n)
                    sizes[side] = size
            # each <|image_pad|> of the rendered text becomes n tokens in the processor
            extra = sum(n - 1 for n in image_tokens)
            q_kept, d_kept, text, n_tokens, truncated = self._fit(
                i, len(pairs), _stand_in(q), _stand_in(d), instruction, extra
            )
            out.append(EncodedPair(i, q_kept, d_kept, text, images, image_tokens, sizes, n_tokens, truncated))
        return out

    def _measure(self, q: Item, d: Item, instruction: str, extra: int) -> tuple[int, str]:
        text = self.render(q, d, instruction)
        return self._n_text_tokens(text) + extra, text

    def _fit(
        self, index: int, n_pairs: int, q: Item, d: Item, instruction: str, extra: int
    ) -> tuple[Item, Item, str, int, bool]:
        """Cut document text, then query text, until the pair fits in ``max_length`` tokens."""
        n, text = self._measure(q, d, instruction, extra)
        if n <= self.max_length:
            return q, d, text, n, False
        n_original, cuts = n, []
        if d.has_text:
            d = self._cut_text(d, lambda t: self._measure(q, d.with_text(t), instruction, extra)[0])
            cuts.append("the document text was " + ("cut" if d.has_text else "removed"))
            n, text = self._measure(q, d, instruction, extra)
        if n > self.max_length and q.has_text:
            q = self._cut_text(q, lambda t: self._measure(q.with_text(t), d, instruction, extra)[0])
            cuts.append("the query text was " + ("cut" if q.has_text else "removed"))
            n, text = self._measure(q, d, instruction, extra)
        if n > self.max_length:
            image_tokens = extra + sum(1 for item in (q, d) if item.has_image)
            raise ValueError(
                f"pair {index + 1} of {n_pairs} ({q.name} / {d.name}) needs {n} tokens even with all its text "
                f"removed (images: {image_tokens} tokens; the rest is the instruction and the prompt template), more "
                f"than max_length={self.max_length}. Use a smaller image or a shorter instruction, or load the "
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

    def _cut_text(self, item: Item, measure: Callable[[str], int]) -> Item:
        """The longest token-boundary prefix of ``item.text`` whose pair fits (binary search); no text if none does."""
        enc = self.processor.tokenizer(item.text, add_special_tokens=False, return_offsets_mapping=True)
        ends = [e for _, e in enc["offset_mapping"]]
        # k keeps the first k tokens; k = len(ends) is the whole text, known not to fit
        lo, hi, best = 1, len(ends) - 1, 0
        while lo <= hi:
            mid = (lo + hi) // 2
            if measure(item.text[: ends[mid - 1]]) <= self.max_length:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        return item.with_text(item.text[: ends[best - 1]] if best > 0 else None)

    # --- scoring -----------------------------------------------------------------------------------------------
    def _batch_inputs(self, batch: Sequence[EncodedPair]) -> Any:
        """Processor output for a batch (left-padded), with all its keys (input_ids, attention_mask, pixel_values,
        image_grid_thw, mm_token_type_ids)."""
        images = [img for p in batch for img in p.images]
        return self.processor(
            text=[p.text for p in batch], images=images or None, padding=True, return_tensors="pt"
        )

    def _model_inputs(self, inputs: Any) -> dict[str, Any]:
        """Move processor output to the device and add padding-aware 3-D rope positions."""
        torch = _import_torch()
        feed = {k: v.to(self.device) for k, v in inputs.items() if hasattr(v, "to")}
        if "pixel_values" in feed:
            feed["pixel_values"] = feed["pixel_values"].to(self.model.dtype)
        # Positions from the attention mask (get_rope_index skips padding), so that a pair's score does not depend
        # on how much left padding its batch needed; transformers' text-only default would count the padding.
        with torch.no_grad():
            position_ids, _ = self.model.model.get_rope_index(
                feed["input_ids"],
                mm_token_type_ids=feed["mm_token_type_ids"],
                image_grid_thw=feed.get("image_grid_thw"),
                attention_mask=feed["attention_mask"],
            )
        feed["position_ids"] = position_ids
        return feed

    def _forward(self, inputs: Any) -> Any:
        """``(B, 2)`` float32 logits ``[z_no, z_yes]`` at the last position of each row.

        ``inputs`` is either a processor batch of whole prompts (plain path) or a
        :class:`~lychee.scorers.prefix.SuffixBatch` of document suffixes that attend to a shared prefix's keys/values.
        """
        torch = _import_torch()
        if isinstance(inputs, SuffixBatch):
            feed = dict(inputs)
            # A fresh read-only cache object per forward: the prefix tensors are shared, never written to.
            feed["past_key_values"] = shared_prefix_cache(inputs.prefix.kv)
            use_cache = True
        else:
            feed = self._model_inputs(inputs)
            use_cache = False
        with self._lock, torch.inference_mode():
            out = self.model(**feed, use_cache=use_cache, logits_to_keep=1)
        last = out.logits[:, -1, :]
        return last[:, [self.no_token_id, self.yes_token_id]].float()

    def _to_predictions(self, z: Any, batch: Sequence[EncodedPair], path: str = PATH_PLAIN) -> list[Prediction]:
        torch = _import_torch()
        log_odds = z[:, 1] - z[:, 0]
        if self.spec.null_for_empty:  # Qwen3-VL-Reranker
            probs = torch.sigmoid(log_odds)
        else:  # Lychee: softmax over [no, yes]
            probs = torch.softmax(z, dim=-1)[:, 1]
        return [
            Prediction(
                score=float(p), log_odds=float(lo), truncated=pair.truncated, n_tokens=pair.n_tokens, path=path
            )
            for p, lo, pair in zip(probs.tolist(), log_odds.tolist(), batch)
        ]

    def _predict_pairs(
        self,
        pairs: Sequence[tuple[Item, Item]],
        instruction: str,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]:
        """Score pairs; documents that share a query (>= 2 of them) go through the shared-prefix path.

        Each :class:`Prediction` says which path computed it (``path="prefix"`` or ``"plain"``); a summary is logged
        at INFO. Nothing about the call is stored on the scorer (it is shared across sessions).
        """
        encoded = self.encode(pairs, instruction)
        total = len(encoded)
        results: list[Prediction | None] = [None] * total
        done = 0

        def sink(chunk: Sequence[EncodedPair], preds: Sequence[Prediction]) -> None:
            nonlocal done
            for pair, pred in zip(chunk, preds):
                results[pair.index] = pred
            done += len(chunk)
            if progress is not None:
                progress(done, total)

        record = PathRecord()
        plain: list[EncodedPair] = list(encoded)
        if self.use_prefix_cache and total >= MIN_GROUP:
            unsupported = self._prefix_unsupported()
            if unsupported:
                record.fallbacks.append(unsupported)
            else:
                plain = []
                for query, group in self._query_groups(pairs, encoded):
                    plain += self._score_with_prefix(query, group, instruction, sink, record)
        record.plain_pairs = len(plain)
        self._run_batches(plain, self._batch_inputs, PATH_PLAIN, sink)
        logger.info(
            "scored %d pairs: %d on the shared-prefix path (prefix lengths %s), %d plain%s",
            total,
            record.prefix_pairs,
            record.prefix_lengths,
            record.plain_pairs,
            f" ({'; '.join(record.fallbacks)})" if record.fallbacks else "",
        )
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:  # pragma: no cover - would be a bookkeeping bug
            raise RuntimeError(f"internal error: pairs {missing} were not scored.")
        return results  # type: ignore[return-value]

    def _run_batches(
        self,
        rows: Sequence[EncodedPair],
        make_inputs: Callable[[list[EncodedPair]], Any],
        path: str,
        sink: Callable[[Sequence[EncodedPair], Sequence[Prediction]], None],
    ) -> None:
        """Score ``rows`` longest first (an out-of-memory shows on the first batch) in batches of ``batch_size``,
        halving the batch on CUDA out-of-memory; each scored batch goes to ``sink``."""
        torch = _import_torch()
        order = sorted(rows, key=lambda p: -p.n_tokens)
        batch_size, pos = self.batch_size, 0
        while pos < len(order):
            chunk = order[pos : pos + batch_size]
            try:
                z = self._forward(make_inputs(chunk))
            except Exception as exc:  # only CUDA out-of-memory is handled; everything else propagates
                if not _is_oom(exc):
                    raise
                if batch_size == 1:
                    longest = chunk[0]
                    raise ValueError(
                        f"out of GPU memory scoring a single pair ({longest.query.name} / {longest.document.name}, "
                        f"{longest.n_tokens} tokens). Lower max_length or max_pixels, use dtype='bfloat16', or free "
                        "GPU memory."
                    ) from exc
                batch_size = max(1, len(chunk) // 2)
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                with self._lock:
                    self.info["oom_retries"] = int(self.info.get("oom_retries", 0)) + 1
                logger.warning("CUDA out of memory with %d pairs per batch; retrying with %d", len(chunk), batch_size)
                continue
            sink(chunk, self._to_predictions(z, chunk, path))
            pos += len(chunk)

    # --- shared-prefix path (see lychee.scorers.prefix) ------------------------------------------------------------
    def _prefix_unsupported(self) -> str | None:
        """Why this model cannot take the shared-prefix path, or ``None`` when it can."""
        text_config = self.model.config.get_text_config()
        layer_types = getattr(text_config, "layer_types", None) or ["full_attention"]
        if any(t != "full_attention" for t in layer_types):
            return "sliding-window layers: plain path"
        attention = getattr(self.model.config, "_attn_implementation", None) or "sdpa"
        if attention not in ("sdpa", "eager", "flash_attention_2"):
            return f"attention {attention!r} is not checked for cached prefixes: plain path"
        if attention == "flash_attention_2":
            from transformers.modeling_flash_attention_utils import flash_attn_supports_top_left_mask

            # Old flash-attn aligns the causal mask top-left, which is wrong for suffix queries after a cached prefix.
            if flash_attn_supports_top_left_mask():
                return "flash-attn with a top-left causal mask: plain path"
        return None

    def _query_groups(
        self, pairs: Sequence[tuple[Item, Item]], encoded: Sequence[EncodedPair]
    ) -> list[tuple[Item, list[EncodedPair]]]:
        """Pairs grouped by query content (text, and image pixels), in order of first appearance."""
        groups: dict[Any, tuple[Item, list[EncodedPair]]] = {}
        memo: dict[int, Any] = {}
        for (query, _), enc in zip(pairs, encoded):
            key = (query.text, image_digest(query.image, memo) if query.has_image else None)
            groups.setdefault(key, (query, []))[1].append(enc)
        return list(groups.values())

    def _score_with_prefix(
        self,
        query: Item,
        group: list[EncodedPair],
        instruction: str,
        sink: Callable[[Sequence[EncodedPair], Sequence[Prediction]], None],
        record: PathRecord,
    ) -> list[EncodedPair]:
        """Score the pairs of ``group`` that can share the query's prefix; returns the rest (for the plain path)."""
        if len(group) < MIN_GROUP:
            return group
        tok = self.processor.tokenizer
        image_pad = self.processor.image_token_id
        n_query_images = 1 if query.has_image else 0
        # The prefix text: the prompt rendered with a sentinel document, cut where the document text would start.
        marked = self.render(_stand_in(query), Item(text=_SENTINEL_D, name="document"), instruction)
        cut = marked.find(_SENTINEL_D)
        if cut < 0:  # pragma: no cover - the chat template dropped the document text
            record.fallbacks.append("prefix not found in the rendered prompt")
            return group
        tokenized = tok([marked[:cut]] + [p.text for p in group])["input_ids"]
        prefix_ids = expand_image_pads(tokenized[0], image_pad, group[0].image_tokens[:n_query_images])
        rows = [expand_image_pads(ids, image_pad, p.image_tokens) for ids, p in zip(tokenized[1:], group)]
        length, eligible = shared_length(prefix_ids, rows, image_pad)
        # The ids must be what the processor would build (their count is checked against the measured length).
        eligible = [i for i in eligible if len(rows[i]) == group[i].n_tokens]
        if len(eligible) < MIN_GROUP:
            record.fallbacks.append(f"{len(group) - len(eligible)} of {len(group)} pairs do not share the prefix")
            return group
        chosen = [group[i] for i in eligible]
        row_ids = {group[i].index: rows[i] for i in eligible}
        query_image = chosen[0].images[0] if n_query_images else None
        try:
            state = self._prefix_state(prefix_ids[:length], query_image)
        except Exception as exc:  # only CUDA out-of-memory falls back; everything else propagates
            if not _is_oom(exc):
                raise
            logger.warning("CUDA out of memory computing a %d-token shared prefix; scoring its pairs plain", length)
            record.fallbacks.append("out of memory on the prefix")
            return group
        self._run_batches(chosen, lambda chunk: self._suffix_inputs(state, chunk, row_ids), PATH_PREFIX, sink)
        record.prefix_pairs += len(chosen)
        record.prefix_lengths.append(length)
        if len(chosen) < len(group):
            record.fallbacks.append(f"{len(group) - len(chosen)} of {len(group)} pairs do not share the prefix")
        taken = {p.index for p in chosen}
        return [p for p in group if p.index not in taken]

    def _prefix_state(self, prefix_ids: Sequence[int], query_image: Any | None) -> PrefixState:
        """Run the shared prefix once (batch 1) and keep every layer's keys and values."""
        torch = _import_torch()
        ids = torch.tensor([list(prefix_ids)], dtype=torch.long)
        mask = torch.ones_like(ids)
        mm_types = (ids == self.processor.image_token_id).int()
        feed: dict[str, Any] = {"input_ids": ids.to(self.device), "attention_mask": mask.to(self.device)}
        grid = None
        if query_image is not None:
            vision = self.processor.image_processor(images=[query_image], return_tensors="pt")
            grid = vision["image_grid_thw"]
            feed["pixel_values"] = vision["pixel_values"].to(self.device, self.model.dtype)
            feed["image_grid_thw"] = grid.to(self.device)
        with torch.no_grad():
            position_ids, _ = self.model.model.get_rope_index(
                ids, mm_token_type_ids=mm_types, image_grid_thw=grid, attention_mask=mask
            )
        feed["position_ids"] = position_ids.to(self.device)
        with self._lock, torch.inference_mode():
            out = self.model.model(**feed, use_cache=True)
        kv = [(layer.keys, layer.values) for layer in out.past_key_values.layers]
        return PrefixState(ids=ids, kv=kv, image_grid_thw=grid, n_images=1 if query_image is not None else 0)

    def _suffix_inputs(
        self, state: PrefixState, chunk: Sequence[EncodedPair], row_ids: dict[int, list[int]]
    ) -> SuffixBatch:
        """Model inputs for the document suffixes of ``chunk`` on top of ``state``.

        Suffixes are left-padded, so the answer position is the last column; the attention mask spans prefix +
        suffix with 0 at the padding (a hole between prefix and suffix). Positions are the full sequences' 3-D rope
        index sliced to the suffix; only the document images are encoded.
        """
        torch = _import_torch()
        length = state.length
        suffixes = [row_ids[p.index][length:] for p in chunk]
        width = max(len(s) for s in suffixes)
        pad_id = self.processor.tokenizer.pad_token_id
        ids = torch.full((len(chunk), width), 0 if pad_id is None else pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunk), length + width), dtype=torch.long)
        mask[:, :length] = 1
        for b, suffix in enumerate(suffixes):
            ids[b, width - len(suffix) :] = torch.tensor(suffix, dtype=torch.long)
            mask[b, length + width - len(suffix) :] = 1
        feed: dict[str, Any] = {}
        doc_images = [img for p in chunk for img in p.images[state.n_images :]]
        doc_grid = None
        if doc_images:
            vision = self.processor.image_processor(images=doc_images, return_tensors="pt")
            doc_grid = vision["image_grid_thw"]
            feed["pixel_values"] = vision["pixel_values"].to(self.device, self.model.dtype)
            feed["image_grid_thw"] = doc_grid.to(self.device)
        # Image grids in prompt order, row by row: the prefix's (query) images, then the row's document images.
        grids, k = [], 0
        for p in chunk:
            if state.image_grid_thw is not None:
                grids.append(state.image_grid_thw)
            n_doc = len(p.images) - state.n_images
            if n_doc:
                grids.append(doc_grid[k : k + n_doc])
                k += n_doc
        full_ids = torch.cat([state.ids.expand(len(chunk), -1), ids], dim=1)
        with torch.no_grad():
            position_ids, _ = self.model.model.get_rope_index(
                full_ids,
                mm_token_type_ids=(full_ids == self.processor.image_token_id).int(),
                image_grid_thw=torch.cat(grids) if grids else None,
                attention_mask=mask,
            )
        feed["input_ids"] = ids.to(self.device)
        feed["attention_mask"] = mask.to(self.device)
        feed["position_ids"] = position_ids[:, :, length:].to(self.device)
        return SuffixBatch(feed, state)

    # --- salience ----------------------------------------------------------------------------------------------
    def explain(
        self,
        query: ItemLike,
        document: ItemLike,
        instruction: str | None = None,
        *,
        method: Literal["occlusion", "gradient"] = "occlusion",
        **kwargs: Any,
    ) -> Any:
        """Salience for one pair: ``method="occlusion"`` (model-agnostic, ``1 + units + cells`` forward passes) or
        ``method="gradient"`` (gradient x input on the LLM input embeddings; one forward and one backward pass).

        Gradient mode: each input position's attribution is ``sum_d grad(log_odds)[d] * embedding[d]``; text tokens
        are summed per word unit of :func:`lychee.salience.segment` (``max_units`` as for occlusion) and image tokens
        are laid out on the merged patch grid ``image_grid_thw[1:] // merge_size`` (so ``image_cells`` is accepted
        and has no effect there). Words cut away by truncation get weight 0 (the model never saw them).
        ``progress(1, 1)`` is called when done, so callers can pass the same options to both methods.

        Raises:
            ValueError: unknown ``method`` or bad input (as for :meth:`score`).
        """
        if method == "occlusion":
            return super().explain(query, document, instruction, **kwargs)
        if method != "gradient":
            raise ValueError(f"method must be 'occlusion' or 'gradient', got {method!r}.")
        unknown = set(kwargs) - {"max_units", "image_cells", "progress"}
        if unknown:
            raise ValueError(
                f"gradient explain: unknown options {sorted(unknown)}; expected 'max_units', 'image_cells' or "
                "'progress'."
            )
        explanation = self._explain_gradient(query, document, instruction, max_units=kwargs.get("max_units", 64))
        if kwargs.get("progress") is not None:
            kwargs["progress"](1, 1)
        return explanation

    def _explain_gradient(
        self, query: ItemLike, document: ItemLike, instruction: str | None, *, max_units: int | None
    ) -> Any:
        import numpy as np

        from lychee.salience import Explanation, ImageSalience, TokenWeight, segment

        torch = _import_torch()
        q = coerce_query(query)
        d = Item.coerce(document, name="document")
        if d.is_empty:
            raise ValueError("document is empty: got no text and no image. Give it text, an image, or both.")
        instr = self.resolve_instruction(instruction)
        enc = self.encode([(q, d)], instr)[0]
        inputs = self._batch_inputs([enc])
        feed = self._model_inputs(inputs)
        input_ids = feed["input_ids"][0].tolist()

        # Character spans of the (possibly truncated) query/document text inside the rendered prompt.
        spans = self._text_spans(enc, instr)
        token_offsets = self._token_offsets(enc, input_ids)

        captured: dict[str, Any] = {}

        def capture(_module: Any, args: Any, kw: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
            x = kw["inputs_embeds"].detach().requires_grad_(True)
            captured["x"] = x
            kw["inputs_embeds"] = x
            return args, kw

        handle = self.model.model.language_model.register_forward_pre_hook(capture, with_kwargs=True)
        try:
            with self._lock, torch.enable_grad():
                out = self.model(**feed, use_cache=False, logits_to_keep=1)
                z = out.logits[0, -1, [self.no_token_id, self.yes_token_id]].float()
                log_odds = z[1] - z[0]
                log_odds.backward()
        finally:
            handle.remove()
        x = captured["x"]
        attr = (x.grad.float() * x.detach().float()).sum(-1)[0].cpu().numpy()  # (L,)
        pred = self._to_predictions(z.detach()[None, :], [enc])[0]

        def text_weights(original: Item, kept: Item, span: tuple[int, int] | None) -> tuple[list[TokenWeight], bool]:
            if not original.has_text:
                return [], False
            units, grouped = segment(original.text, max_units)
            weights = [0.0] * len(units)
            if span is not None:
                start, end = span
                for t, (s, e) in enumerate(token_offsets):
                    if e <= start or s >= end or e <= s:
                        continue
                    rs, re_ = max(s, start) - start, min(e, end) - start
                    best, best_overlap = None, 0
                    for u, (us, ue) in enumerate(units):
                        overlap = min(re_, ue) - max(rs, us)
                        if overlap > best_overlap:
                            best, best_overlap = u, overlap
                    if best is not None:
                        weights[best] += float(attr[t])
            tokens = [TokenWeight(original.text[s:e], s, e, w) for (s, e), w in zip(units, weights)]
            return tokens, grouped

        q_tokens, q_grouped = text_weights(q, enc.query, spans.get("query"))
        d_tokens, d_grouped = text_weights(d, enc.document, spans.get("document"))

        # Image token runs in order of appearance: query image first (it precedes the document in the prompt).
        image_pad = self.processor.image_token_id
        merge = self.processor.image_processor.merge_size
        grids = inputs["image_grid_thw"].tolist() if "image_grid_thw" in inputs else []
        positions = [i for i, t in enumerate(input_ids) if t == image_pad]
        maps: list[Any] = []
        offset = 0
        for (t, gh, gw), n in zip(grids, enc.image_tokens):
            rows, cols = gh // merge, gw // merge
            if t * rows * cols != n:
                raise ValueError(f"image has {n} tokens but the grid {(t, gh, gw)} expects {t * rows * cols}.")
            vals = attr[positions[offset : offset + n]].astype(np.float64).reshape(t, rows, cols).sum(0)
            offset += n
            maps.append((vals, rows, cols))
        it = iter(maps)
        q_img = d_img = None
        if enc.query.has_image:
            vals, rows, cols = next(it)
            q_img = ImageSalience(weights=vals, rows=rows, cols=cols, size=enc.image_sizes["query"])
        if enc.document.has_image:
            vals, rows, cols = next(it)
            d_img = ImageSalience(weights=vals, rows=rows, cols=cols, size=enc.image_sizes["document"])
        return Explanation(
            score=pred.score,
            log_odds=pred.log_odds,
            query_text=q.text,
            document_text=d.text,
            query_tokens=q_tokens,
            document_tokens=d_tokens,
            query_image=q_img,
            document_image=d_img,
            method="gradient",
            grouped=q_grouped or d_grouped,
            n_evaluations=1,
            instruction=instr,
        )

    def _text_spans(self, enc: EncodedPair, instruction: str) -> dict[str, tuple[int, int]]:
        """Where the query / document text sit in ``enc.text``, found by rendering with sentinel texts."""
        q, d = enc.query, enc.document
        qs = q.with_text(_SENTINEL_Q) if q.has_text else q
        ds = d.with_text(_SENTINEL_D) if d.has_text else d
        marked = self.render(qs, ds, instruction)
        spans: dict[str, tuple[int, int]] = {}
        rebuilt, cursor = "", 0
        for key, sentinel, item in (("query", _SENTINEL_Q, q), ("document", _SENTINEL_D, d)):
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

    def _token_offsets(self, enc: EncodedPair, input_ids: list[int]) -> list[tuple[int, int]]:
        """Character offsets in ``enc.text`` of every processor token (image pads expanded to their token counts)."""
        tok = self.processor.tokenizer(enc.text, return_offsets_mapping=True)
        image_pad = self.processor.image_token_id
        ids, offsets = [], []
        counts = iter(enc.image_tokens)
        for t, off in zip(tok["input_ids"], tok["offset_mapping"]):
            reps = next(counts) if t == image_pad else 1
            ids += [t] * reps
            offsets += [tuple(off)] * reps
        if ids != input_ids:
            raise ValueError(
                "gradient explain: the tokenizer's offsets do not line up with the processor's tokens. "
                "Use method='occlusion'."
            )
        return offsets


def _answer_token_ids(tokenizer: Any, path: Path) -> tuple[int, int]:
    """The single-token ids of ``yes`` and ``no``.

    Raises:
        ValueError: either word is not exactly one token of the vocabulary.
    """
    ids = {}
    for word in ("yes", "no"):
        tid = tokenizer.convert_tokens_to_ids(word)
        encoded = tokenizer.encode(word, add_special_tokens=False)
        unk = getattr(tokenizer, "unk_token_id", None)
        if tid is None or (unk is not None and tid == unk) or encoded != [tid]:
            raise ValueError(
                f"checkpoint {path}: the tokenizer has no single token for {word!r} (convert_tokens_to_ids gives "
                f"{tid!r}, encoding gives {encoded}); expected one token each for 'yes' and 'no', as in the Qwen "
                "vocabulary. Is this a Lychee-rerank-mm / Qwen3-VL-Reranker checkpoint with its original tokenizer?"
            )
        ids[word] = int(tid)
    return ids["yes"], ids["no"]


__all__ = [
    "EncodedPair",
    "QwenVLScorer",
    "available_memory_bytes",
    "checkpoint_parameter_count",
    "choose_attention",
    "choose_dtype",
    "parse_dtype",
    "resolve_device",
]
