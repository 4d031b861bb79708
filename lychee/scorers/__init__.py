"""Scorer registry and :func:`load_scorer`, which picks the scorer from ``"default"`` or the checkpoint's config."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lychee.contract import Scorer
from lychee.prompt import FAMILIES
from lychee.scorers.base import BaseScorer
from lychee.scorers.embedding import DEFAULT_MODEL_NAME, EmbeddingScorer
from lychee.scorers.lexical import BM25_MODEL, BM25Scorer
from lychee.scorers.remote import RemoteScorer, is_remote, load_remote
from lychee.validation import positive_int

DEFAULT_MODEL = "default"

# checkpoint config.json "model_type" -> scorer family (the family table itself lives in lychee.prompt)
MODEL_TYPES: dict[str, str] = {spec.model_type: name for name, spec in FAMILIES.items()}


@dataclass(frozen=True)
class ScorerConfig:
    """Everything a scorer factory needs; ``path`` is a local folder (or the hub id, resolved offline)."""

    model_name_or_path: str
    path: str | None = None
    family: str = "embedding"
    device: str | None = None
    dtype: Any = None
    batch_size: int | None = None
    max_length: int | None = None
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    processor_kwargs: dict[str, Any] = field(default_factory=dict)
    remote_options: dict[str, Any] = field(default_factory=dict)


def _embedding(cfg: ScorerConfig) -> BaseScorer:
    path = None if cfg.model_name_or_path in (DEFAULT_MODEL, DEFAULT_MODEL_NAME) else cfg.path
    return EmbeddingScorer.load(path, device=cfg.device, batch_size=cfg.batch_size)


def _qwen_vl(cfg: ScorerConfig) -> BaseScorer:
    from lychee.scorers.qwen_vl import load_qwen_vl  # heavy imports (torch, transformers) happen when it runs

    return load_qwen_vl(cfg)


def _lexical(cfg: ScorerConfig) -> BaseScorer:
    return BM25Scorer.load()


def _remote(cfg: ScorerConfig) -> BaseScorer:
    return load_remote(cfg.model_name_or_path, batch_size=cfg.batch_size, **cfg.remote_options)


SCORERS: dict[str, Callable[[ScorerConfig], BaseScorer]] = {
    "embedding": _embedding,
    "lexical": _lexical,
    "lychee": _qwen_vl,
    "qwen3-vl-reranker": _qwen_vl,
    "remote": _remote,
}


def downloads_allowed() -> bool:
    """Downloads happen only when the user opts in (LYCHEE_ALLOW_DOWNLOAD=1) and HF_HUB_OFFLINE is not set."""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    return not offline and os.environ.get("LYCHEE_ALLOW_DOWNLOAD", "").strip() == "1"


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.\-]*/[\w.\-]+")


def resolve_checkpoint(model_name_or_path: str, *, allow_download: bool | None = None) -> Path:
    """Find the checkpoint folder for a local path or a hub id, without downloading unless allowed.

    Raises:
        ValueError: nothing usable was found; the message lists what was tried and how to provide weights.
    """
    if allow_download is None:
        allow_download = downloads_allowed()
    tried: list[str] = []
    local = Path(model_name_or_path).expanduser()
    if local.exists():
        if not local.is_dir():
            raise ValueError(
                f"model '{model_name_or_path}': {local.resolve()} is a file; expected a checkpoint folder with config.json."
            )
        if not (local / "config.json").exists():
            raise ValueError(
                f"model '{model_name_or_path}': the folder {local.resolve()} has no config.json; expected a Hugging Face "
                "checkpoint folder (config.json, *.safetensors, tokenizer and preprocessor files)."
            )
        return local.resolve()
    tried.append(f"local folder {local.resolve()} (does not exist)")
    if _HUB_ID.fullmatch(model_name_or_path):
        try:
            from huggingface_hub import snapshot_download

            folder = snapshot_download(model_name_or_path, local_files_only=not allow_download)
            return Path(folder)
        except Exception as exc:  # hub errors are many (offline, gated, not cached); all mean "not available here"
            how = "download allowed" if allow_download else "cache only, downloads not allowed"
            tried.append(f"Hugging Face hub id '{model_name_or_path}' ({how}: {type(exc).__name__})")
    else:
        tried.append(f"'{model_name_or_path}' is not a hub id of the form 'org/name'")
    raise ValueError(
        f"model '{model_name_or_path}' not found. Tried: " + "; ".join(tried) + ". To provide weights, download the "
        "checkpoint to a folder (e.g. `huggingface-cli download vec-ai/lychee-rerank-mm --local-dir ./lychee-rerank-mm`) "
        "and pass that folder, or set LYCHEE_ALLOW_DOWNLOAD=1 (without HF_HUB_OFFLINE) on a machine with internet. "
        f"Use '{DEFAULT_MODEL}' for the embedded all-MiniLM-L6-v2."
    )


def family_of(path: Path) -> str:
    """The scorer family of a checkpoint folder, from its config.json ``model_type`` (or sentence-transformers files)."""
    if (path / "modules.json").exists() and (path / "config_sentence_transformers.json").exists():
        return "embedding"
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"checkpoint {path}: cannot read config.json ({exc}).") from exc
    model_type = config.get("model_type")
    if model_type not in MODEL_TYPES:
        raise ValueError(
            f"checkpoint {path}: model_type {model_type!r} is not supported; expected one of {sorted(MODEL_TYPES)} "
            "(Lychee-rerank-mm is qwen2_5_vl, Qwen3-VL-Reranker is qwen3_vl), or a sentence-transformers folder."
        )
    return MODEL_TYPES[model_type]


def load_scorer(
    model_name_or_path: str = DEFAULT_MODEL,
    *,
    device: str | None = None,
    dtype: Any = None,
    batch_size: int | None = None,
    max_length: int | None = None,
    allow_download: bool | None = None,
    model_kwargs: dict[str, Any] | None = None,
    processor_kwargs: dict[str, Any] | None = None,
    protocol: str | None = None,
    api_key: str | None = None,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    remote_model: str | None = None,
    remote_family: str | None = None,
) -> BaseScorer:
    """Load a scorer.

    Args:
        model_name_or_path: ``"default"`` (the embedded all-MiniLM-L6-v2), ``"bm25"`` (the lexical baseline, see
            :mod:`lychee.scorers.lexical`: any language's words, no meaning, not a probability), a local checkpoint
            folder, a hub id, or
            the URL of a served model (``http(s)://host:port[/path]``, several comma-separated for replicas, optionally
            prefixed ``tei+`` or ``openai-chat+``; see :mod:`lychee.scorers.remote`). Qwen2.5-VL checkpoints get the
            Lychee recipe, Qwen3-VL checkpoints the Qwen3-VL-Reranker recipe.
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"``...; ``None`` picks CUDA when available.
        dtype: ``"float32"``, ``"bfloat16"``, ``"float16"`` or a torch dtype; ``None`` means bfloat16 on CUDA and
            float32 on CPU (bfloat16 on CPU when float32 would not fit in free memory).
        batch_size: pairs per forward pass.
        max_length: max tokens per pair (VLM); longer pairs lose document text first, then query text.
        allow_download: permit hub downloads; ``None`` reads LYCHEE_ALLOW_DOWNLOAD=1 / HF_HUB_OFFLINE.
        protocol, api_key, max_concurrency, timeout, retries, remote_model, remote_family: for a URL only, see
            :func:`lychee.scorers.remote.load_remote` (``batch_size`` is then documents per request).

    Raises:
        ValueError: unknown or missing model, unsupported checkpoint, bad option, or a remote endpoint that is
            unreachable or does not speak the protocol.

    Example:
        >>> scorer = load_scorer("default")
        >>> scorer.score("red running shoes", ["Nike red running shoe", "blue ceramic teapot"])
    """
    if not isinstance(model_name_or_path, str) or not model_name_or_path.strip():
        raise ValueError(
            f"model_name_or_path must be '{DEFAULT_MODEL}', a local folder, a hub id or an http(s):// URL, got "
            f"{model_name_or_path!r}."
        )
    positive_int(batch_size, "batch_size", allow_none=True)
    positive_int(max_length, "max_length", minimum=64, allow_none=True)
    name = model_name_or_path.strip()
    local_options = {
        "device": device,
        "dtype": dtype,
        "max_length": max_length,
        "allow_download": allow_download,
        "model_kwargs": model_kwargs or None,
        "processor_kwargs": processor_kwargs or None,
    }
    remote_options = {
        "protocol": protocol,
        "api_key": api_key,
        "max_concurrency": max_concurrency,
        "timeout": timeout,
        "retries": retries,
        "remote_model": remote_model,
        "remote_family": remote_family,
    }
    if is_remote(name):
        misplaced = sorted(k for k, v in local_options.items() if v is not None)
        if misplaced:
            raise ValueError(
                f"model {name!r} is a remote URL, so {misplaced} do not apply (the server chose device, dtype and "
                "limits when it loaded the model). Remove them."
            )
        cfg = ScorerConfig(
            model_name_or_path=name,
            family="remote",
            batch_size=batch_size,
            remote_options={k: v for k, v in remote_options.items() if v is not None},
        )
        return SCORERS["remote"](cfg)
    misplaced = sorted(k for k, v in remote_options.items() if v is not None)
    if misplaced:
        raise ValueError(
            f"{misplaced} apply to a remote model (an http(s):// URL), not to {name!r}. Remove them, or give the "
            "URL of a served model."
        )
    if name == BM25_MODEL:
        given = {**local_options, "batch_size": batch_size, "device": None if device == "cpu" else device}
        misplaced = sorted(k for k, v in given.items() if v is not None)
        if misplaced:
            raise ValueError(
                f"model '{BM25_MODEL}' is a lexical ranking computed on the CPU with no weights, so {misplaced} do not "
                "apply. Remove them."
            )
        return SCORERS["lexical"](ScorerConfig(model_name_or_path=name, family="lexical"))
    if name in (DEFAULT_MODEL, DEFAULT_MODEL_NAME):
        path, family = None, "embedding"
    else:
        folder = resolve_checkpoint(name, allow_download=allow_download)
        path, family = str(folder), family_of(folder)
    cfg = ScorerConfig(
        model_name_or_path=name,
        path=path,
        family=family,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        max_length=max_length,
        model_kwargs=dict(model_kwargs or {}),
        processor_kwargs=dict(processor_kwargs or {}),
    )
    return SCORERS[family](cfg)


__all__ = [
    "BM25_MODEL",
    "DEFAULT_MODEL",
    "MODEL_TYPES",
    "SCORERS",
    "BM25Scorer",
    "BaseScorer",
    "EmbeddingScorer",
    "RemoteScorer",
    "Scorer",
    "ScorerConfig",
    "family_of",
    "is_remote",
    "load_scorer",
    "resolve_checkpoint",
]
