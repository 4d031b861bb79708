"""API benchmark (``python -m eval.bench --api``): the rerank HTTP API against the library, same machine, same run.

A local server is started the way ``./start.sh`` starts it (``streamlit run lychee/ui/server.py``, embedded default
model) on a free port, and stopped at the end. Every call sends 50 *fresh* titles — never sent before, so neither the
server's nor the library's document cache holds them:

  api_rerank50_s          median latency of one ``POST /v1/rerank`` (query + 50 titles), one client
  library_rerank50_s      median time of ``scorer.rank(query, 50 titles)`` in this process (model warm)
  api_concurrent8_rps     requests per second with 8 clients sending such requests at once
  library_sequential_rps  ``rank()`` calls per second, one after another, in this process
  api_latency_ratio       api / library latency, median over interleaved pairs of calls     (target <= 1.25)
  api_throughput_ratio    api_concurrent8 / library_sequential, median over alternating runs (target >= 0.9)
  api_load_average        the machine's 1-minute load average during the run (other processes' work)

The client (``http.client``, one keep-alive connection per client thread) runs on the same CPU as the server.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eval.bench.clock import interleaved_times
from lychee.serving.environment import server_command

ROOT = Path(__file__).resolve().parents[2]
QUERY = "red running shoes"
N_TITLES = 50
CLIENTS = 8


class FreshTitles:
    """Titles never handed out before (thread-safe): each batch misses every document cache.

    Args:
        make: ``make(n, offset)`` -> ``n`` distinct titles (``eval.bench.timings.titles``), distinct across offsets.
        start: the first offset.
    """

    def __init__(self, make: Callable[..., list[str]], start: int = 1_000_000) -> None:
        self._make = make
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def batch(self, n: int = N_TITLES) -> list[str]:
        with self._lock:
            first = next(self._counter)
            for _ in range(n - 1):
                next(self._counter)
        return self._make(n, offset=first)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def local_server(*, timeout_s: float = 300.0) -> Iterator[int]:
    """Serve dashboard + API on a free port (the command ``./start.sh`` runs) until the model is loaded; yield the
    port; stop the server's process group on exit."""
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for name in ("LYCHEE_MODEL", "LYCHEE_API_KEY"):
        env.pop(name, None)
    log = tempfile.NamedTemporaryFile(prefix="lychee-bench-server-", suffix=".log", delete=False)
    cmd = server_command(sys.executable, port)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}; see {log.name}")
            try:
                status, _ = _request(port, "GET", "/api/health")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server was not ready after {timeout_s:.0f} s; see {log.name}")
            time.sleep(0.5)
        yield port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)


def _request(
    port: int,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, dict[str, Any]]:
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    data = None if body is None else json.dumps(body).encode()
    try:
        for attempt in (1, 2):
            try:
                conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                return resp.status, json.loads(resp.read())
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                # the server closes idle keep-alive connections (uvicorn: after 5 s); reconnect once
                conn.close()
                if attempt == 2 or own:
                    raise
        raise AssertionError("unreachable")
    finally:
        if own:
            conn.close()


def _rerank(port: int, conn: http.client.HTTPConnection, documents: list[str]) -> None:
    status, body = _request(port, "POST", "/v1/rerank", {"query": QUERY, "documents": documents}, conn)
    if status != 200 or len(body["results"]) != len(documents):
        raise RuntimeError(f"POST /v1/rerank answered {status}: {str(body)[:300]}")


def _library_throughput(call: Any, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - t0)


def _api_throughput(port: int, fresh: FreshTitles, requests_per_client: int) -> float:
    """Requests per second of ``CLIENTS`` threads each sending ``requests_per_client`` reranks at once."""
    batches = [[fresh.batch() for _ in range(requests_per_client)] for _ in range(CLIENTS)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(CLIENTS + 1)

    def client(work: list[list[str]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            barrier.wait()
            for documents in work:
                _rerank(port, conn, documents)
        except BaseException as exc:  # reported below; a failed client invalidates the figure
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(work,)) for work in batches]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} of {CLIENTS} API clients failed: {errors[0]}")
    return CLIENTS * requests_per_client / elapsed


def bench_api(
    repeats: int, *, titles: Callable[..., list[str]], requests_per_client: int = 2, rounds: int = 6
) -> dict[str, float]:
    """The API figures (see the module docstring): latencies over ``repeats`` interleaved calls, throughputs over
    ``rounds`` alternating runs of ``8 * requests_per_client`` requests (medians)."""
    from lychee import load_scorer

    fresh = FreshTitles(titles)
    scorer = load_scorer("default", device="cpu")
    load_before = os.getloadavg()[0]
    with local_server() as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def api_call() -> None:
            _rerank(port, conn, fresh.batch())

        def library_call() -> None:
            scorer.rank(QUERY, fresh.batch())

        times = interleaved_times({"api": api_call, "library": library_call}, repeats, warmups=2)
        conn.close()

        library_rps: list[float] = []
        api_rps: list[float] = []
        for _ in range(rounds):  # alternate short throughput runs, so machine noise hits both alike
            library_rps.append(_library_throughput(library_call, CLIENTS * requests_per_client))
            api_rps.append(_api_throughput(port, fresh, requests_per_client))
    out: dict[str, float] = {
        "api_rerank50_s": statistics.median(times["api"]),
        "library_rerank50_s": statistics.median(times["library"]),
        "api_concurrent8_rps": statistics.median(api_rps),
        "library_sequential_rps": statistics.median(library_rps),
    }
    # ratios of paired measurements (same moment, same machine load), then the median over pairs
    out["api_latency_ratio"] = statistics.median(a / b for a, b in zip(times["api"], times["library"]))
    out["api_throughput_ratio"] = statistics.median(a / b for a, b in zip(api_rps, library_rps))
    out["api_load_average"] = (load_before + os.getloadavg()[0]) / 2  # other work on the machine during the run
    return out


__all__ = ["FreshTitles", "bench_api", "local_server"]
