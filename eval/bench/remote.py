"""Benchmark of a remote model: ``python -m eval.bench --model URL [--concurrency N] [--json]``.

Measures, against whatever serves ``URL`` (this project's server, vLLM, TEI; see docs/deploy.md):

  remote_load_s            load_scorer(URL): asking each endpoint what it serves
  remote_rerank50_s        median latency of one ``rank(query, 50 titles)``, titles never sent before (no server cache)
  remote_pairs             pairs scored in the throughput run (``--queries`` queries x 50 fresh titles)
  remote_pairs_per_s       those pairs over the wall time of one ``predict_pairs`` call, ``max_concurrency`` requests in
                           flight per endpoint
  remote_requests          requests sent in the throughput run, and remote_served (answered, per endpoint)

The figures describe the client machine (``machine``), the network and the server together; the server's own device
is reported as ``remote_device`` when it says (this project's server does).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

QUERIES = ["red running shoes", "waterproof rain jacket", "wool socks for hiking", "insulated water bottle"]


def bench_remote(
    model: str,
    *,
    titles: Callable[..., list[str]],
    concurrency: int,
    repeats: int,
    queries: int = 20,
    batch_size: int | None = None,
) -> dict[str, Any]:
    """The measures of the module docstring for the remote ``model``.

    Args:
        titles: ``titles(n, offset=...)``: ``n`` distinct product titles (``eval.bench.timings.titles``).

    Raises:
        ValueError: the URL is malformed, dead, or not a rerank endpoint (from ``load_scorer``).
    """
    from lychee import load_scorer

    start = time.perf_counter()
    scorer = load_scorer(model, max_concurrency=concurrency, batch_size=batch_size)
    load_s = time.perf_counter() - start
    info = scorer.info
    # Titles this server has never seen, also across bench runs against a long-lived server (whose embedding cache
    # would otherwise answer repeated titles without encoding them).
    offset = random.randrange(10**6, 10**9)

    def fresh(n: int) -> list[str]:
        nonlocal offset
        offset += n
        return titles(n, offset=offset)

    scorer.rank(QUERIES[0], fresh(50))  # warm-up: connections opened, server paths warm
    latencies = []
    for i in range(repeats):
        docs = fresh(50)
        t0 = time.perf_counter()
        scorer.rank(QUERIES[i % len(QUERIES)], docs)
        latencies.append(time.perf_counter() - t0)

    pairs = [(f"{QUERIES[q % len(QUERIES)]} {q}", doc) for q in range(queries) for doc in fresh(50)]
    before = scorer.stats.get("requests")
    served_before = scorer.requests_served()
    t0 = time.perf_counter()
    scorer.predict_pairs(pairs)
    wall = time.perf_counter() - t0
    served = {url: n - served_before.get(url, 0) for url, n in scorer.requests_served().items()}
    return {
        "remote_model": info.name,
        "remote_protocol": info.details.get("protocol"),
        "remote_served_model": info.details.get("remote_model"),
        "remote_device": info.device,
        "remote_dtype": info.dtype,
        "remote_endpoints": len(info.details.get("endpoints", [])),
        "remote_concurrency": concurrency,
        "remote_batch_size": info.batch_size,
        "remote_load_s": load_s,
        "remote_rerank50_s": statistics.median(latencies),
        "remote_pairs": len(pairs),
        "remote_pairs_per_s": len(pairs) / wall,
        "remote_requests": scorer.stats.get("requests") - before,
        "remote_served": served,
    }


__all__ = ["QUERIES", "bench_remote"]
