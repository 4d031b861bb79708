"""Qwen2.5-VL (Lychee-rerank-mm) and Qwen3-VL (Qwen3-VL-Reranker) yes/no scorers, by responsibility:

- :mod:`~lychee.scorers.qwen_vl.loading`: options, processor, model, answer token ids, model info;
- :mod:`~lychee.scorers.qwen_vl.encoding`: the reference prompt rendered, measured and truncated;
- :mod:`~lychee.scorers.qwen_vl.scorer`: batching, out-of-memory halving, scores, token attributions;
- :mod:`~lychee.scorers.qwen_vl.prefix`: the shared-prefix KV path.

Device, dtype, attention and memory choices live in :mod:`lychee.runtime` (shared with the embedding scorer and the
dashboard). torch and transformers are imported when a scorer is loaded, not when this package is imported.
"""

from __future__ import annotations

from lychee.scorers.qwen_vl.encoding import EncodedPair, PromptEncoder
from lychee.scorers.qwen_vl.loading import load_qwen_vl
from lychee.scorers.qwen_vl.scorer import QwenVLScorer

__all__ = ["EncodedPair", "PromptEncoder", "QwenVLScorer", "load_qwen_vl"]
