"""The yes/no scorer over Qwen2.5-VL (Lychee-rerank-mm) and Qwen3-VL (Qwen3-VL-Reranker) checkpoints.

For each (query, document) pair the scorer renders the family's reference prompt (:mod:`lychee.prompt`, through
:class:`~lychee.scorers.qwen_vl.encoding.PromptEncoder`), runs the model once, and reads the next-token logits
``z_yes`` and ``z_no`` at the last position (the answer position; batches are left-padded so the last position is
always a real token)::

    log_odds = z_yes - z_no                      # kept in Prediction.log_odds
    score    = softmax([z_no, z_yes])[1]         # Lychee;  = sigmoid(log_odds)
    score    = sigmoid(z_yes - z_no)             # Qwen3-VL-Reranker; the same number

Logits are upcast to float32 before the softmax/sigmoid. Pairs are scored in length-sorted batches (halved on CUDA
out-of-memory) and returned in input order. Documents that share a query (two or more in one call) are scored on the
shared-prefix path by default (:mod:`lychee.scorers.qwen_vl.prefix`); ``Prediction.path`` says which path scored a
pair, and ``use_prefix_cache=False`` scores every whole prompt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lychee.explanation import TokenAttributions
from lychee.items import Item
from lychee.prompt import FamilySpec
from lychee.results import PATH_PLAIN, Prediction, ProgressCallback
from lychee.runtime import empty_cuda_cache, is_out_of_memory
from lychee.scorers.base import BaseScorer
from lychee.scorers.qwen_vl.attribution import DEFAULT_IG_STEPS, gradient_x_input, integrated_gradients
from lychee.scorers.qwen_vl.encoding import EncodedPair, PromptEncoder
from lychee.scorers.qwen_vl.prefix import (
    MIN_GROUP,
    PathRecord,
    ScoredCallback,
    SuffixBatch,
    score_shared_prefix,
    shared_prefix_cache,
)

logger = logging.getLogger(__name__)


def rope_video_kwargs(inputs: dict[str, Any]) -> dict[str, Any]:
    """The clip arguments of ``get_rope_index`` present in ``inputs`` (grids; Qwen2.5-VL's seconds per patch)."""
    return {key: inputs[key] for key in ("video_grid_thw", "second_per_grid_ts") if key in inputs}


@dataclass
class QwenVLScorer(BaseScorer):
    """Lychee-rerank-mm / Qwen3-VL-Reranker scorer (see module docstring).

    Build it with :func:`lychee.load_scorer`, which reads the checkpoint's ``model_type``.

    Example:
        >>> scorer = lychee.load_scorer("/models/lychee-rerank-mm")
        >>> scorer.score({"text": "red running shoes"}, [{"image": "shoe.jpg"}, "blue ceramic teapot"])
    """

    model: Any = None
    processor: Any = None
    encoder: PromptEncoder | None = None
    spec: FamilySpec | None = None
    device: str = "cpu"
    batch_size: int = 4
    yes_token_id: int = -1
    no_token_id: int = -1
    #: Run the prompt prefix a query shares with its documents once and reuse its KV cache (see
    #: :mod:`lychee.scorers.qwen_vl.prefix`); ``False`` scores every pair's whole prompt (the reference path).
    use_prefix_cache: bool = True
    lock: Any = field(default_factory=threading.Lock, repr=False)

    @property
    def max_length(self) -> int:
        return self.encoder.max_length

    # --- model inputs and forward ---------------------------------------------------------------------------------
    def model_inputs(self, inputs: Any) -> dict[str, Any]:
        """Move processor output to the device and add padding-aware 3-D rope positions."""
        import torch

        model_inputs = {k: v.to(self.device) for k, v in inputs.items() if hasattr(v, "to")}
        for key in ("pixel_values", "pixel_values_videos"):
            if key in model_inputs:
                model_inputs[key] = model_inputs[key].to(self.model.dtype)
        # Positions from the attention mask (get_rope_index skips padding), so that a pair's score does not depend
        # on how much left padding its batch needed; transformers' text-only default would count the padding.
        with torch.no_grad():
            position_ids, _ = self.model.model.get_rope_index(
                model_inputs["input_ids"],
                mm_token_type_ids=model_inputs["mm_token_type_ids"],
                image_grid_thw=model_inputs.get("image_grid_thw"),
                attention_mask=model_inputs["attention_mask"],
                **rope_video_kwargs(model_inputs),
            )
        model_inputs["position_ids"] = position_ids
        return model_inputs

    def forward(self, inputs: Any) -> Any:
        """``(B, 2)`` float32 logits ``[z_no, z_yes]`` at the last position of each row.

        ``inputs`` is either a processor batch of whole prompts (plain path) or a
        :class:`~lychee.scorers.qwen_vl.prefix.SuffixBatch` of document suffixes that attend to a shared prefix's
        keys/values.
        """
        import torch

        if isinstance(inputs, SuffixBatch):
            model_inputs = dict(inputs)
            # A fresh read-only cache object per forward: the prefix tensors are shared, never written to.
            model_inputs["past_key_values"] = shared_prefix_cache(inputs.prefix.kv)
            use_cache = True
        else:
            model_inputs = self.model_inputs(inputs)
            use_cache = False
        with self.lock, torch.inference_mode():
            out = self.model(**model_inputs, use_cache=use_cache, logits_to_keep=1)
        last = out.logits[:, -1, :]
        return last[:, [self.no_token_id, self.yes_token_id]].float()

    def to_predictions(self, logits: Any, batch: Sequence[EncodedPair], path: str = PATH_PLAIN) -> list[Prediction]:
        """Predictions from ``(B, 2)`` logits ``[z_no, z_yes]`` with the family's score formula."""
        import torch

        log_odds = logits[:, 1] - logits[:, 0]
        if self.spec.null_for_empty:  # Qwen3-VL-Reranker
            probs = torch.sigmoid(log_odds)
        else:  # Lychee: softmax over [no, yes]
            probs = torch.softmax(logits, dim=-1)[:, 1]
        return [
            Prediction(score=float(p), log_odds=float(lo), truncated=pair.truncated, n_tokens=pair.n_tokens, path=path)
            for p, lo, pair in zip(probs.tolist(), log_odds.tolist(), batch)
        ]

    # --- scoring -----------------------------------------------------------------------------------------------
    def _predict_pairs(
        self,
        pairs: Sequence[tuple[Item, Item]],
        instruction: str,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]:
        """Score pairs; documents that share a query (>= 2 of them) go through the shared-prefix path.

        Each :class:`Prediction` says which path computed it (``path="prefix"`` or ``"plain"``); a summary is logged
        at INFO. Nothing about the call is stored on the scorer (it is shared across sessions) but counters.
        """
        encoded = self.encoder.encode_pairs(pairs, instruction)
        total = len(encoded)
        results: list[Prediction | None] = [None] * total
        done = 0

        def collect(chunk: Sequence[EncodedPair], preds: Sequence[Prediction]) -> None:
            nonlocal done
            for pair, pred in zip(chunk, preds):
                results[pair.index] = pred
            done += len(chunk)
            if progress is not None:
                progress(done, total)

        record = PathRecord()
        plain: list[EncodedPair] = list(encoded)
        if self.use_prefix_cache and total >= MIN_GROUP:
            plain = score_shared_prefix(self, pairs, encoded, instruction, collect, record)
        self.run_batches(plain, self.encoder.batch_inputs, PATH_PLAIN, collect)
        logger.info(
            "scored %d pairs: %d on the shared-prefix path (prefix lengths %s), %d plain%s",
            total,
            record.prefix_pairs,
            record.prefix_lengths,
            len(plain),
            f" ({'; '.join(record.fallbacks)})" if record.fallbacks else "",
        )
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:  # pragma: no cover - would be a bookkeeping bug
            raise RuntimeError(f"internal error: pairs {missing} were not scored.")
        return results  # type: ignore[return-value]

    def run_batches(
        self,
        rows: Sequence[EncodedPair],
        make_inputs: Callable[[list[EncodedPair]], Any],
        path: str,
        on_scored: ScoredCallback,
    ) -> None:
        """Score ``rows`` longest first (an out-of-memory shows on the first batch) in batches of ``batch_size``,
        halving the batch on CUDA out-of-memory; each scored batch goes to ``on_scored``."""
        order = sorted(rows, key=lambda p: -p.n_tokens)
        batch_size, pos = self.batch_size, 0
        while pos < len(order):
            chunk = order[pos : pos + batch_size]
            try:
                logits = self.forward(make_inputs(chunk))
            except Exception as exc:  # only CUDA out-of-memory is handled; everything else propagates
                if not is_out_of_memory(exc):
                    raise
                if batch_size == 1:
                    longest = chunk[0]
                    raise ValueError(
                        f"out of GPU memory scoring a single pair ({longest.query.name} / {longest.document.name}, "
                        f"{longest.n_tokens} tokens). Lower max_length or max_pixels, use dtype='bfloat16', or free "
                        "GPU memory."
                    ) from exc
                batch_size = max(1, len(chunk) // 2)
                empty_cuda_cache()
                self.stats.add(oom_retries=1)
                logger.warning("CUDA out of memory with %d pairs per batch; retrying with %d", len(chunk), batch_size)
                continue
            on_scored(chunk, self.to_predictions(logits, chunk, path))
            pos += len(chunk)

    # --- attributions (aggregated into words, image cells and frames by lychee.salience.gradient) ------------------
    def token_attributions(self, query: Item, document: Item, instruction: str) -> TokenAttributions:
        """Gradient x input on the decoder-input embeddings for one pair: one forward and one backward pass.

        Each input position's attribution is ``sum_d grad(log_odds)[d] * embedding[d]``
        (:func:`lychee.scorers.qwen_vl.attribution.gradient_x_input`).
        """
        return gradient_x_input(self, query, document, instruction)

    def integrated_gradients(
        self, query: Item, document: Item, instruction: str, *, steps: int = DEFAULT_IG_STEPS
    ) -> TokenAttributions:
        """Integrated Gradients (Captum's ``LayerIntegratedGradients``) on the decoder-input embeddings for one pair,
        ``steps`` integration steps; ``convergence_delta`` says how far the attributions are from adding up to the
        log-odds change (:func:`lychee.scorers.qwen_vl.attribution.integrated_gradients`)."""
        return integrated_gradients(self, query, document, instruction, steps=steps)


__all__ = ["QwenVLScorer"]
