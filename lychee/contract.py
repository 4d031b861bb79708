"""The scorer contract: what every scorer declares (:class:`Capabilities`, :class:`ModelInfo`), what it counts while it
runs (:class:`RunStats`), and the methods the dashboard, ``eval``, the bench and the HTTP API call (:class:`Scorer`).

Capabilities are declared, never probed: a page decides whether to offer gradient salience, warn that the instruction
is ignored, or refuse an image by reading ``scorer.capabilities`` — not by ``getattr`` or by searching a message.
``ModelInfo`` is frozen (a cached scorer is shared by every session and never changes); counters that do change while
a scorer runs (out-of-memory retries, pairs scored) live in :class:`RunStats`.

A leaf module: it imports only the project's other leaf types.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from lychee.explanation import ContrastiveExplanation, ExplainMethod, Explanation, ModalityShares
from lychee.items import Item, ItemLike
from lychee.results import Prediction, ProgressCallback, Ranked

#: Language codes a multilingual model reads well (Qwen2.5-VL / Qwen3-VL are trained on many languages).
MULTILINGUAL: tuple[str, ...] = ()


@dataclass(frozen=True)
class Capabilities:
    """What a scorer can take and do.

    Attributes:
        text: reads text.
        image: reads images.
        video: reads video clips.
        uses_instruction: the instruction changes scores (False for a bi-encoder trained without instructions).
        languages: ISO 639-1 codes of the languages the model reads well; empty means "many" (a multilingual model).
        explain_methods: the ``method=`` values ``explain`` and ``explain_pair`` accept, e.g. ``("occlusion",
            "shapley", "gradient", "ig")``.
        score_is_probability: the score is P(yes), so the score bands apply; False for a lexical score mapped into
            (0, 1) for ranking only (BM25), where the pages grey the bands.
        batch_dependent: a pair's score depends on the other pairs of the call that share its query (BM25's IDF over
            the batch's own titles); explanations then score every pair alone, so a weight compares like with like.
        max_image_pixels: the most pixels of an image the model looks at (its resizer scales larger ones down to
            at most this), or ``None`` when unknown or not applicable; callers decode images reduced to it
            (``lychee.load_image(..., reduce_to=...)``), so a large image is never kept at full size.
    """

    text: bool = True
    image: bool = False
    video: bool = False
    uses_instruction: bool = True
    languages: tuple[str, ...] = MULTILINGUAL
    explain_methods: tuple[ExplainMethod, ...] = ("occlusion", "shapley")  # need nothing but scores
    score_is_probability: bool = True
    batch_dependent: bool = False
    max_image_pixels: int | None = None

    @property
    def modalities(self) -> str:
        """``"text"``, ``"text+image"``, ``"text+image+video"``..."""
        names = [name for name, on in (("text", self.text), ("image", self.image), ("video", self.video)) if on]
        return "+".join(names)


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded model is; frozen.

    Attributes:
        name: how the model was named when loaded (``"default"``, a folder, a hub id, a URL).
        family: ``"embedding"``, ``"lychee"``, ``"qwen3-vl-reranker"``, ``"remote"``...
        device: ``"cpu"``, ``"cuda:0"``, or where a remote model runs.
        dtype: weight dtype (``"float32"``, ``"bfloat16"``...), ``"unknown"`` when not known.
        attention: the attention implementation really used (``"sdpa"``, ``"eager"``, ``"flash_attention_2"``).
        parameters: number of parameters, when known.
        weights_bytes: memory taken by the weights, when known.
        path: the checkpoint folder, when local.
        max_length: tokens per pair (longer pairs are truncated).
        batch_size: pairs per forward pass.
        default_instruction: the instruction used when a call gives none.
        score_formula: how P(yes) is computed.
        notes: things the user should know about how it was loaded (e.g. a dtype fallback).
        warnings: problems found while loading that put the scores in doubt, which every front end shows as warnings
            (e.g. a served model whose load-time probe scores an identical text no higher than an unrelated one).
        details: family-specific facts (pixel bounds, answer token ids, a remote model's probe...).
    """

    name: str
    family: str
    device: str = "unknown"
    dtype: str = "unknown"
    attention: str = "unknown"
    parameters: int | None = None
    weights_bytes: int | None = None
    path: str | None = None
    max_length: int | None = None
    batch_size: int | None = None
    default_instruction: str = ""
    score_formula: str = ""
    notes: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (``details`` flattened into a plain dict)."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["notes"] = list(self.notes)
        out["warnings"] = list(self.warnings)
        out["details"] = dict(self.details)
        return out


class RunStats:
    """Counters a scorer updates while it runs (thread-safe); kept apart from the frozen :class:`ModelInfo`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, **increments: int) -> None:
        """Add to counters, e.g. ``stats.add(oom_retries=1)`` (the VLM) or ``stats.add(requests=3)`` (remote)."""
        with self._lock:
            for name, n in increments.items():
                self._counts[name] = self._counts.get(name, 0) + int(n)

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name, 0)

    @property
    def oom_retries(self) -> int:
        """How often a batch was halved after running out of GPU memory."""
        return self.get("oom_retries")


@runtime_checkable
class Scorer(Protocol):
    """What the dashboard, ``eval``, the bench and the HTTP API rely on; :class:`lychee.BaseScorer` implements it."""

    name: str
    family: str
    default_instruction: str

    @property
    def capabilities(self) -> Capabilities: ...

    @property
    def info(self) -> ModelInfo: ...

    @property
    def stats(self) -> RunStats: ...

    def resolve_instruction(self, instruction: str | None) -> str: ...

    def check_modalities(self, items: Sequence[Item]) -> None: ...

    def predict(
        self,
        query: ItemLike,
        documents: Sequence[ItemLike],
        instruction: str | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]: ...

    def predict_pairs(
        self,
        pairs: Sequence[tuple[ItemLike, ItemLike]],
        instruction: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        allow_empty: bool = False,
    ) -> list[Prediction]: ...

    def score(
        self,
        query: ItemLike,
        documents: Sequence[ItemLike],
        instruction: str | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[float]: ...

    def rank(
        self,
        query: ItemLike,
        documents: Sequence[ItemLike],
        instruction: str | None = None,
        top_k: int | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Ranked]: ...

    def explain(
        self, query: ItemLike, document: ItemLike, instruction: str | None = None, **options: Any
    ) -> Explanation: ...

    def explain_pair(
        self, query: ItemLike, a: ItemLike, b: ItemLike, instruction: str | None = None, **options: Any
    ) -> ContrastiveExplanation: ...

    def modality_shares(
        self, query: ItemLike, document: ItemLike, instruction: str | None = None, **options: Any
    ) -> ModalityShares: ...

    def process(self, inputs: dict[str, Any]) -> list[float]: ...


__all__ = ["MULTILINGUAL", "Capabilities", "ModelInfo", "RunStats", "Scorer"]
