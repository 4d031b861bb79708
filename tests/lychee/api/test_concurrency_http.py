"""32 clients at once against the real server: each gets its own correct answer (scores equal to the library's)."""

from __future__ import annotations

import threading

import httpx
import pytest

PRODUCTS = [
    "running shoes",
    "ceramic teapot",
    "wool socks",
    "rain jacket",
    "yoga mat",
    "water bottle",
    "backpack",
    "tent",
]
COLORS = ["red", "blue", "black", "green"]


def job(i: int) -> tuple[str, list[str]]:
    """A distinct query with its own candidate titles."""
    product, color = PRODUCTS[i % 8], COLORS[i // 8]
    docs = [f"{color} {product} model {i}-{j}" for j in range(6)] + [f"{PRODUCTS[(i + 3) % 8]} {i}", f"unrelated {i}"]
    return f"{color} {product}", docs


def test_32_concurrent_clients_each_get_their_own_answer(server, default_scorer):
    n = 32
    results: dict[int, tuple[str, dict]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def client(i: int) -> None:
        query, docs = job(i)
        path = ("/v1/rerank", "/api/rerank", "/v2/rerank", "/rerank")[i % 4]
        try:
            with httpx.Client(base_url=server, timeout=300) as c:
                barrier.wait(timeout=60)
                resp = c.post(path, json={"query": query, "documents": docs})
            results[i] = (path, resp.json() | {"_status": resp.status_code})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors[:3]
    assert len(results) == n
    for i, (path, body) in results.items():
        assert body["_status"] == 200, body
        query, docs = job(i)
        expected = default_scorer.rank(query, docs)
        key = "score" if path == "/api/rerank" else "relevance_score"
        assert [r["index"] for r in body["results"]] == [r.index for r in expected], i
        assert [r[key] for r in body["results"]] == pytest.approx([r.score for r in expected], abs=1e-6), i
