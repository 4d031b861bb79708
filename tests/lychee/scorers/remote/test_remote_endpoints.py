"""Remote scorers without a model: naming (URLs, protocol prefixes), the endpoint pool, retries with backoff, and
loading against a dead URL or a server that is not a rerank endpoint (both fail fast with the URL and what was tried).
"""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

import lychee
from lychee.scorers.remote import RemoteUnavailableError, is_remote, join_model, split_model
from lychee.scorers.remote.endpoints import (
    BACKOFF_BASE,
    DOWN_AFTER,
    Endpoint,
    EndpointPool,
    RetryableError,
    backoff_seconds,
    call_with_retries,
    parse_endpoints,
)
from lychee.scorers.remote.rerank import indexed_scores, logit
from lychee.scorers.remote.transport import RemoteAnswerError
from tests.servers import free_port
from tests.servers import LocalHTTPServer


# --- naming ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "protocol", "base", "route"),
    [
        ("http://h:8000", "rerank", "http://h:8000", "http://h:8000/v1/rerank"),
        ("http://h:8000/", "rerank", "http://h:8000", "http://h:8000/v1/rerank"),
        ("https://h/v2/rerank", "rerank", "https://h", "https://h/v2/rerank"),
        ("http://gw/lychee/v1/rerank", "rerank", "http://gw/lychee", "http://gw/lychee/v1/rerank"),
        ("http://h:9/score-it", "rerank", "http://h:9", "http://h:9/score-it"),
        ("http://h:8080", "tei", "http://h:8080", "http://h:8080/rerank"),
        ("http://h:8000", "openai-chat", "http://h:8000", "http://h:8000/v1"),
        ("http://h:8000/v1/chat/completions", "openai-chat", "http://h:8000", "http://h:8000/v1"),
        ("http://gw/openai/v1", "openai-chat", "http://gw/openai", "http://gw/openai/v1"),
    ],
)
def test_endpoint_routes(url, protocol, base, route):
    (ep,) = parse_endpoints(url, protocol)
    assert (ep.base, ep.route) == (base, route)


def test_several_endpoints_from_a_list_or_commas():
    assert [e.url for e in parse_endpoints("http://a:1, http://b:2", "rerank")] == ["http://a:1", "http://b:2"]
    assert [e.url for e in parse_endpoints(["http://a:1", "http://b:2"], "rerank")] == ["http://a:1", "http://b:2"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://h:1", "expected http(s)://host:port[/path]"),
        ("http://:80", "expected http(s)://host:port[/path]"),
        ("http://h:1/v1/rerank?x=1", "has a query string or fragment"),
        ("http://user:pw@h:1", "carries credentials; pass the key as api_key="),
        ("http://h:port", "the port is not a number"),
        ("http://h:1,http://h:1", "is listed twice"),
    ],
)
def test_bad_urls_are_refused_with_the_url(url, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_endpoints(url, "rerank")


def test_model_strings():
    assert is_remote("http://h:1") and is_remote("openai-chat+https://h") and is_remote(" tei+http://h,http://g")
    assert not is_remote("default") and not is_remote("/models/lychee") and not is_remote("vec-ai/lychee-rerank-mm")
    assert split_model("openai-chat+http://a:1,http://b:2") == ("openai-chat", ["http://a:1", "http://b:2"])
    assert split_model("http://a:1") == ("rerank", ["http://a:1"])
    assert split_model("http://a:1", "tei") == ("tei", ["http://a:1"])
    assert join_model("rerank", ["http://a:1"]) == "http://a:1"
    assert join_model("openai-chat", ["http://a:1", "http://b:2"]) == "openai-chat+http://a:1,http://b:2"
    with pytest.raises(ValueError, match=r"the URLs carry different protocols \['openai-chat', 'tei'\]"):
        split_model("tei+http://a:1,openai-chat+http://b:2")
    with pytest.raises(ValueError, match=r"says protocol 'tei', but protocol='rerank' was passed"):
        split_model("tei+http://a:1", "rerank")
    with pytest.raises(ValueError, match=r"protocol must be one of \['rerank', 'tei', 'openai-chat'\], got 'grpc'"):
        split_model("http://a:1", "grpc")


def test_options_for_the_wrong_kind_of_model():
    with pytest.raises(ValueError, match=re.escape("is a remote URL, so ['device', 'dtype'] do not apply")):
        lychee.load_scorer("http://127.0.0.1:9", device="cpu", dtype="float32")
    with pytest.raises(ValueError, match=re.escape("['max_concurrency', 'protocol'] apply to a remote model")):
        lychee.load_scorer("default", protocol="tei", max_concurrency=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_concurrency": 0}, "max_concurrency must be a positive integer, got 0."),
        ({"batch_size": -1}, "batch_size must be a positive integer, got -1."),
        ({"timeout": 0}, "timeout must be a positive number of seconds, got 0."),
        ({"retries": -1}, "retries must be an integer >= 0, got -1."),
    ],
)
def test_bad_remote_options(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        lychee.load_scorer("http://127.0.0.1:9", **options)


# --- answers ----------------------------------------------------------------------------------------------------------
def test_indexed_scores_in_input_order_and_refusals():
    rows = [
        {"index": 2, "relevance_score": 0.1},
        {"index": 0, "relevance_score": 0.9},
        {"index": 1, "relevance_score": 0.5},
    ]
    assert indexed_scores(rows, 3, key="relevance_score", where="w") == [0.9, 0.5, 0.1]
    with pytest.raises(RemoteAnswerError, match=r"scores 2 of the 3 documents sent \(missing indices \[1\]\)"):
        indexed_scores(rows[:2], 3, key="relevance_score", where="w")
    with pytest.raises(RemoteAnswerError, match=r"document index 0 appears twice"):
        indexed_scores([rows[1], rows[1]], 3, key="relevance_score", where="w")
    with pytest.raises(RemoteAnswerError, match=r"the score 3.2 is outside \[0, 1\]: the server returns raw scores"):
        indexed_scores([{"index": 0, "relevance_score": 3.2}], 1, key="relevance_score", where="w")
    with pytest.raises(RemoteAnswerError, match=r"has no valid 'index' \(expected 0..0\)"):
        indexed_scores([{"index": 5, "relevance_score": 0.2}], 1, key="relevance_score", where="w")


def test_logit_is_exact_and_infinite_at_the_ends():
    assert logit(0.5) == 0.0
    assert logit(0.75) == pytest.approx(1.0986122886681098, abs=1e-15)
    assert logit(1.0) == float("inf") and logit(0.0) == float("-inf")


# --- the pool and retries -----------------------------------------------------------------------------------------------
def endpoints(n: int) -> list[Endpoint]:
    return [Endpoint(f"http://e{i}", f"http://e{i}", f"http://e{i}/v1/rerank") for i in range(n)]


def test_pool_spreads_requests_in_turn():
    pool = EndpointPool(endpoints(3), max_concurrency=2)
    used = []
    for _ in range(6):
        ep = pool.acquire()
        used.append(ep.url)
        pool.release(ep)
    assert sorted(used) == sorted(["http://e0", "http://e1", "http://e2"] * 2)
    held = [pool.acquire() for _ in range(3)]
    assert len({e.url for e in held}) == 3  # fewest in flight first


def test_pool_blocks_at_max_concurrency():
    pool = EndpointPool(endpoints(1), max_concurrency=2)
    a, b = pool.acquire(), pool.acquire()
    got = []
    thread = threading.Thread(target=lambda: got.append(pool.acquire()))
    thread.start()
    thread.join(0.2)
    assert thread.is_alive() and not got  # a third request waits for a free slot
    pool.release(a)
    thread.join(2)
    assert got == [a] and not thread.is_alive()
    pool.release(b)


def test_retries_with_backoff_move_to_another_endpoint():
    pool = EndpointPool(endpoints(2), max_concurrency=4)
    seen, sleeps = [], []

    def send(ep):
        seen.append(ep.url)
        if len(seen) < 3:
            raise RetryableError("connection refused")
        return "ok"

    assert call_with_retries(pool, send, what="t", retries=3, sleep=sleeps.append) == "ok"
    assert seen[0] != seen[1] and seen[1] != seen[2]  # a retry avoids the endpoint that just failed
    assert sleeps == [BACKOFF_BASE, BACKOFF_BASE * 2]


def test_retry_after_is_honoured_and_capped():
    assert backoff_seconds(0, 2.0) == 2.0
    assert backoff_seconds(0, 3600.0) == 30.0
    assert backoff_seconds(3, None) == BACKOFF_BASE * 8


def test_an_endpoint_failing_repeatedly_is_set_aside():
    pool = EndpointPool(endpoints(2), max_concurrency=4)
    dead, alive = pool.endpoints
    for _ in range(DOWN_AFTER):
        assert pool.acquire(avoid=alive) == dead
        pool.release(dead, error="connection refused")
    used = []
    for _ in range(4):
        ep = pool.acquire()
        used.append(ep.url)
        pool.release(ep)
    assert used == ["http://e1"] * 4
    assert "http://e0 (3 failures in a row, last: connection refused)" in pool.describe_failures()


def test_a_full_live_endpoint_is_waited_for_rather_than_one_set_aside():
    pool = EndpointPool(endpoints(2), max_concurrency=2)
    dead, alive = pool.endpoints
    for _ in range(DOWN_AFTER):
        assert pool.acquire(avoid=alive) == dead
        pool.release(dead, error="connection refused")
    held = [pool.acquire(), pool.acquire()]
    assert held == [alive, alive]
    got = []
    thread = threading.Thread(target=lambda: got.append(pool.acquire()))
    thread.start()
    thread.join(0.2)
    assert thread.is_alive() and not got  # the dead endpoint's free slots are not taken
    pool.release(held[0])
    thread.join(2)
    assert got == [alive] and not thread.is_alive()
    pool.release(held[1])
    pool.release(got[0])


def test_busy_answers_do_not_set_an_endpoint_aside():
    pool = EndpointPool(endpoints(1), max_concurrency=4)
    for _ in range(DOWN_AFTER + 2):
        pool.release(pool.acquire(), error="HTTP 429", busy=True)
    assert not pool.all_down()


def test_all_attempts_failing_names_each_attempt():
    pool = EndpointPool(endpoints(2), max_concurrency=1)

    def send(ep):
        raise RetryableError("HTTP 503 (loading)")

    with pytest.raises(RemoteUnavailableError) as info:
        call_with_retries(pool, send, what="pairs 1..4", retries=2, sleep=lambda s: None)
    message = str(info.value)
    assert message.startswith("pairs 1..4: no endpoint answered after 3 attempts (http://e0/v1/rerank: HTTP 503")
    assert "http://e1/v1/rerank: HTTP 503 (loading)" in message and "Check that the server is running" in message


def test_a_final_error_is_not_retried():
    pool = EndpointPool(endpoints(2), max_concurrency=1)
    calls = []

    def send(ep):
        calls.append(ep)
        raise RemoteAnswerError("HTTP 400: bad request")

    with pytest.raises(RemoteAnswerError):
        call_with_retries(pool, send, what="t", retries=3, sleep=lambda s: None)
    assert len(calls) == 1


# --- loading against a dead URL and a wrong server ------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", ["rerank", "tei", "openai-chat"])
def test_dead_url_fails_fast_naming_the_url_and_what_was_tried(protocol):
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}"
    start = time.monotonic()
    with pytest.raises(ValueError) as info:
        lychee.load_scorer(url, protocol=protocol)
    elapsed = time.monotonic() - start
    message = str(info.value)
    assert message.startswith(f"remote model {url}: no usable answer. Tried: GET {url}/")
    assert "connection refused" in message and "Check the URL (scheme, host, port)" in message
    assert elapsed < 60  # the bound: a dead endpoint fails within a minute


class NotARerankServer(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _html(self):
        body = b"<html><body>Not Found</body></html>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _html


@pytest.fixture
def wrong_server():
    with LocalHTTPServer(NotARerankServer) as server:
        yield server.url


@pytest.mark.parametrize("protocol", ["rerank", "tei", "openai-chat"])
def test_wrong_endpoint_fails_clearly(wrong_server, protocol):
    with pytest.raises(ValueError) as info:
        lychee.load_scorer(wrong_server, protocol=protocol)
    message = str(info.value)
    assert message.startswith(f"remote model {wrong_server}: does not answer like a '{protocol}' endpoint")
    assert "answered HTTP 404" in message and "Check the path in the URL and the protocol" in message


def test_text_only_remote_refuses_images_before_sending(wrong_server):
    from PIL import Image

    from lychee.contract import Capabilities
    from lychee.scorers.remote import RemoteScorer

    scorer = RemoteScorer(name="tei+http://x", family="remote", capabilities=Capabilities(image=False))
    with pytest.raises(ValueError, match=r"document 1 has an image, but the model 'tei\+http://x' reads text only"):
        scorer.score("shoes", [{"image": Image.new("RGB", (8, 8))}])
