"""The API's state logic in-process (uvicorn in a thread, real HTTP): 503 + Retry-After while the model loads, a
failed load, 429 when the queue is full, the body cap, and one model shared by the API and the dashboard's pages.

The loader here gets a load function the test controls (a gate), so "loading" lasts exactly as long as the test
wants; the 429 test uses a stand-in scorer that holds its callers until released (a test double, not a model).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from lychee.api import ApiConfig, build_api
from lychee.results import Prediction
from lychee.scorers.base import BaseScorer
from lychee.serving import LOADER, ModelLoader
from tests.servers import ROOT, free_port

KEY = ("default", None, None)


@contextlib.contextmanager
def running(api) -> Iterator[str]:
    """Serve ``api`` (routes, guard, lifespan) with uvicorn in a thread; yield its base URL."""
    app = Starlette(routes=api.routes, middleware=api.middleware, lifespan=api.lifespan)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


class Gate:
    """A load function that waits until ``open()`` (or fails with ``error``)."""

    def __init__(self, scorer, error: Exception | None = None) -> None:
        self.scorer, self.error = scorer, error
        self.event = threading.Event()

    def open(self) -> None:
        self.event.set()

    def __call__(self, model, *, device, dtype):
        assert self.event.wait(60)
        if self.error is not None:
            raise self.error
        return self.scorer


def test_503_with_retry_after_while_the_model_loads(default_scorer):
    gate = Gate(default_scorer)
    loader = ModelLoader(gate)
    with running(build_api(config=ApiConfig(), loader=loader, key=KEY)) as url:
        health = httpx.get(url + "/api/health")
        assert health.status_code == 503 and health.headers["retry-after"] == "5"
        assert health.json()["status"] == "loading" and health.json()["model"] == "default"
        for path in ("/api/rerank", "/v1/rerank"):
            resp = httpx.post(url + path, json={"query": "red", "documents": ["red shoe"]})
            assert resp.status_code == 503 and resp.headers["retry-after"] == "5"
            error = resp.json()["error"]
            assert error["type"] == "service_unavailable"
            assert "The server's model 'default' is still loading" in error["message"]
        assert httpx.get(url + "/api/model").status_code == 503
        gate.open()
        assert loader.wait(KEY, timeout=30).state == "loaded"
        assert httpx.get(url + "/api/health").json() == {
            "status": "loaded",
            "model": "all-MiniLM-L6-v2",
            "load_seconds": pytest.approx(loader.status(KEY).loaded.seconds, abs=1e-3),
        }
        resp = httpx.post(url + "/v1/rerank", json={"query": "red", "documents": ["red shoe"]})
        assert resp.status_code == 200
    assert loader.status(KEY).loaded.scorer is default_scorer
    assert len(loader.keys()) == 1


def test_a_failed_load_is_a_503_naming_the_error_in_one_line_without_server_paths(default_scorer):
    error = ValueError(
        "model '/srv/models/x' not found. Tried: /srv/models/x/config.json, /home/ops/.cache/x\nTraceback (most ..."
    )
    gate = Gate(default_scorer, error=error)
    gate.open()
    loader = ModelLoader(gate)
    key = ("/srv/models/x", None, None)
    with running(build_api(config=ApiConfig(), loader=loader, key=key)) as url:
        loader.wait(key, timeout=30)
        health = httpx.get(url + "/api/health")
        assert health.status_code == 503
        assert health.json() == {
            "status": "failed",
            "model": "x",
            "error": "model 'x' not found. Tried: x/config.json, …/x",
        }
        resp = httpx.post(url + "/v1/rerank", json={"query": "red", "documents": ["red shoe"]})
        assert resp.status_code == 503 and "retry-after" not in resp.headers
        assert "The server's model 'x' failed to load: model 'x' not found." in resp.json()["error"]["message"]
        assert "/srv" not in health.text + resp.text and "/home" not in health.text + resp.text


@dataclass
class HeldScorer(BaseScorer):
    """A stand-in scorer whose calls wait until ``release`` is set (to hold requests in flight)."""

    release: threading.Event = field(default_factory=threading.Event)
    entered: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def _predict_pairs(self, pairs, instruction, *, progress=None):
        if [d.text for _, d in pairs] == ["warm-up"]:  # the server's own warm-up after loading passes
            return [Prediction(score=0.5, log_odds=0.0)]
        self.entered.release()
        assert self.release.wait(60)
        return [Prediction(score=0.5, log_odds=0.0) for _ in pairs]


def test_429_when_the_queue_is_full():
    scorer = HeldScorer(name="held", family="test")
    loader = ModelLoader(lambda model, *, device, dtype: scorer)
    config = ApiConfig(max_in_flight=2, workers=2)
    with running(build_api(config=config, loader=loader, key=KEY)) as url:
        loader.wait(KEY, timeout=30)
        answers: list[int] = []

        def call() -> None:
            answers.append(
                httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["d"]}, timeout=60).status_code
            )

        held = [threading.Thread(target=call) for _ in range(2)]
        for t in held:
            t.start()
        for _ in range(2):
            assert scorer.entered.acquire(timeout=30)  # both requests are in flight
        busy = httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["d"]})
        assert busy.status_code == 429 and busy.headers["retry-after"] == "5"
        assert busy.json()["error"]["type"] == "rate_limit_error"
        assert (
            "2 requests are being scored or queued (limit 2, LYCHEE_API_MAX_IN_FLIGHT)"
            in busy.json()["error"]["message"]
        )
        assert httpx.get(url + "/api/health").status_code == 200  # GETs are not counted
        scorer.release.set()
        for t in held:
            t.join(60)
        assert answers == [200, 200]
        assert httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["d"]}).status_code == 200


def test_the_body_cap_is_configurable(default_scorer):
    loader = ModelLoader(lambda model, *, device, dtype: default_scorer)
    config = ApiConfig.from_env({"LYCHEE_API_MAX_BODY_MB": "0.001"})  # 1000 bytes
    with running(build_api(config=config, loader=loader, key=KEY)) as url:
        loader.wait(KEY, timeout=30)
        small = httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["d" * 100]})
        assert small.status_code == 200
        big = httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["d" * 2000]})
        assert big.status_code == 413
        assert "this server accepts at most 0.001 MB" in big.json()["error"]["message"]


def test_pages_and_api_share_one_model_and_a_session_cannot_release_it():
    from streamlit.testing.v1 import AppTest

    from lychee import ui

    LOADER.clear()
    try:
        with running(build_api(config=ApiConfig(), key=KEY)) as url:  # the process-wide loader, as lychee/ui/server.py does
            assert LOADER.wait(KEY, timeout=120).state == "loaded"
            served = LOADER.status(KEY).loaded
            assert httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["d"]}).status_code == 200

            at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)
            at.session_state["model"] = "default"
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            assert ui.loaded_model(ui.Settings()) is served  # the page reads the API's model, not a second copy
            assert any(" is loaded (" in s.value for s in at.success)

            # the session switches to another checkpoint: the server's pinned model stays
            at.sidebar.radio(key="_w_model_source").set_value("checkpoint").run()
            at.sidebar.text_input(key="_w_model_path").set_value("/nonexistent/ckpt").run()
            assert LOADER.loaded(KEY) is served
            assert httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["d"]}).status_code == 200
    finally:
        LOADER.clear()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LYCHEE_API_MAX_BODY_MB": "lots"}, "LYCHEE_API_MAX_BODY_MB='lots': expected a number >= 0.001 (default 20)"),
        ({"LYCHEE_API_MAX_DOCUMENTS": "0"}, "LYCHEE_API_MAX_DOCUMENTS='0': expected an integer >= 1 (default 1000)"),
        ({"LYCHEE_API_WORKERS": "1.5"}, "LYCHEE_API_WORKERS='1.5': expected an integer >= 1"),
        ({"LYCHEE_API_ALLOW_URLS": "yes"}, "LYCHEE_API_ALLOW_URLS='yes': expected 1 (on) or 0 (off)"),
    ],
)
def test_bad_configuration_stops_the_server_with_a_message(env, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        ApiConfig.from_env(env)


def test_configuration_from_the_environment():
    config = ApiConfig.from_env(
        {
            "LYCHEE_API_KEY": " k ",
            "LYCHEE_API_ALLOW_URLS": "1",
            "LYCHEE_API_MAX_DOCUMENTS": "50",
            "LYCHEE_API_MAX_BODY_MB": "2.5",
        }
    )
    assert (config.api_key, config.allow_urls, config.max_documents, config.max_body_bytes) == (
        "k",
        True,
        50,
        2_500_000,
    )
    assert ApiConfig.from_env({}) == ApiConfig()
