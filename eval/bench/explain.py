"""Explanation cost benchmark (``python -m eval.bench --explain``): what ``relevant_spans`` costs on top of the model.

The rerank API (its real routes, guard and worker threads, under uvicorn on a free port) runs in this process on the
same loaded default model as the library calls it is compared with, so both sides share one process, one model and
the same threads; only the work differs. Every call uses 50 *fresh* titles (never sent before, so no document cache
holds them or most of their variants):

  spans50_s            median latency of one ``POST /v1/rerank`` with ``"relevant_spans": true`` over 50 titles: the
                       rerank, then the occlusion of every title's words (every variant of every title in one call,
                       the rerank's pairs reused)
  spans50_variants_s   median time of ONE ``predict_pairs`` of exactly the pairs that request needs: the 50 (query,
                       title) pairs and every title with one word removed
  spans50_ratio        spans50 / spans50_variants, median over interleaved pairs of calls          (target <= 1.15)
  spans50_pairs        how many pairs that is (50 + the titles' words)
"""

from __future__ import annotations

import contextlib
import http.client
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from eval.bench.api import QUERY, FreshTitles, _free_port, _request
from eval.bench.clock import interleaved_times

N_TITLES = 50
KEY = ("default", None, None)


def _variants(titles: list[str]) -> list[tuple[str, str]]:
    """The pairs a ``relevant_spans`` request over ``titles`` scores: each title, and each title less one word."""
    from lychee.items import Item
    from lychee.salience.masking import PairMasker

    pairs = [(QUERY, t) for t in titles]
    for title in titles:
        masker = PairMasker(Item(QUERY), Item(title), parts={"document_text"})
        pairs += [(QUERY, masker.pair_without([i])[1].text) for i in range(len(masker))]
    return pairs


@contextlib.contextmanager
def api_in_process(scorer: Any) -> Iterator[int]:
    """The rerank API serving ``scorer`` (uvicorn in a thread of this process); yields its port."""
    import uvicorn
    from starlette.applications import Starlette

    from lychee.api import ApiConfig, build_api
    from lychee.serving import ModelLoader

    loader = ModelLoader(lambda model, *, device, dtype: scorer)
    api = build_api(config=ApiConfig(), loader=loader, key=KEY)
    app = Starlette(routes=api.routes, middleware=api.middleware, lifespan=api.lifespan)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="bench-explain-api", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the in-process API did not start within 120 s")
            time.sleep(0.05)
        loader.wait(KEY, timeout=120)
        yield port
    finally:
        server.should_exit = True
        thread.join(30)


def bench_explain(repeats: int, *, titles: Callable[..., list[str]]) -> dict[str, float]:
    """The figures of the module docstring: ``repeats`` interleaved API and library calls (medians)."""
    from lychee import load_scorer

    fresh = FreshTitles(titles, start=5_000_000)
    scorer = load_scorer("default", device="cpu")
    with api_in_process(scorer) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

        def api_call() -> None:
            body = {"query": QUERY, "documents": fresh.batch(N_TITLES), "relevant_spans": True}
            status, answer = _request(port, "POST", "/v1/rerank", body, conn)
            if status != 200 or any("relevant_spans" not in r for r in answer["results"]):
                raise RuntimeError(f"POST /v1/rerank with relevant_spans answered {status}: {str(answer)[:300]}")

        def library_call() -> None:
            scorer.predict_pairs(_variants(fresh.batch(N_TITLES)))

        times = interleaved_times({"api": api_call, "library": library_call}, repeats)
        conn.close()
    return {
        "spans50_s": statistics.median(times["api"]),
        "spans50_variants_s": statistics.median(times["library"]),
        "spans50_ratio": statistics.median(a / b for a, b in zip(times["api"], times["library"])),
        "spans50_pairs": float(len(_variants(titles(N_TITLES)))),
    }


__all__ = ["api_in_process", "bench_explain"]
