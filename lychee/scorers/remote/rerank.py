"""The ``rerank`` and ``tei`` protocols: one HTTP request scores one query against a chunk of its documents.

``rerank`` (Cohere v2 / Jina / vLLM / Infinity / this project's own API)::

    POST <route>  {"model", "query", "documents", "top_n", "instruction", "return_documents": false}
    ->            {"results": [{"index", "relevance_score"}, ...]}

An item with an image goes as vLLM's multimodal form ``{"content": [{"type": "image_url", ...}, {"type": "text",
...}]}`` (this project's own server gets ``{"text", "image"}`` with the image as a data URL). ``instruction`` is sent
to every server; only servers that say they read it (this project's, through ``GET /api/model``) are declared to use
it — vLLM's pooling runner takes the instruction from its chat template and ignores the field.

``tei`` (Hugging Face text-embeddings-inference)::

    POST <route>  {"query", "texts", "raw_scores": false, "return_text": false, "truncate": false}
    ->            [{"index", "score"}, ...]

Both answer P(yes)-like scores in [0, 1]; ``log_odds`` is this project's server's exact ``log_odds`` field, else their logit (computed in float64 from the returned score, so
it is exact up to the precision the server sent; a score of exactly 0 or 1 has infinite log-odds). An answer with a
score outside [0, 1] (raw logits) is refused rather than squashed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from lychee.items import Item
from lychee.results import Prediction
from lychee.scorers.remote.endpoints import Endpoint
from lychee.scorers.remote.transport import RemoteAnswerError, quote_remote, request_json
from lychee.scorers.remote.wire import ImageCache, content_parts, empty_side_text, image_url, processor_kwargs


def logit(score: float) -> float:
    """``log(p / (1 - p))`` in float64; ``±inf`` at exactly 1 / 0."""
    if score <= 0.0:
        return -math.inf
    if score >= 1.0:
        return math.inf
    return math.log(score) - math.log1p(-score)


def check_score(value: Any, *, where: str) -> float:
    """A returned score as a float in [0, 1].

    Raises:
        RemoteAnswerError: not a number, not finite, or outside [0, 1].
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RemoteAnswerError(f"{where}: the score is {quote_remote(value)}; expected a number in [0, 1].")
    if not 0.0 <= value <= 1.0:
        raise RemoteAnswerError(
            f"{where}: the score {quote_remote(value)} is outside [0, 1]: the server returns raw scores (logits), not "
            "probabilities. Configure it to apply its activation (vLLM: drop use_activation=false; TEI: raw_scores "
            "false), so that scores mean P(relevant) like the local models'."
        )
    return float(value)


def indexed_scores(rows: Any, n: int, *, key: str, where: str) -> list[float]:
    """Scores in input order from ``[{"index": i, key: score}, ...]`` covering each of ``n`` documents once.

    Raises:
        RemoteAnswerError: not a list of such objects, an index out of range or repeated, or a document missing.
    """
    if not isinstance(rows, list):
        raise RemoteAnswerError(f"{where}: expected a list of {{'index', '{key}'}} objects, got {type(rows).__name__}.")
    scores: list[float | None] = [None] * n
    for row in rows:
        index = row.get("index") if isinstance(row, dict) else None
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise RemoteAnswerError(f"{where}: result {quote_remote(row)} has no valid 'index' (expected 0..{n - 1}).")
        if scores[index] is not None:
            raise RemoteAnswerError(f"{where}: document index {index} appears twice in the answer.")
        scores[index] = check_score(row.get(key), where=f"{where}, document index {index}")
    missing = [i for i, s in enumerate(scores) if s is None]
    if missing:
        raise RemoteAnswerError(
            f"{where}: the answer scores {n - len(missing)} of the {n} documents sent (missing indices "
            f"{missing[:10]}{'...' if len(missing) > 10 else ''}). The server may cap top_n or the number of documents "
            "per request; load the scorer with a smaller batch_size."
        )
    return [float(s) for s in scores]  # type: ignore[arg-type]


@dataclass
class RerankProtocol:
    """Client side of the rerank shape (see module docstring).

    Attributes:
        client: the shared httpx client (timeouts, API key).
        model: the ``model`` field to send, or ``None`` to leave it out (the server's only model).
        family: the served model's recipe family when known (empty sides, image resizing), else ``None``.
        pixels: ``(min_pixels, max_pixels)`` of the served model when known.
        batch_size: documents per request.
        project_server: the endpoint is this project's own server: items go as ``{"text", "image"}``, results carry
            exact ``log_odds`` and ``truncated``, empty sides are refused by it (so refused here, with a clearer
            message), and no vLLM-only field is sent (it refuses unknown fields).
        max_body_bytes: the server's request size cap when known; a larger request is split in two.
        empty_items: the server scores an empty item when asked (this project's ``"allow_empty": true``): an empty
            side goes as ``""`` and the server's own recipe decides what "nothing there" is — exactly the local score.
    """

    client: httpx.Client
    model: str | None = None
    family: str | None = None
    pixels: tuple[int, int] | None = None
    batch_size: int = 32
    project_server: bool = False
    max_body_bytes: int | None = None
    empty_items: bool = False
    name: str = field(default="rerank", init=False)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def encode(self, item: Item, *, what: str, url: str, cache: ImageCache) -> Any:
        """The wire form of a query or document."""
        if item.is_empty:
            if self.empty_items:
                return ""
            return empty_side_text(
                self.family, what=what, url=url, protocol=self.name, refuses_empty=self.project_server
            )
        if not item.has_image:
            return item.text
        if self.project_server:
            out: dict[str, Any] = {"image": image_url(item, family=self.family, pixels=self.pixels, cache=cache)}
            if item.has_text:
                out["text"] = item.text
            return out
        return {"content": content_parts(item, family=self.family, pixels=self.pixels, cache=cache)}

    def body(
        self, query: Item, documents: Sequence[Item], instruction: str, *, url: str, cache: ImageCache
    ) -> dict[str, Any]:
        """The JSON body for one query and a chunk of its documents."""
        body: dict[str, Any] = {}
        if self.model:
            body["model"] = self.model
        body["query"] = self.encode(query, what="the query", url=url, cache=cache)
        body["documents"] = [self.encode(d, what=d.name, url=url, cache=cache) for d in documents]
        body["top_n"] = len(documents)
        body["instruction"] = instruction
        body["return_documents"] = False
        if self.empty_items and (query.is_empty or any(d.is_empty for d in documents)):
            body["allow_empty"] = True
        bounds = None if self.project_server else processor_kwargs(self.family, self.pixels)
        if bounds is not None and (query.has_image or any(d.has_image for d in documents)):
            body["mm_processor_kwargs"] = bounds  # vLLM: resize within the recipe's bounds, not the checkpoint's
        return body

    def send(
        self,
        endpoint: Endpoint,
        query: Item,
        documents: Sequence[Item],
        instruction: str,
        *,
        cache: ImageCache | None = None,
    ) -> list[Prediction]:
        """Score ``documents`` against ``query`` at ``endpoint``, in input order.

        Args:
            cache: the images already encoded in this predict call (shared by its requests), or ``None``.

        Raises:
            RetryableError: busy server, connection error, timeout.
            RemoteAnswerError: refused request or malformed answer.
            ValueError: an empty side the protocol cannot express for this family, or one document alone larger
                than the server's request size cap.
        """
        cache = {} if cache is None else cache
        body = self.body(query, documents, instruction, url=endpoint.route, cache=cache)
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        if self.max_body_bytes is not None and len(data) > self.max_body_bytes:
            if len(documents) == 1:
                raise ValueError(
                    f"{documents[0].name} with its query makes a {len(data):,}-byte request, more than the "
                    f"{self.max_body_bytes:,} bytes {endpoint.url} accepts (LYCHEE_API_MAX_BODY_MB there). Use a "
                    "smaller image, or raise the server's limit."
                )
            half = len(documents) // 2
            return self.send(endpoint, query, documents[:half], instruction, cache=cache) + self.send(
                endpoint, query, documents[half:], instruction, cache=cache
            )
        answer = request_json(self.client, "POST", endpoint.route, content=data)
        where = f"POST {endpoint.route}"
        if not isinstance(answer, dict) or "results" not in answer:
            got = f"keys {quote_remote(sorted(answer))}" if isinstance(answer, dict) else type(answer).__name__
            raise RemoteAnswerError(
                f"{where}: expected an object with 'results' (the Cohere/Jina/vLLM rerank shape), got {got}. "
                "For Hugging Face TEI use protocol='tei'; for a chat model use protocol='openai-chat'."
            )
        rows = answer["results"]
        scores = indexed_scores(rows, len(documents), key="relevance_score", where=where)
        if not self.project_server:
            return [Prediction(score=s, log_odds=logit(s)) for s in scores]
        by_index = {row["index"]: row for row in rows}
        return [project_prediction(s, by_index[i]) for i, s in enumerate(scores)]


def project_prediction(score: float, row: dict[str, Any]) -> Prediction:
    """A prediction from this project's server: its exact ``log_odds`` (``null`` when infinite) and ``truncated``."""
    log_odds = row.get("log_odds")
    exact = isinstance(log_odds, (int, float)) and not isinstance(log_odds, bool) and math.isfinite(log_odds)
    return Prediction(
        score=score, log_odds=float(log_odds) if exact else logit(score), truncated=row.get("truncated") is True
    )


@dataclass
class TeiProtocol:
    """Client side of TEI's ``/rerank`` (text only; see module docstring)."""

    client: httpx.Client
    model: str | None = None
    family: str | None = None
    pixels: tuple[int, int] | None = None
    batch_size: int = 32
    name: str = field(default="tei", init=False)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def text(self, item: Item, *, what: str, url: str) -> str:
        if item.has_image:  # the scorer declares text only, so BaseScorer refuses images before this
            raise ValueError(f"{what} has an image; the 'tei' protocol carries text only.")
        return item.text if item.has_text else empty_side_text(self.family, what=what, url=url, protocol=self.name)

    def send(
        self,
        endpoint: Endpoint,
        query: Item,
        documents: Sequence[Item],
        instruction: str,
        *,
        cache: ImageCache | None = None,
    ) -> list[Prediction]:
        """Score ``documents`` against ``query`` at ``endpoint`` (``instruction`` is not part of TEI's shape; TEI
        carries no images, so ``cache`` is unused)."""
        body = {
            "query": self.text(query, what="the query", url=endpoint.route),
            "texts": [self.text(d, what=d.name, url=endpoint.route) for d in documents],
            "raw_scores": False,
            "return_text": False,
            "truncate": False,
        }
        answer = request_json(self.client, "POST", endpoint.route, body=body)
        where = f"POST {endpoint.route}"
        if isinstance(answer, dict) and "results" in answer:
            raise RemoteAnswerError(f"{where}: answered the rerank shape ('results'); use protocol='rerank' for it.")
        scores = indexed_scores(answer, len(documents), key="score", where=where)
        return [Prediction(score=s, log_odds=logit(s)) for s in scores]


__all__ = ["RerankProtocol", "TeiProtocol", "check_score", "indexed_scores", "logit", "project_prediction"]
