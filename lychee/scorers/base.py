"""What every scorer shares: input validation and ``predict``/``score``/``rank``/``explain``/``process``.

A scorer implements one method, :meth:`BaseScorer._predict_pairs`, that turns validated (query, document) pairs into
:class:`~lychee.results.Prediction` objects, and declares its :class:`~lychee.contract.Capabilities` and
:class:`~lychee.contract.ModelInfo`. Everything the public API offers is built on that, so the embedded default, the
VLM scorers and remote scorers validate input and order results identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lychee.contract import Capabilities, ModelInfo, RunStats
from lychee.explanation import Explanation
from lychee.items import Item, ItemLike, coerce_documents, coerce_query
from lychee.prompt import LYCHEE_DEFAULT_INSTRUCTION
from lychee.results import Prediction, ProgressCallback, Ranked
from lychee.salience import explain
from lychee.validation import positive_int

#: The library's default instruction (Lychee-rerank-mm's); each scorer may have its own (``default_instruction``).
DEFAULT_INSTRUCTION = LYCHEE_DEFAULT_INSTRUCTION
PROCESS_KEYS = ("instruction", "query", "documents", "fps")


@dataclass
class BaseScorer:
    """Shared behaviour of all scorers. Subclasses set the fields and implement :meth:`_predict_pairs`.

    Attributes:
        name: how the model was named when loaded.
        family: the scorer family (``"embedding"``, ``"lychee"``, ``"qwen3-vl-reranker"``...).
        capabilities: what it reads and offers (declared, never probed).
        info: what the loaded model is (frozen).
        default_instruction: used when a call gives no instruction.
        stats: counters updated while it runs (thread-safe).
    """

    name: str
    family: str
    capabilities: Capabilities = field(default_factory=Capabilities)
    info: ModelInfo | None = None
    default_instruction: str = DEFAULT_INSTRUCTION
    stats: RunStats = field(default_factory=RunStats, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.info is None:
            self.info = ModelInfo(name=self.name, family=self.family, default_instruction=self.default_instruction)

    # --- the one method an implementation provides -------------------------------------------------------------
    def _predict_pairs(
        self,
        pairs: Sequence[tuple[Item, Item]],
        instruction: str,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]:
        """Score ``pairs`` (already validated) in input order."""
        raise NotImplementedError

    # --- validation -------------------------------------------------------------------------------------------
    def resolve_instruction(self, instruction: str | None) -> str:
        """The instruction a call uses: ``instruction``, or the model's default for ``None``.

        Raises:
            TypeError / ValueError: not a string, or blank.
        """
        if instruction is None:
            return self.default_instruction
        if not isinstance(instruction, str):
            raise TypeError(f"instruction: got {type(instruction).__name__}; expected a string or None.")
        if not instruction.strip():
            raise ValueError(
                "instruction is empty: expected a sentence telling the model what relevance means, or None for the "
                f"default ({self.default_instruction!r})."
            )
        return instruction

    def check_modalities(self, items: Sequence[Item]) -> None:
        """Refuse an image given to a text-only model.

        Raises:
            ValueError: naming the item and what to load instead.
        """
        if self.capabilities.image:
            return
        for item in items:
            if item.has_image:
                raise ValueError(
                    f"{item.name} has an image, but the model '{self.name}' reads text only. Remove the image, or "
                    "load a Qwen2.5-VL / Qwen3-VL reranker checkpoint (e.g. LYCHEE_MODEL=/path/to/lychee-rerank-mm) "
                    "to score images."
                )

    # --- public API ---------------------------------------------------------------------------------------------
    def predict(
        self,
        query: ItemLike,
        documents: Sequence[ItemLike],
        instruction: str | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]:
        """Score documents against one query, returning full :class:`Prediction` objects in input order."""
        q = coerce_query(query)
        docs = coerce_documents(documents)
        self.check_modalities([q, *docs])
        instr = self.resolve_instruction(instruction)
        if not docs:
            return []
        return self._predict_pairs([(q, d) for d in docs], instr, progress=progress)

    def predict_pairs(
        self,
        pairs: Sequence[tuple[ItemLike, ItemLike]],
        instruction: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        allow_empty: bool = False,
    ) -> list[Prediction]:
        """Score arbitrary (query, document) pairs in one batched call (used by occlusion and evaluation).

        Args:
            pairs: ``(query, document)`` tuples, each side as for :meth:`score`.
            instruction: ``None`` for the model's default.
            progress: optional ``progress(done, total)`` callback.
            allow_empty: accept sides with neither text nor image (occlusion removes a side's only word and scores
                what the model makes of "nothing there").
        """
        items = []
        for i, (q, d) in enumerate(pairs):
            query = Item.coerce(q, name="query") if allow_empty else coerce_query(q)
            document = Item.coerce(d, name=f"document {i + 1}")
            if document.is_empty and not allow_empty:
                raise ValueError(
                    f"{document.name} is empty: got no text and no image. Give it text, an image, or both."
                )
            self.check_modalities([query, document])
            items.append((query, document))
        instr = self.resolve_instruction(instruction)
        if not items:
            return []
        return self._predict_pairs(items, instr, progress=progress)

    def score(
        self,
        query: ItemLike,
        documents: Sequence[ItemLike],
        instruction: str | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[float]:
        """P(yes) in [0, 1] for each document, in input order.

        Args:
            query: text, an image, an :class:`~lychee.Item` or ``{"text": ..., "image": ...}``.
            documents: the candidates, each of the same kinds as ``query``.
            instruction: what relevance means; ``None`` uses the model's default instruction.
            progress: optional ``progress(done, total)`` callback.

        Returns:
            One float per document; ``[]`` for no documents.

        Example:
            >>> scorer = load_scorer("default")
            >>> scorer.score("red running shoes", ["Nike red running shoe", "blue ceramic teapot"])
            [0.97..., 0.01...]
        """
        return [p.score for p in self.predict(query, documents, instruction, progress=progress)]

    def rank(
        self,
        query: ItemLike,
        documents: Sequence[ItemLike],
        instruction: str | None = None,
        top_k: int | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Ranked]:
        """Documents sorted by score, best first; ties keep input order. ``top_k`` keeps the first ``top_k``."""
        positive_int(top_k, "top_k", allow_none=True, none_means="keep every document")
        docs = coerce_documents(documents)
        preds = self.predict(query, docs, instruction, progress=progress)
        order = sorted(range(len(preds)), key=lambda i: (-preds[i].score, -preds[i].log_odds, i))
        ranked = [
            Ranked(i, preds[i].score, docs[i], preds[i].log_odds, preds[i].truncated, preds[i].n_tokens) for i in order
        ]
        return ranked[:top_k] if top_k is not None else ranked

    def explain(
        self,
        query: ItemLike,
        document: ItemLike,
        instruction: str | None = None,
        *,
        method: str = "occlusion",
        **options: Any,
    ) -> Explanation:
        """Salience for one pair (see :func:`lychee.salience.explain`): ``method`` is one of
        ``capabilities.explain_methods``; ``options`` are ``max_units``, ``image_cells``, ``progress``."""
        return explain(self, query, document, instruction, method=method, **options)

    def process(self, inputs: dict[str, Any]) -> list[float]:
        """Qwen3-VL-Reranker's ``process()`` input shape.

        Args:
            inputs: ``{"instruction": str?, "query": {"text": ..., "image": ...}, "documents": [{...}, ...],
                "fps": float?}``. ``fps`` only matters for video; it is validated and otherwise ignored by scorers
                that do not read video, so that Qwen3-VL-Reranker call sites work unchanged.

        Returns:
            One score per document, in input order.
        """
        if not isinstance(inputs, dict):
            raise TypeError(
                f"process() inputs: got {type(inputs).__name__}; expected a dict with 'query' and 'documents'."
            )
        unknown = set(inputs) - set(PROCESS_KEYS)
        if unknown:
            raise ValueError(
                f"process() inputs: unknown keys {sorted(unknown)}; expected 'instruction', 'query', 'documents', 'fps'."
            )
        for key in ("query", "documents"):
            if key not in inputs:
                raise ValueError(f"process() inputs: missing '{key}'; expected a dict with 'query' and 'documents'.")
        fps = inputs.get("fps", 1.0)
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or fps <= 0:
            raise ValueError(f"process() inputs: fps must be a positive number, got {fps!r}.")
        return self.score(inputs["query"], inputs["documents"], inputs.get("instruction"))


__all__ = ["DEFAULT_INSTRUCTION", "BaseScorer"]
