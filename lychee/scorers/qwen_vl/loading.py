"""Loading a Qwen2.5-VL / Qwen3-VL reranker checkpoint into a :class:`QwenVLScorer`: options, processor, model, the
answer token ids, and the model's :class:`~lychee.contract.ModelInfo`."""

from __future__ import annotations

import dataclasses
import logging
import warnings
from pathlib import Path
from typing import Any

from lychee.contract import Capabilities, ModelInfo
from lychee.prompt import FamilySpec, family_spec
from lychee.runtime import (
    available_memory_bytes,
    checkpoint_parameter_count,
    choose_attention,
    choose_dtype,
    dtype_name,
    import_torch,
    resolve_device,
    weights_bytes,
)
from lychee.scorers.qwen_vl.encoding import PromptEncoder
from lychee.scorers.qwen_vl.scorer import QwenVLScorer
from lychee.validation import is_int

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = {"cuda": 8, "cpu": 4}
VLM_CAPABILITIES = Capabilities(
    text=True,
    image=True,
    video=True,
    uses_instruction=True,
    explain_methods=("occlusion", "shapley", "gradient", "ig"),
)


def _checked_kwargs(cfg: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Copies of the model / processor kwargs; ``trust_remote_code`` is refused."""
    model_kwargs = dict(cfg.model_kwargs or {})
    processor_kwargs = dict(cfg.processor_kwargs or {})
    for kwargs in (model_kwargs, processor_kwargs):
        if kwargs.pop("trust_remote_code", False):
            raise ValueError(
                "trust_remote_code=True was passed; this scorer never runs code shipped with a checkpoint. "
                "Remove it: Qwen2.5-VL and Qwen3-VL are built into transformers."
            )
    return model_kwargs, processor_kwargs


def _pixel_bounds(processor_kwargs: dict[str, Any], spec: FamilySpec) -> tuple[int, int]:
    """``(min_pixels, max_pixels)`` taken out of ``processor_kwargs`` (family defaults), validated."""
    min_pixels = processor_kwargs.pop("min_pixels", spec.min_pixels)
    max_pixels = processor_kwargs.pop("max_pixels", spec.max_pixels)
    if not all(is_int(v) for v in (min_pixels, max_pixels)) or not (0 < min_pixels <= max_pixels):
        raise ValueError(
            f"processor_kwargs: expected integers 0 < min_pixels <= max_pixels, got min_pixels={min_pixels!r}, "
            f"max_pixels={max_pixels!r}. The family default is {spec.min_pixels}..{spec.max_pixels}."
        )
    return min_pixels, max_pixels


def _load_processor(path: Path, processor_kwargs: dict[str, Any], min_pixels: int, max_pixels: int) -> Any:
    from transformers import AutoProcessor

    # The pixel bounds go to the image processor as size={"shortest_edge": min_pixels, "longest_edge": max_pixels}:
    # transformers 5 deprecates min_pixels/max_pixels keywords for the same thing.
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
    return processor


def answer_token_ids(tokenizer: Any, path: Path) -> tuple[int, int]:
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


def _load_model(path: Path, spec: FamilySpec, load_kwargs: dict[str, Any], attention_chosen_by_user: bool) -> Any:
    """The model on the CPU, in eval mode; falls back to eager attention when the chosen one is unavailable."""
    if spec.model_type == "qwen2_5_vl":
        from transformers import Qwen2_5_VLForConditionalGeneration as model_cls
    else:
        from transformers import Qwen3VLForConditionalGeneration as model_cls
    # No device_map: in transformers 5 it needs the accelerate package; load, then move to the device.
    try:
        model = model_cls.from_pretrained(str(path), **load_kwargs)
    except (ValueError, ImportError) as exc:
        if load_kwargs["attn_implementation"] == "eager" or attention_chosen_by_user:
            raise ValueError(f"checkpoint {path}: cannot load the model ({exc}).") from exc
        logger.warning("attention %s unavailable (%s); falling back to eager", load_kwargs["attn_implementation"], exc)
        load_kwargs["attn_implementation"] = "eager"
        model = model_cls.from_pretrained(str(path), **load_kwargs)
    return model


def load_qwen_vl(cfg: Any) -> QwenVLScorer:
    """Load the checkpoint folder ``cfg.path`` for ``cfg.family`` (a :class:`lychee.ScorerConfig`).

    Raises:
        ValueError: bad device/dtype/options, missing files, or a tokenizer without single ``yes``/``no`` tokens.
        ImportError: torch / transformers / qwen-vl-utils are not installed.
    """
    import_torch()
    spec = family_spec(cfg.family)
    if not cfg.path:
        raise ValueError(f"model '{cfg.model_name_or_path}': no local checkpoint folder was resolved.")
    path = Path(cfg.path)
    model_kwargs, processor_kwargs = _checked_kwargs(cfg)
    device = resolve_device(cfg.device)
    n_params = checkpoint_parameter_count(path)
    dtype, dtype_note = choose_dtype(cfg.dtype, device, n_params, available_memory_bytes())
    if dtype_note:
        warnings.warn(dtype_note, stacklevel=3)
        logger.warning(dtype_note)
    batch_size = int(cfg.batch_size or DEFAULT_BATCH_SIZE["cuda" if device.startswith("cuda") else "cpu"])
    max_length = int(cfg.max_length or spec.max_length)
    min_pixels, max_pixels = _pixel_bounds(processor_kwargs, spec)
    processor = _load_processor(path, processor_kwargs, min_pixels, max_pixels)
    yes_id, no_id = answer_token_ids(processor.tokenizer, path)

    attention = choose_attention(device, model_kwargs.pop("attn_implementation", None))
    load_kwargs = dict(dtype=dtype, attn_implementation=attention, **model_kwargs)
    model = _load_model(path, spec, load_kwargs, "attn_implementation" in (cfg.model_kwargs or {}))
    model = model.to(device)
    model.eval()
    model.requires_grad_(False)  # inference only; gradient salience asks for input gradients explicitly

    attention_used = getattr(model.config, "_attn_implementation", None) or load_kwargs["attn_implementation"]
    info = ModelInfo(
        name=cfg.model_name_or_path,
        family=spec.name,
        device=device,
        dtype=dtype_name(dtype),
        attention=attention_used,
        parameters=sum(p.numel() for p in model.parameters()),
        weights_bytes=weights_bytes(model),
        path=str(path),
        max_length=max_length,
        batch_size=batch_size,
        default_instruction=spec.default_instruction,
        score_formula=spec.score_formula,
        notes=(dtype_note,) if dtype_note else (),
        details={"min_pixels": min_pixels, "max_pixels": max_pixels, "yes_token_id": yes_id, "no_token_id": no_id},
    )
    logger.info("loaded %s (%s) on %s in %s with %s attention", path, spec.name, device, info.dtype, attention_used)
    return QwenVLScorer(
        name=cfg.model_name_or_path,
        family=spec.name,
        capabilities=dataclasses.replace(VLM_CAPABILITIES, max_image_pixels=max_pixels),
        info=info,
        default_instruction=spec.default_instruction,
        model=model,
        processor=processor,
        encoder=PromptEncoder(processor, spec, max_length=max_length, min_pixels=min_pixels, max_pixels=max_pixels),
        spec=spec,
        device=device,
        batch_size=batch_size,
        yes_token_id=yes_id,
        no_token_id=no_id,
    )


__all__ = ["DEFAULT_BATCH_SIZE", "VLM_CAPABILITIES", "answer_token_ids", "load_qwen_vl"]
