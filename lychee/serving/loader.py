"""One process-wide, thread-safe model loader shared by the dashboard's pages and the HTTP API.

Every caller that wants the model for a ``(model, device, dtype)`` key goes through :data:`LOADER`, so a page and an
API request get the very same scorer object, and a model is loaded at most once at a time: a second caller asking for
a key that is being loaded waits for that load instead of starting another. A load can also start in the background
(:meth:`ModelLoader.start`, used at server start) while callers read its state without waiting
(:meth:`ModelLoader.status`: ``"loading"``, ``"loaded"`` or ``"failed"``).

Scorers are stateless per call (their caches are thread-safe), so sharing one between threads gives every caller its
own correct results; the shared object is never mutated. A *pinned* key (the server's model) is never released or
evicted: a dashboard session that switches to another model releases only what the API does not serve.

The loader knows nothing of Streamlit or HTTP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from lychee.contract import Scorer
from lychee.scorers import load_scorer

logger = logging.getLogger(__name__)

ModelKey = tuple[str, str | None, str | None]
"""``(model, device, dtype)``: ``model`` as given to :func:`lychee.load_scorer`, ``None`` for automatic choices."""

LoadState = Literal["absent", "loading", "loaded", "failed"]


@dataclass(eq=False)
class LoadedModel:
    """A loaded scorer with what the dashboard reports about its loading.

    Attributes:
        scorer: the shared scorer (never mutate it).
        key: the ``(model, device, dtype)`` it was loaded for.
        seconds: how long loading took.
        loaded_at: when it finished (``time.time()``).
    """

    scorer: Scorer
    key: ModelKey
    seconds: float
    loaded_at: float


@dataclass(frozen=True)
class LoadStatus:
    """Where the load of one key stands; read with :meth:`ModelLoader.status` (never loads).

    Attributes:
        key: the ``(model, device, dtype)`` asked about.
        state: ``"absent"`` (never asked for, or released), ``"loading"``, ``"loaded"`` or ``"failed"``.
        loaded: the model when ``state == "loaded"``.
        error: why the last load failed when ``state == "failed"``.
        seconds: how long it has been loading (``"loading"``) or took (``"loaded"``, ``"failed"``).
    """

    key: ModelKey
    state: LoadState
    loaded: LoadedModel | None = None
    error: BaseException | None = None
    seconds: float = 0.0


@dataclass(eq=False)
class _Entry:
    started: float
    done: threading.Event = field(default_factory=threading.Event)
    loaded: LoadedModel | None = None
    error: BaseException | None = None
    finished: float | None = None
    pinned: bool = False
    last_used: float = 0.0


Loader = Callable[..., Scorer]


def _load_scorer(model: str, *, device: str | None, dtype: str | None) -> Scorer:
    return load_scorer(model, device=device, dtype=dtype)


class ModelLoader:
    """Loads scorers once per key, shares them between threads, and reports loading state.

    Args:
        load: builds a scorer as ``load(model, device=..., dtype=...)``; :func:`lychee.load_scorer` by default.
        max_entries: at most this many loaded models are kept besides the pinned ones (the server's model, which is
            never dropped); beyond it the least recently used one is dropped. Two let a dashboard session compare its
            model with a second one (A/B) next to the server's.

    Example:
        >>> loader = ModelLoader()
        >>> loader.start(("default", None, None), pin=True)   # returns at once; loads in a background thread
        >>> loader.status(("default", None, None)).state
        'loading'
        >>> loader.load(("default", None, None)).scorer       # waits for that same load
    """

    def __init__(self, load: Loader = _load_scorer, *, max_entries: int = 2) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be a positive integer, got {max_entries!r}.")
        self._load = load
        self.max_entries = max_entries
        self._entries: dict[ModelKey, _Entry] = {}
        self._lock = threading.Lock()

    # --- loading ------------------------------------------------------------------------------------------------
    def load(self, key: ModelKey, *, pin: bool = False) -> LoadedModel:
        """The model for ``key``, loading it now if nobody has (or waiting for a load in progress).

        A key whose last load failed is loaded again (the caller asked explicitly).

        Args:
            key: ``(model, device, dtype)``.
            pin: keep this model for the life of the process (never released or evicted).

        Raises:
            Whatever loading raises (``ValueError`` for a missing or unsupported checkpoint, ``ImportError``, ...).
        """
        entry, owner = self._claim(key, pin=pin, retry_failed=True)
        if owner:
            self._run(key, entry)
        entry.done.wait()
        if entry.error is not None:
            raise entry.error
        assert entry.loaded is not None  # done without an error means loaded
        return entry.loaded

    def start(self, key: ModelKey, *, pin: bool = False) -> LoadStatus:
        """Start loading ``key`` in a background thread (unless it is loaded or loading) and return at once.

        A failed load is not retried here; :meth:`load` retries. Returns the status right after starting.
        """
        entry, owner = self._claim(key, pin=pin, retry_failed=False)
        if owner:
            thread = threading.Thread(target=self._run, args=(key, entry), name=f"lychee-load-{key[0]}", daemon=True)
            thread.start()
        return self.status(key)

    def _claim(self, key: ModelKey, *, pin: bool, retry_failed: bool) -> tuple[_Entry, bool]:
        # Under the lock: reuse a loaded or loading entry, or create the entry this caller then loads (owner=True).
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (entry.error is None or not retry_failed):
                entry.pinned = entry.pinned or pin
                entry.last_used = time.monotonic()
                return entry, False
            pinned = pin or (entry is not None and entry.pinned)
            entry = _Entry(started=time.monotonic(), pinned=pinned, last_used=time.monotonic())
            self._entries[key] = entry
            return entry, True

    def _run(self, key: ModelKey, entry: _Entry) -> None:
        model, device, dtype = key
        start = time.perf_counter()
        try:
            scorer = self._load(model, device=device, dtype=dtype)
        except BaseException as exc:  # stored for every waiter and for status(); re-raised by load()
            entry.error = exc
            logger.warning("loading model %r (device=%s, dtype=%s) failed: %s", model, device, dtype, exc)
            if not isinstance(exc, Exception):
                raise  # KeyboardInterrupt / SystemExit: the waiters see it as the error, the thread still stops
        else:
            seconds = time.perf_counter() - start
            entry.loaded = LoadedModel(scorer=scorer, key=key, seconds=seconds, loaded_at=time.time())
            logger.info("loaded model %r (device=%s, dtype=%s) in %.1f s", model, device, dtype, seconds)
        finally:
            entry.finished = time.monotonic()
            entry.done.set()
        if entry.loaded is not None:
            self._evict(keep=key)

    def _evict(self, *, keep: ModelKey) -> None:
        with self._lock:
            unpinned = [(e.last_used, k) for k, e in self._entries.items() if e.loaded is not None and not e.pinned]
            candidates = sorted((t for t in unpinned if t[1] != keep), key=lambda t: t[0])
            excess = len(unpinned) - self.max_entries
            for _, k in candidates[: max(excess, 0)]:
                del self._entries[k]
                logger.info(
                    "evicted model %r (least recently used; at most %d kept besides pinned ones)",
                    k[0],
                    self.max_entries,
                )

    # --- reading ------------------------------------------------------------------------------------------------
    def status(self, key: ModelKey) -> LoadStatus:
        """Where the load of ``key`` stands; never loads and never waits."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            return LoadStatus(key=key, state="absent")
        now = time.monotonic()
        if not entry.done.is_set():
            return LoadStatus(key=key, state="loading", seconds=now - entry.started)
        took = (entry.finished or now) - entry.started
        if entry.error is not None:
            return LoadStatus(key=key, state="failed", error=entry.error, seconds=took)
        return LoadStatus(key=key, state="loaded", loaded=entry.loaded, seconds=took)

    def loaded(self, key: ModelKey) -> LoadedModel | None:
        """The model for ``key`` if it is loaded (by anyone), else ``None``; never loads."""
        status = self.status(key)
        if status.loaded is not None:
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    entry.last_used = time.monotonic()
        return status.loaded

    def wait(self, key: ModelKey, timeout: float | None = None) -> LoadStatus:
        """Wait up to ``timeout`` seconds for a load in progress to finish, then return the status."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None:
            entry.done.wait(timeout)
        return self.status(key)

    # --- releasing ----------------------------------------------------------------------------------------------
    def release(self, key: ModelKey) -> bool:
        """Forget the model for ``key`` unless it is pinned; returns True when it was released.

        Callers free memory afterwards (``gc.collect()``, ``torch.cuda.empty_cache()``) once nothing else holds the
        scorer.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.pinned:
                return False
            del self._entries[key]
        logger.info("released model %r", key[0])
        return True

    def clear(self) -> None:
        """Forget every model, pinned ones included (tests start from an empty loader with this)."""
        with self._lock:
            self._entries.clear()

    def keys(self) -> list[ModelKey]:
        """The keys loaded, loading or failed right now."""
        with self._lock:
            return list(self._entries)


#: The process-wide loader: the dashboard and the HTTP API in one server process share it.
LOADER = ModelLoader()

__all__ = ["LOADER", "LoadState", "LoadStatus", "LoadedModel", "Loader", "ModelKey", "ModelLoader"]
