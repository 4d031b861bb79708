"""The process-wide loader: one load per key, background loading with states, pins, release and eviction."""

from __future__ import annotations

import threading

import pytest

from lychee.serving import ModelLoader

KEY = ("m", None, None)


class Recorder:
    """A load function that records its calls and can be held until released (stands in for lychee.load_scorer)."""

    def __init__(self, *, fail: Exception | None = None) -> None:
        self.calls: list[tuple[str, str | None, str | None]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, model: str, *, device: str | None, dtype: str | None) -> object:
        with self._lock:
            self.calls.append((model, device, dtype))
        self.started.set()
        assert self.gate.wait(30), "test gate never opened"
        if self.fail is not None:
            raise self.fail
        return object()


def test_load_once_per_key_and_share_the_object():
    load = Recorder()
    loader = ModelLoader(load)
    first = loader.load(KEY)
    assert loader.load(KEY) is first
    assert loader.loaded(KEY) is first
    assert load.calls == [("m", None, None)]
    assert loader.loaded(("m", "cpu", None)) is None  # another key is not loaded


def test_background_load_reports_loading_then_loaded_and_callers_join_it():
    load = Recorder()
    load.gate.clear()
    loader = ModelLoader(load)
    assert loader.status(KEY).state == "absent"
    assert loader.start(KEY, pin=True).state == "loading"
    assert load.started.wait(10)
    assert loader.status(KEY).state == "loading"
    assert loader.loaded(KEY) is None

    joined: list[object] = []
    waiter = threading.Thread(target=lambda: joined.append(loader.load(KEY)))
    waiter.start()
    load.gate.set()
    waiter.join(10)
    status = loader.status(KEY)
    assert status.state == "loaded" and status.loaded is joined[0]
    assert len(load.calls) == 1, "the waiting caller must join the background load, not start another"


def test_concurrent_callers_trigger_a_single_load():
    load = Recorder()
    load.gate.clear()
    loader = ModelLoader(load)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(loader.load(KEY))) for _ in range(8)]
    for t in threads:
        t.start()
    assert load.started.wait(10)
    load.gate.set()
    for t in threads:
        t.join(10)
    assert len(load.calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_a_failed_load_is_reported_and_retried_only_on_an_explicit_load():
    load = Recorder(fail=ValueError("model 'm' not found"))
    loader = ModelLoader(load)
    loader.start(KEY)
    status = loader.wait(KEY, timeout=10)
    assert status.state == "failed" and str(status.error) == "model 'm' not found"
    loader.start(KEY)  # a background start does not retry a failure
    assert len(load.calls) == 1
    with pytest.raises(ValueError, match="model 'm' not found"):
        loader.load(KEY)  # an explicit load does
    assert len(load.calls) == 2
    load.fail = None
    assert loader.load(KEY) is not None
    assert loader.status(KEY).state == "loaded"


def test_pinned_models_are_never_released_or_evicted_and_do_not_count():
    loader = ModelLoader(Recorder(), max_entries=1)
    pinned = loader.load(KEY, pin=True)
    assert loader.release(KEY) is False
    other = ("other", None, None)
    loader.load(other)
    assert loader.loaded(KEY) is pinned and loader.loaded(other) is not None  # the pinned one is extra
    loader.load(("third", None, None))
    assert loader.loaded(KEY) is pinned
    assert loader.loaded(other) is None, "the least recently used unpinned model is evicted"
    assert loader.release(("third", None, None)) is True
    assert loader.loaded(("third", None, None)) is None


def test_eviction_keeps_the_most_recently_used():
    loader = ModelLoader(Recorder(), max_entries=2)
    a, b, c = (("a", None, None), ("b", None, None), ("c", None, None))
    loader.load(a)
    loader.load(b)
    loader.loaded(a)  # touch a: b is now the least recently used
    loader.load(c)
    assert loader.loaded(a) is not None and loader.loaded(c) is not None
    assert loader.loaded(b) is None


def test_max_entries_is_validated():
    with pytest.raises(ValueError, match="max_entries must be a positive integer, got 0"):
        ModelLoader(Recorder(), max_entries=0)


def test_the_server_and_a_session_asking_for_the_same_model_get_the_same_key(monkeypatch):
    from lychee.serving.environment import loader_key, server_model_key

    monkeypatch.setenv("LYCHEE_MODEL", " /ckpt/lychee ")
    monkeypatch.setenv("LYCHEE_DEVICE", "cpu")
    monkeypatch.delenv("LYCHEE_DTYPE", raising=False)
    assert server_model_key() == loader_key("/ckpt/lychee", "cpu", "auto") == ("/ckpt/lychee", "cpu", None)
    assert loader_key(" default ", None, "bfloat16") == ("default", None, "bfloat16")
    monkeypatch.setenv("LYCHEE_MODEL", "http://gpu-1:8000")  # a remote model's device and dtype are its server's
    assert server_model_key() == loader_key("http://gpu-1:8000", "cpu", "float32") == ("http://gpu-1:8000", None, None)
