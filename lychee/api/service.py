"""What the API does, apart from HTTP: the server's model and its loading state, and reranking off the event loop.

:class:`RerankService` serves one model, the server's (``LYCHEE_MODEL``), from the process-wide loader the dashboard
uses, so pages and API requests share one scorer. It starts loading it in the background when the server starts and
answers 503 (with ``Retry-After``) until it is loaded. A request's parsing, image decoding and scoring run in worker
threads (:meth:`RerankService.run`), never on the event loop, so the dashboard keeps serving while the API scores.
The API never switches or loads a model on a caller's word: a ``model`` field naming another model is a 400.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import logging
import math
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from lychee.api.config import ApiConfig
from lychee.api.errors import ApiError, bad_request
from lychee.api.schemas import RerankRequest, Shape, parse_json, parse_request
from lychee.api.spans import relevant_spans, result_shares
from lychee.bands import band
from lychee.contract import Scorer
from lychee.results import Ranked, rank_predictions
from lychee.scorers import DEFAULT_MODEL
from lychee.serving.loader import LoadedModel, LoadStatus, ModelKey, ModelLoader

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RerankService:
    """The server's model and the rerank logic of every route.

    Args:
        loader: the process-wide loader (shared with the dashboard's pages).
        key: the ``(model, device, dtype)`` this server serves.
        config: limits and switches.
    """

    def __init__(self, *, loader: ModelLoader, key: ModelKey, config: ApiConfig) -> None:
        self.loader = loader
        self.key = key
        self.config = config
        self._executor: ThreadPoolExecutor | None = None

    # --- lifecycle ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker threads and the background load of the server's model (pinned: never released)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.config.workers, thread_name_prefix="lychee-api")
        status = self.loader.start(self.key, pin=True)
        logger.info("API: serving model %r (%s)", self.key[0], status.state)
        threading.Thread(target=self._warm_up, name="lychee-api-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        # One tiny pair once the model is loaded, so the first request does not pay torch's lazy initialisation.
        loaded = self.loader.wait(self.key).loaded
        if loaded is None:
            return
        try:
            loaded.scorer.score("warm-up", ["warm-up"])
        except Exception:  # a model that cannot score one text pair fails the first request with its own message
            logger.exception("API: warming up model %r failed", self.key[0])

    def close(self) -> None:
        """Stop the worker threads (queued work is cancelled)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a worker thread and await it (the event loop stays free)."""
        if self._executor is None:
            self.start()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    # --- state --------------------------------------------------------------------------------------------------
    def status(self) -> LoadStatus:
        """The loading state of the server's model (never loads, never waits)."""
        return self.loader.status(self.key)

    def ready(self) -> LoadedModel:
        """The server's model once loaded.

        Raises:
            ApiError: 503 with ``Retry-After`` while it loads; 503 naming the error when loading failed.
        """
        status = self.status()
        if status.state == "absent":  # never started, or forgotten: the server's own model, so start it again
            status = self.loader.start(self.key, pin=True)
        if status.loaded is not None:
            return status.loaded
        if status.state == "failed":
            raise ApiError(
                503,
                f"The server's model '{self.public_name}' failed to load: {self.load_failure(status.error)}. The API "
                "cannot score until the server's operator fixes LYCHEE_MODEL and restarts the server (its log has "
                "the details).",
            )
        raise ApiError(
            503,
            f"The server's model '{self.public_name}' is still loading ({status.seconds:.0f} s so far). Retry after "
            f"{self.config.retry_after_s} s; GET /api/health says when it is ready.",
            headers={"Retry-After": str(self.config.retry_after_s)},
        )

    def health(self) -> tuple[int, dict[str, Any]]:
        """``GET /api/health``: 200 when the model is loaded, 503 while it loads or after a failed load."""
        status = self.status()
        state = status.state if status.state != "absent" else "loading"
        body: dict[str, Any] = {"status": state, "model": self.public_name}
        if status.loaded is not None:
            body["model"] = self.served_name(status.loaded.scorer)
            body["load_seconds"] = round(status.loaded.seconds, 3)
            return 200, body
        if status.state == "failed":
            body["error"] = self.load_failure(status.error)
        else:
            body["loading_seconds"] = round(status.seconds, 3)
        return 503, body

    def model_info(self) -> dict[str, Any]:
        """``GET /api/model``: the frozen model info (less the server's checkpoint path), capabilities, the features
        beyond the Cohere-compatible shape (``allow_empty``) and this server's limits."""
        scorer = self.ready().scorer
        capabilities = dataclasses.asdict(scorer.capabilities)
        capabilities["modalities"] = scorer.capabilities.modalities
        # The checkpoint's folder is the server's own business: callers learn the model, not the server's file layout.
        info = {k: v for k, v in scorer.info.as_dict().items() if k != "path"}
        info["name"] = self.served_name(scorer)
        return {
            "model": self.served_name(scorer),
            "accepted_model_names": sorted({DEFAULT_MODEL, self.served_name(scorer)}),
            "info": _json_safe(info),
            "capabilities": _json_safe(capabilities),
            "features": {"allow_empty": True, "modality_shares": True},  # beyond the Cohere-compatible shape
            "limits": {
                "max_documents": self.config.max_documents,
                "max_body_bytes": self.config.max_body_bytes,
                "max_in_flight": self.config.max_in_flight,
                "max_span_documents": self.config.max_span_documents,
                "max_text_chars": self.config.max_text_chars,
                "max_request_pixels": self.config.max_request_pixels,
                "max_image_urls": self.config.max_urls,
                "body_timeout_s": self.config.body_timeout_s,
                "image_urls": self.config.allow_urls,
                "auth": bool(self.config.accepted_keys),
            },
        }

    @property
    def public_name(self) -> str:
        """The served model's name as callers see it: a folder's name, a URL's host, never a path on the server."""
        return public_model_name(self.key[0])

    def served_name(self, scorer: Scorer) -> str:
        """The loaded model's name as callers see it (``all-MiniLM-L6-v2``, a checkpoint folder's name...)."""
        return public_model_name(scorer.info.name)

    def load_failure(self, error: BaseException | None) -> str:
        """A failed load as one line without the server's paths (the log keeps the whole message)."""
        return one_line_reason(error, self.key[0])

    def model_names(self, scorer: Scorer) -> set[str]:
        """Names a request's ``model`` field may use for the served model (matched whole, never as a prefix)."""
        names = {DEFAULT_MODEL, self.key[0], scorer.name, scorer.info.name, self.public_name, self.served_name(scorer)}
        return {n for n in names if n}

    # --- reranking (runs in a worker thread) ----------------------------------------------------------------------
    def rerank(self, loaded: LoadedModel, body: bytes, shape: Shape) -> dict[str, Any]:
        """Parse, validate and score one request body; returns the response JSON of ``shape``.

        Raises:
            ApiError: 400 for every problem with the request.
        """
        start = time.perf_counter()
        scorer = loaded.scorer
        payload = parse_json(body)
        self._check_model(payload.get("model"), scorer)  # before any image is decoded or fetched
        request = parse_request(
            payload,
            shape=shape,
            config=self.config,
            reads_images=scorer.capabilities.image,
            model_name=self.served_name(scorer),
            max_image_pixels=scorer.capabilities.max_image_pixels,
        )
        try:
            instruction = scorer.resolve_instruction(request.instruction)
            # allow_empty: a remote scorer's occlusion, "nothing there" scored as the recipe scores it
            pairs = [(request.query, d) for d in request.documents]
            preds = scorer.predict_pairs(pairs, instruction, allow_empty=request.allow_empty)
            ranked = rank_predictions(preds, request.documents)
        except (ValueError, TypeError) as exc:  # the library's own validation; its messages say how to fix
            raise bad_request(str(exc)) from exc
        kept = ranked if request.top_n is None else ranked[: request.top_n]
        spans = self._spans(scorer, request, kept)
        if shape == "banded":
            return {
                "model": self.served_name(scorer),
                "instruction": instruction,
                "results": [_banded_result(r, request, spans) for r in kept],
                "elapsed_ms": round((time.perf_counter() - start) * 1000, 3),
            }
        return {
            "id": f"rerank-{uuid.uuid4().hex}",
            "model": self.served_name(scorer),
            "results": [_cohere_compatible_result(r, request, spans) for r in kept],
            "usage": {"total_tokens": sum(r.n_tokens or 0 for r in ranked)},
        }

    def _check_model(self, requested: Any, scorer: Scorer) -> None:
        if not isinstance(requested, str) or requested.strip() in self.model_names(scorer):
            return  # absent, or not a string (parse_request says so), or a name of the served model
        name = self.served_name(scorer)
        raise bad_request(
            f"model: got {requested[:80]!r}, but this server serves '{name}' and never switches models on a request. "
            f'Send "model": "{name}" (or "default"), or leave the field out. To serve another model, restart the '
            "server with LYCHEE_MODEL set to it.",
            "model",
        )

    def _spans(self, scorer: Scorer, request: RerankRequest, kept: list[Ranked]) -> dict[int, dict[str, Any]]:
        """Per result index, the explanation fields asked for (``relevant_spans``, ``modality_shares``); each kind
        scores every variant of every result in one batched call, reusing the pairs the rerank scored."""
        extras: dict[int, dict[str, Any]] = {r.index: {} for r in kept}
        if request.spans is not None:
            found = relevant_spans(scorer, request.query, request.documents, kept, request.instruction, request.spans)
            for index, spans in found.items():
                extras[index]["relevant_spans"] = spans
        if request.shares:
            shares = result_shares(scorer, request.query, request.documents, kept, request.instruction)
            for index, parts in shares.items():
                extras[index]["modality_shares"] = parts
        return extras


_ABSOLUTE_PATH = re.compile(r"(?<![\w:/])(?:/[^\s'\"/:]+)+/?")


def public_model_name(model: str) -> str:
    """What callers are told a model is called: a URL's host (no credentials, no path), a local folder's name, or
    the name itself (``default``, ``all-MiniLM-L6-v2``, a hub id) — never a path on the server."""
    if "://" in model:
        hosts = []
        for url in model.split(","):
            parts = urllib.parse.urlsplit(url.strip())
            try:
                port = parts.port
            except ValueError:
                port = None
            hosts.append(f"{parts.hostname or 'remote'}{f':{port}' if port else ''}")
        return ",".join(hosts)
    if model.startswith(("/", "./", "../", "~", "\\")) or "\\" in model or Path(model).expanduser().is_dir():
        return Path(model.rstrip("/\\")).name or "model"
    return model


def one_line_reason(error: BaseException | None, model: str) -> str:
    """``error`` as one short line naming the model by its public name and no other path of the server's."""
    text = str(error or "unknown error").strip().splitlines()[0] if str(error or "").strip() else "unknown error"
    text = text.replace(model, public_model_name(model))
    text = _ABSOLUTE_PATH.sub(lambda m: "…/" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)
    return text if len(text) <= 240 else text[:237] + "..."


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _banded_result(r: Ranked, request: RerankRequest, spans: dict[int, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": r.index,
        "document": request.echoes[r.index],
        "score": r.score,
        "band": band(r.score),
        "log_odds": _finite(r.log_odds),
        "truncated": r.truncated,
    }
    out.update(spans.get(r.index, {}))
    return out


def _cohere_compatible_result(r: Ranked, request: RerankRequest, spans: dict[int, dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": r.index,
        "relevance_score": r.score,
        "log_odds": _finite(r.log_odds),
        "truncated": r.truncated,
    }
    if request.return_documents:
        out["document"] = request.echoes[r.index]
    out.update(spans.get(r.index, {}))
    return out


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


__all__ = ["RerankService", "one_line_reason", "public_model_name"]
