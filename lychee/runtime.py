"""Where and how a model runs: device, dtype and attention choice, and memory probes.

Shared by the VLM scorer, the embedding scorer and the dashboard's model status. torch is imported lazily and only by
the functions that need it; the memory probes never import it (they read it from ``sys.modules`` when already loaded).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import resource
import struct
import sys
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DTYPE_NAMES: dict[str, str] = {
    "float32": "float32",
    "fp32": "float32",
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
}
# Room left for activations, the tokenizer and the rest of the process when deciding whether float32 weights fit.
MEMORY_HEADROOM = 1.2


def import_torch() -> Any:
    """``torch``, after checking that the VLM stack (torch, transformers, qwen-vl-utils) is installed.

    Raises:
        ImportError: naming what to install.
    """
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


def resolve_device(device: str | None) -> str:
    """``None`` -> ``"cuda"`` when available else ``"cpu"``; validates explicit devices.

    Raises:
        ValueError: unknown device string, or a CUDA device on a machine without CUDA.
    """
    import torch

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
    import torch

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


def dtype_name(dtype: Any) -> str:
    """``torch.bfloat16`` -> ``"bfloat16"``."""
    return str(dtype).replace("torch.", "")


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


def choose_dtype(requested: Any, device: str, n_params: int | None, free_bytes: int | None) -> tuple[Any, str | None]:
    """The weight dtype and, when the default had to change, a note saying why.

    CUDA defaults to bfloat16. CPU defaults to float32 unless ``4 * n_params * MEMORY_HEADROOM`` exceeds the free
    memory, in which case bfloat16 halves the footprint (with a warning).
    """
    import torch

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


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is a CUDA out-of-memory error."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def empty_cuda_cache() -> None:
    """Return cached CUDA blocks to the driver, if torch is already imported and CUDA is up (never imports torch)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    try:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.empty_cache()
    except RuntimeError:  # a broken CUDA driver must not break the caller
        logger.warning("torch.cuda.empty_cache() failed", exc_info=True)


def weights_bytes(model: Any) -> int:
    """Bytes taken by a torch module's parameters and buffers."""
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    return int(params + buffers)


def process_rss_bytes() -> int:
    """Resident memory of this process in bytes (``/proc/self/statm``; peak RSS from getrusage elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)


def cuda_allocated_bytes() -> int | None:
    """CUDA memory allocated by torch tensors, or ``None`` when torch is not imported or CUDA is not in use."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    try:
        if not (torch.cuda.is_available() and torch.cuda.is_initialized()):
            return None
        return int(torch.cuda.memory_allocated())
    except RuntimeError:
        return None


__all__ = [
    "DTYPE_NAMES",
    "MEMORY_HEADROOM",
    "available_memory_bytes",
    "checkpoint_parameter_count",
    "choose_attention",
    "choose_dtype",
    "cuda_allocated_bytes",
    "dtype_name",
    "empty_cuda_cache",
    "import_torch",
    "is_out_of_memory",
    "parse_dtype",
    "process_rss_bytes",
    "resolve_device",
    "weights_bytes",
]
