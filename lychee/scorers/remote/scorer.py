"""The remote scorer: the :class:`~lychee.scorers.base.BaseScorer` contract over HTTP endpoints.

``_predict_pairs`` groups the pairs by query (eval chunks and occlusion pass many queries at once), cuts each group
into requests of ``batch_size`` documents (one pair per request for ``openai-chat``), and runs the requests on a thread
pool: at most ``max_concurrency`` in flight per endpoint, spread over every endpoint, each retried with backoff (see
:mod:`lychee.scorers.remote.endpoints`). Results come back in input order. The first request that fails for good stops
the call: the requests not yet started are cancelled and the error names the pairs, the URL and what it answered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from lychee.items import Item
from lychee.results import Prediction, ProgressCallback
from lychee.scorers.base import BaseScorer
from lychee.scorers.remote.endpoints import DEFAULT_RETRIES, Endpoint, EndpointPool, call_with_retries
from lychee.scorers.remote.wire import ImageCache

logger = logging.getLogger(__name__)


class WireProtocol(Protocol):
    """What the scorer needs of a protocol: its name, documents per request, and one request."""

    name: str
    batch_size: int

    def send(
        self,
        endpoint: Endpoint,
        query: Item,
        documents: Sequence[Item],
        instruction: str,
        *,
        cache: ImageCache | None = None,
    ) -> list[Prediction]: ...


@dataclass(frozen=True)
class Request:
    """One request: a query and the input positions of the documents it carries."""

    query: Item
    positions: tuple[int, ...]


def _query_key(item: Item) -> tuple[str | None, int | None]:
    # Pairs share a query when they share its text and its very image object (eval and occlusion build one Item per
    # query); equal images in different objects just make separate requests.
    return item.text, None if item.image is None else id(item.image)


def plan_requests(pairs: Sequence[tuple[Item, Item]], batch_size: int) -> list[Request]:
    """Group pairs by query (first appearance order) and cut each group into requests of ``batch_size`` documents."""
    groups: dict[tuple[str | None, int | None], tuple[Item, list[int]]] = {}
    for i, (query, _) in enumerate(pairs):
        groups.setdefault(_query_key(query), (query, []))[1].append(i)
    requests = []
    for query, positions in groups.values():
        for start in range(0, len(positions), batch_size):
            requests.append(Request(query, tuple(positions[start : start + batch_size])))
    return requests


@dataclass
class RemoteScorer(BaseScorer):
    """A scorer whose model runs behind one or more HTTP endpoints (build it with :func:`lychee.load_scorer`).

    Attributes:
        pool: the endpoints and their in-flight limits.
        protocol: how requests and answers look (``rerank``, ``tei``, ``openai-chat``).
        retries: retries after the first attempt of each request.

    Example:
        >>> scorer = lychee.load_scorer("http://gpu-1:8000,http://gpu-2:8000", max_concurrency=8)
        >>> scorer.score("red running shoes", ["Nike red running shoe", "blue ceramic teapot"])
    """

    pool: EndpointPool | None = None
    protocol: WireProtocol | None = None
    retries: int = DEFAULT_RETRIES

    @property
    def endpoints(self) -> list[Endpoint]:
        return list(self.pool.endpoints)

    def requests_served(self) -> dict[str, int]:
        """How many requests each endpoint answered successfully since it was connected (the load-time probe's
        included), by URL."""
        return self.pool.served()

    def close(self) -> None:
        """Close the HTTP connections; call it when the scorer is no longer used."""
        self.protocol.close()

    def _send(
        self, request: Request, pairs: Sequence[tuple[Item, Item]], instruction: str, cache: ImageCache
    ) -> list[Prediction]:
        documents = [pairs[i][1] for i in request.positions]
        first, last = request.positions[0] + 1, request.positions[-1] + 1
        what = f"remote model {self.name!r}, pair{'s' if len(documents) > 1 else ''} {first}" + (
            f"..{last}" if last != first else ""
        )

        def attempt(endpoint: Endpoint) -> list[Prediction]:
            try:
                preds = self.protocol.send(endpoint, request.query, documents, instruction, cache=cache)
            except ValueError as exc:  # keep the type (RemoteAnswerError...), say which pairs
                exc.args = (f"{what}: {exc}", *exc.args[1:])
                raise
            if len(preds) != len(documents):
                raise ValueError(
                    f"{what}: {endpoint.route} returned {len(preds)} scores for {len(documents)} documents."
                )
            return preds

        return call_with_retries(self.pool, attempt, what=what, retries=self.retries)

    def _predict_pairs(
        self,
        pairs: Sequence[tuple[Item, Item]],
        instruction: str,
        *,
        progress: ProgressCallback | None = None,
    ) -> list[Prediction]:
        requests = plan_requests(pairs, self.protocol.batch_size)
        out: list[Prediction | None] = [None] * len(pairs)
        workers = min(len(requests), self.pool.max_concurrency * len(self.pool.endpoints))
        done_pairs = 0
        # One image cache for the whole call: a query's image is fitted and encoded once, not once per request (its
        # pairs hold every image alive until the call ends, so the id() keys stay unique).
        cache: ImageCache = {}
        with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="lychee-remote") as executor:
            pending: dict[Future, Request] = {
                executor.submit(self._send, r, pairs, instruction, cache): r for r in requests
            }
            try:
                while pending:
                    finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        request = pending.pop(future)
                        preds = future.result()  # raises the request's error: the rest is cancelled below
                        for position, pred in zip(request.positions, preds):
                            out[position] = pred
                        done_pairs += len(request.positions)
                    if progress is not None:
                        progress(done_pairs, len(pairs))  # called on the caller's thread (Streamlit needs that)
            finally:
                for future in pending:
                    future.cancel()
        self.stats.add(requests=len(requests))
        missing = [i + 1 for i, p in enumerate(out) if p is None]
        if missing:  # pragma: no cover - every request fills its positions or raises
            raise RuntimeError(f"remote model {self.name!r}: no score for pairs {missing[:10]}.")
        return out  # type: ignore[return-value]


__all__ = ["RemoteScorer", "Request", "WireProtocol", "plan_requests"]
