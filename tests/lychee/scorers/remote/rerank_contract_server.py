"""A STAND-IN rerank server for CONTRACT TESTS: it answers the rerank shape vLLM's pooling runner, Jina and Cohere v2
share (``GET /v1/models``; ``POST /v1/rerank {"model", "query", "documents", "top_n"}`` ->
``{"results": [{"index", "relevance_score"}]}``), with scores from a Python function.

It is not vLLM: it stands for a *served model that answers but scores wrongly* — :func:`reversed_scores` (a model whose
ranking is upside down: 1 - P of a real scorer) and :func:`constant_scores` (vLLM's Qwen3-reranker bug, 0.5 for every
pair) — so the gate, the parity check and the load-time probe can be tested against those failures. Tests of a
*correct* served model use this project's own server (``project_server`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.servers import LocalHTTPServer

ScoreFunction = Callable[[str, Sequence[str]], list[float]]


def reversed_scores(scorer: Any) -> ScoreFunction:
    """``1 - P(yes)`` of ``scorer`` (a loaded lychee scorer): the same model, its ranking reversed."""

    def score(query: str, documents: Sequence[str]) -> list[float]:
        return [1.0 - s for s in scorer.score(query, list(documents))]

    return score


def constant_scores(value: float = 0.5) -> ScoreFunction:
    """``value`` for every pair, as vLLM served Qwen3 rerankers in vllm-project/vllm#27857."""

    def score(query: str, documents: Sequence[str]) -> list[float]:
        return [value] * len(documents)

    return score


class StandinRerankServer(LocalHTTPServer):
    """The stand-in on ``127.0.0.1:<free port>``; use as a context manager.

    Args:
        score: ``score(query_text, document_texts) -> P(yes) per document``.
        model: the served model name ``GET /v1/models`` lists.

    Attributes:
        rerank_requests: the JSON bodies of the ``POST /v1/rerank`` requests, in arrival order.
    """

    def __init__(self, score: ScoreFunction, *, model: str = "standin-reranker") -> None:
        self.score = score
        self.model = model
        self.rerank_requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        super().__init__(self._handler())

    def rerank(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.rerank_requests.append(body)
        documents = body.get("documents")
        if not isinstance(body.get("query"), str) or not isinstance(documents, list):
            return 400, {"error": {"message": "expected a text query and a list of documents", "code": 400}}
        if not all(isinstance(d, str) for d in documents):
            return 400, {"error": {"message": "this stand-in reads text documents only", "code": 400}}
        scores = self.score(body["query"], documents)
        results = sorted(
            ({"index": i, "relevance_score": s} for i, s in enumerate(scores)), key=lambda r: -r["relevance_score"]
        )
        top_n = body.get("top_n") or len(results)
        return 200, {"id": "rerank-standin", "model": self.model, "results": results[:top_n]}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                if self.path == "/v1/models":
                    self._reply(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
                else:
                    self._reply(404, {"detail": "Not Found"})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/v1/rerank":
                    self._reply(404, {"detail": "Not Found"})
                    return
                try:
                    body = json.loads(raw)
                except json.JSONDecodeError:
                    self._reply(400, {"error": {"message": "the body is not JSON", "code": 400}})
                    return
                self._reply(*server.rerank(body))

        return Handler


__all__ = ["ScoreFunction", "StandinRerankServer", "constant_scores", "reversed_scores"]
