"""The Scorer contract and what every scorer shares: validation, ``score``/``rank``/``explain``/``process``.

A scorer implements one method, :meth:`BaseScorer._predict_pairs`, that turns (query, document) pairs into
:class:`Prediction` objects. Everything the public API offers is built on it, so the embedded default and the VLM
scorers validate input and order results identically.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from lychee.items import Item, ItemLike

if TYPE_CHECKING:
    from lychee.salience import Explanation

DEFAULT_INSTRUCTION = "Given a web search query, retrieve relevant passages that answer the query."

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each scored batch."""


@dataclass(frozen=True)
class Prediction:
    """One scored pair.

    Attributes:
        score: P(yes) in [0, 1].
        log_odds: the logit of ``score`` (for the VLM: ``z_yes - z_no`` at the answer position). Explanations and
            calibration work on log-odds because P saturates near 0 and 1.
        truncated: the pair was longer than the scorer's max length and lost text (document first, then query).
        n_tokens: the pair's length in tokens as scored, when the scorer knows it.
        path: how the VLM scorer computed it: ``"prefix"`` (the query's shared prompt prefix run once, its KV cache
            reused for the document suffixes) or ``"plain"`` (the whole prompt); ``None`` for single-path scorers.
    """

    score: float
    log_odds: float
    truncated: bool = False
    n_tokens: int | None = None
    path: str | None = None


@dataclass(frozen=True)
class Ranked:
    """One entry of :meth:`BaseScorer.rank`: ``index`` is the document's position in the input list."""

    index: int
    score: float
    document: Item
    log_odds: float = float("nan")
    truncated: bool = False


@runtime_checkable
class Scorer(Protocol):
    """What the dashboard, ``eval`` and the tests rely on."""

    name: str

    def score(self, query: ItemLike, documents: Sequence[ItemLike], instruction: str | None = None) -> list[float]: ...


def sigmoid(x: float) -> float:
    """Numerically stable logistic function."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def coerce_query(query: ItemLike) -> Item:
    item = Item.coerce(query, name="query")
    if item.is_empty:
        raise ValueError("query is empty: got no text and no image. Give the query text, an image, or both.")
    return item


def coerce_documents(documents: Sequence[ItemLike]) -> list[Item]:
    if isinstance(documents, (str, bytes, Item, dict)):
        raise TypeError(
            f"documents: got a single {type(documents).__name__}; expected a list of documents, e.g. [\"title 1\", \"title 2\"]."
        )
    items = []
    for i, doc in enumerate(documents):
        item = Item.coerce(doc, name=f"document {i + 1}")
        if item.is_empty:
            raise ValueError(
                f"document {i + 1} is empty: got no text and no image. Give each document text, an image, or both "
                "(or remove it)."
            )
        items.append(item)
    return items


@dataclass
class BaseScorer:
    """Shared behaviour of all scorers. Subclasses set the fields and implement :meth:`_predict_pairs`."""

    name: str
    family: str
    default_instruction: str = DEFAULT_INSTRUCTION
    supports_images: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    # Salience methods ``explain(method=...)`` accepts; VLM scorers add "gradient".
    explain_methods: ClassVar[tuple[str, ...]] = ("occlusion",)

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

    # --- public API ---------------------------------------------------------------------------------------------
    def resolve_instruction(self, instruction: str | None) -> str:
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

    def _check_modalities(self, items: Sequence[Item]) -> None:
        if self.supports_images:
            return
        for item in items:
            if item.has_image:
                raise ValueError(
                    f"{item.name} has an image, but the model '{self.name}' reads text only. Remove the image, or "
                    "load a Qwen2.5-VL / Qwen3-VL reranker checkpoint (e.g. LYCHEE_MODEL=/path/to/lychee-rerank-mm) "
                    "to score images."
                )

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
        self._check_modalities([q, *docs])
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
    ) -> list[Prediction]:
        """Score arbitrary (query, document) pairs in one batched call (used by occlusion and evaluation)."""
        items = [(coerce_query(q), Item.coerce(d, name=f"document {i + 1}")) for i, (q, d) in enumerate(pairs)]
        for q, d in items:
            if d.is_empty:
                raise ValueError(f"{d.name} is empty: got no text and no image. Give it text, an image, or both.")
            self._check_modalities([q, d])
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
        if top_k is not None and (not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}.")
        docs = coerce_documents(documents)
        preds = self.predict(query, docs, instruction, progress=progress)
        order = sorted(range(len(preds)), key=lambda i: (-preds[i].score, -preds[i].log_odds, i))
        ranked = [Ranked(i, preds[i].score, docs[i], preds[i].log_odds, preds[i].truncated) for i in order]
        return ranked[:top_k] if top_k is not None else ranked

    def explain(self, query: ItemLike, document: ItemLike, instruction: str | None = None, **kwargs: Any) -> Explanation:
        """Occlusion salience for one pair (see :func:`lychee.salience.occlusion`)."""
        from lychee.salience import occlusion

        return occlusion(self, query, document, instruction, **kwargs)

    def process(self, inputs: dict[str, Any]) -> list[float]:
        """Qwen3-VL-Reranker's ``process()`` input shape.

        Args:
            inputs: ``{"instruction": str?, "query": {"text": ..., "image": ...}, "documents": [{...}, ...],
                "fps": float?}``. ``fps`` only matters for video, which this scorer does not take; it is accepted and
                ignored so that Qwen3-VL-Reranker call sites work unchanged.

        Returns:
            One score per document, in input order.
        """
        if not isinstance(inputs, dict):
            raise TypeError(f"process() inputs: got {type(inputs).__name__}; expected a dict with 'query' and 'documents'.")
        unknown = set(inputs) - {"instruction", "query", "documents", "fps"}
        if unknown:
            raise ValueError(
                f"process() inputs: unknown keys {sorted(unknown)}; expected 'instruction', 'query', 'documents', 'fps'."
            )
        for key in ("query", "documents"):
            if key not in inputs:
                raise ValueError(f"process() inputs: missing '{key}'; expected a dict with 'query' and 'documents'.")
        fps = inputs.get("fps", 1.0)
        if not isinstance(fps, (int, float)) or fps <= 0:
            raise ValueError(f"process() inputs: fps must be a positive number, got {fps!r}.")
        return self.score(inputs["query"], inputs["documents"], inputs.get("instruction"))
