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
from lychee.explanation import ContrastiveExplanation, Explanation, ModalityShares
from lychee.items import Item, ItemLike, coerce_document, coerce_documents, coerce_query
from lychee.prompt import LYCHEE_DEFAULT_INSTRUCTION
from lychee.results import Prediction, ProgressCallback, Ranked, rank_predictions
from lychee.salience import explain
from lychee.salience.contrast import explain_pair
from lychee.salience.shares import modality_shares
from lychee.validation import positive_int
from lychee.video import (
    DEFAULT_FPS,
    DEFAULT_MAX_FRAMES,
    MAX_VIDEO_SECONDS,
    Video,
    check_fps,
    check_max_frames,
    check_max_seconds,
    load_video,
)

#: The library's default instruction (Lychee-rerank-mm's); each scorer may have its own (``default_instruction``).
DEFAULT_INSTRUCTION = LYCHEE_DEFAULT_INSTRUCTION
PROCESS_KEYS = ("instruction", "query", "documents", "fps", "max_frames", "max_video_seconds")


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
        """Refuse an image or a clip given to a model that does not read it.

        Raises:
            ValueError: naming the item and what to load instead.
        """
        caps = self.capabilities
        for item in items:
            if item.has_image and not caps.image:
                raise ValueError(
                    f"{item.name} has an image, but the model '{self.name}' reads {caps.modalities} only. Remove the "
                    "image, or load a Qwen2.5-VL / Qwen3-VL reranker checkpoint (e.g. "
                    "LYCHEE_MODEL=/path/to/lychee-rerank-mm) to score images."
                )
            if item.has_video and not caps.video:
                raise ValueError(
                    f"{item.name} has a video clip {item.video.source}, but the model '{self.name}' reads "
                    f"{caps.modalities} only. Remove the clip, or load a Qwen2.5-VL / Qwen3-VL reranker checkpoint "
                    "(e.g. LYCHEE_MODEL=/path/to/Qwen3-VL-Reranker-2B) to score clips."
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
            name = f"document {i + 1}"
            document = Item.coerce(d, name=name) if allow_empty else coerce_document(d, name=name)
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
        ranked = rank_predictions(self.predict(query, docs, instruction, progress=progress), docs)
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
        """Salience for one pair, with its deletion curve (see :func:`lychee.salience.explain`): ``method`` is one of
        ``capabilities.explain_methods``; ``options`` are ``max_units``, ``image_cells``, ``progress``,
        ``faithfulness``, ``seed`` (and ``parts`` for occlusion and shapley, ``n_samples`` for shapley, ``steps`` for
        ig)."""
        return explain(self, query, document, instruction, method=method, **options)

    def explain_pair(
        self,
        query: ItemLike,
        a: ItemLike,
        b: ItemLike,
        instruction: str | None = None,
        *,
        method: str = "occlusion",
        **options: Any,
    ) -> ContrastiveExplanation:
        """Why ``a`` scores above (or below) ``b`` for ``query``: the gap ``lo(a) - lo(b)``, each query word's effect
        on it and each title's own words (see :func:`lychee.salience.contrast.explain_pair`; ``options`` are
        ``max_units``, ``n_samples``, ``steps``, ``seed``, ``faithfulness``, ``progress``)."""
        return explain_pair(self, query, a, b, instruction, method=method, **options)

    def modality_shares(
        self, query: ItemLike, document: ItemLike, instruction: str | None = None, **options: Any
    ) -> ModalityShares:
        """The share of the log-odds each part of the pair carries (query text / image / clip, document text / image
        / clip): exact Shapley values (see :func:`lychee.salience.shares.modality_shares`; ``options`` are
        ``base_log_odds`` and ``progress``)."""
        return modality_shares(self, query, document, instruction, **options)

    def process(self, inputs: dict[str, Any]) -> list[float]:
        """Qwen3-VL-Reranker's ``process()`` input shape.

        Args:
            inputs: ``{"instruction": str?, "query": {"text": ..., "image": ..., "video": ...},
                "documents": [{...}, ...], "fps": float?, "max_frames": int?, "max_video_seconds": float?}``.
                A ``"video"`` is a file path, its bytes, a list of PIL frames or a :class:`~lychee.video.Video`;
                ``fps`` (default 1.0) is how many frames are sampled per second of a video file and ``max_frames``
                (default 64) the most frames per clip, as in Qwen3-VL-Reranker (a frame list keeps its own frame rate,
                2 per second unless it was loaded with ``load_video(frames, frame_rate=...)``). Clips longer than
                ``max_video_seconds`` (default 30) are refused. The settings are validated even when no clip is
                given, so Qwen3-VL-Reranker call sites work unchanged on every scorer.

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
                f"process() inputs: unknown keys {sorted(unknown)}; expected {', '.join(repr(k) for k in PROCESS_KEYS)}."
            )
        for key in ("query", "documents"):
            if key not in inputs:
                raise ValueError(f"process() inputs: missing '{key}'; expected a dict with 'query' and 'documents'.")
        try:
            settings = {
                "fps": check_fps(inputs["fps"], "fps") if "fps" in inputs else None,
                "max_frames": check_max_frames(inputs["max_frames"]) if "max_frames" in inputs else None,
                "max_seconds": check_max_seconds(inputs.get("max_video_seconds", MAX_VIDEO_SECONDS)),
            }
        except ValueError as exc:
            raise ValueError(f"process() inputs: {exc}") from None
        documents = inputs["documents"]
        if isinstance(documents, (list, tuple)):
            documents = [_with_clip(doc, f"document {i + 1}", **settings) for i, doc in enumerate(documents)]
        query = _with_clip(inputs["query"], "query", **settings)
        return self.score(query, documents, inputs.get("instruction"))


def _with_clip(value: Any, name: str, *, fps: float | None, max_frames: int | None, max_seconds: float) -> Any:
    """``value`` with its ``"video"`` (if it is a dict with one) loaded at the call's settings: the given ``fps`` /
    ``max_frames``, else the defaults (a :class:`~lychee.video.Video` keeps its own)."""
    if not isinstance(value, dict) or value.get("video") is None:
        return value
    source = value["video"]
    if isinstance(source, Video):  # a Video keeps its own sampling where the call gives none
        fps = source.sample_fps if fps is None else fps
        max_frames = source.max_frames if max_frames is None else max_frames
    video = load_video(
        source,
        what=f"{name} video",
        fps=DEFAULT_FPS if fps is None else fps,
        max_frames=DEFAULT_MAX_FRAMES if max_frames is None else max_frames,
        max_seconds=max_seconds,
    )
    return {**value, "video": video}


__all__ = ["DEFAULT_INSTRUCTION", "BaseScorer"]
