"""Where a remote scorer sends its requests: endpoint URLs, spreading requests over them, and retrying failures.

One remote scorer talks to one or more endpoints (replicas of the same model). :class:`EndpointPool` hands each
request to the endpoint with the fewest requests in flight (ties in turn), never more than ``max_concurrency`` at
once per endpoint — across every call and every thread that shares the scorer. :func:`call_with_retries` retries a
request on 429 / 502 / 503 / 504 answers, connection errors and timeouts, with exponential backoff (honouring
``Retry-After``), on another endpoint when there is one; an endpoint that fails ``DOWN_AFTER`` times in a row is set
aside for ``DOWN_FOR`` seconds. When no attempt succeeds, :class:`RemoteUnavailableError` names every endpoint tried
and what it answered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Seconds to wait for one answer (a rerank of 50 titles on a busy 7B replica takes seconds, not a minute).
DEFAULT_TIMEOUT = 60.0
#: Seconds to wait for a TCP connection; a dead host is given up on quickly.
CONNECT_TIMEOUT = 5.0
#: Retries after the first attempt of a request.
DEFAULT_RETRIES = 3
#: First backoff (seconds); doubled after each failed attempt, capped at BACKOFF_MAX.
BACKOFF_BASE = 0.5
BACKOFF_MAX = 8.0
#: A ``Retry-After`` longer than this is capped (a request never sleeps minutes on a server's word).
RETRY_AFTER_MAX = 30.0
#: HTTP statuses that mean "busy or restarting, try again": rate limit, bad gateway, unavailable, gateway timeout.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Consecutive failures after which an endpoint is set aside, and for how long (seconds).
DOWN_AFTER = 3
DOWN_FOR = 30.0

PROTOCOL_ROUTES: dict[str, tuple[str, ...]] = {
    # protocol -> known request routes, the default first. A URL whose path ends with one of them names the route
    # itself; the part before it is the server's base (for discovery routes such as /api/model or /v1/models).
    "rerank": ("/v1/rerank", "/v2/rerank", "/rerank"),
    "tei": ("/rerank",),
    "openai-chat": ("/v1/chat/completions", "/chat/completions"),
}


class RemoteUnavailableError(ConnectionError):
    """No endpoint answered a request after every retry; the message names each endpoint and its last failure."""


class RemoteAnswerError(ValueError):
    """The endpoint answered, but refused the request or answered in a shape the protocol does not allow.

    Args:
        message: what happened, with the URL and the server's own words.
        status: the HTTP status of the answer (e.g. 401 for a refused key) when the failure is the HTTP answer
            itself, else ``None`` (a JSON answer of the wrong shape).
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableError(Exception):
    """A failed attempt worth repeating (busy server, connection error, timeout).

    Args:
        message: what happened, e.g. ``"HTTP 503 (model loading)"`` or ``"connection refused"``.
        retry_after: seconds the server asked us to wait, if it said.
        busy: the server answered "busy, come back later" (429, or 503 with ``Retry-After``): it is alive, so this
            does not count towards setting it aside.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, busy: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.busy = busy


@dataclass(frozen=True)
class Endpoint:
    """One replica.

    Attributes:
        url: the URL as given (normalised: no trailing slash).
        base: the server's base URL, for discovery routes (``<base>/api/model``, ``<base>/v1/models``).
        route: the full URL requests are sent to (for ``openai-chat``: the OpenAI client's ``base_url``).
    """

    url: str
    base: str
    route: str


def parse_endpoints(urls: str | Sequence[str], protocol: str) -> list[Endpoint]:
    """The endpoints of ``urls``: one URL, a comma-separated string of URLs, or a list of URLs.

    ``http://host:port`` uses the protocol's default route (``/v1/rerank``, ``/rerank`` for TEI, ``/v1`` for the
    OpenAI client); ``http://host:port/some/path`` sends requests to that path (for ``openai-chat``: the OpenAI
    base URL, e.g. ``http://host:8000/v1``).

    Raises:
        ValueError: not http(s), no host, a query string or fragment, credentials in the URL, or duplicates.
    """
    if protocol not in PROTOCOL_ROUTES:
        raise ValueError(
            f"protocol must be one of {sorted(PROTOCOL_ROUTES)}, got {protocol!r}. 'rerank' speaks the "
            "Cohere/Jina/vLLM rerank shape, 'tei' Hugging Face TEI's /rerank, 'openai-chat' a chat model's logprobs."
        )
    raw = [urls] if isinstance(urls, str) else list(urls)
    if not all(isinstance(u, str) for u in raw):
        raise TypeError(f"urls: expected a URL string or a list of them, got {urls!r}.")
    parts = [p.strip() for u in raw for p in u.split(",") if p.strip()]
    if not parts:
        raise ValueError(f"urls: got {urls!r}; expected one or more URLs such as 'http://127.0.0.1:8000'.")
    endpoints = [_endpoint(p, protocol) for p in parts]
    seen: set[str] = set()
    for ep in endpoints:
        if ep.route in seen:
            raise ValueError(f"urls: {ep.url!r} is listed twice; give each replica once.")
        seen.add(ep.route)
    return endpoints


def _endpoint(url: str, protocol: str) -> Endpoint:
    parsed = urlsplit(url)
    expected = "expected http(s)://host:port[/path], e.g. 'http://127.0.0.1:8000' or 'https://rerank.example/v1/rerank'"
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"remote URL {url!r}: {expected}.")
    if parsed.query or parsed.fragment:
        raise ValueError(f"remote URL {url!r} has a query string or fragment; {expected}.")
    if parsed.username or parsed.password:
        raise ValueError(
            f"remote URL {url!r} carries credentials; pass the key as api_key= (or LYCHEE_REMOTE_API_KEY) instead, "
            "so it never appears in logs, run files or the dashboard."
        )
    try:
        parsed.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"remote URL {url!r}: the port is not a number; {expected}.") from None
    origin = f"{parsed.scheme}://{parsed.netloc}"
    path = parsed.path.rstrip("/")
    routes = PROTOCOL_ROUTES[protocol]
    suffix = next((r for r in routes if path.endswith(r)), None)
    if protocol == "openai-chat":
        if suffix is not None:  # .../v1/chat/completions -> the OpenAI base URL .../v1
            path = path[: -len("/chat/completions")]
        base_url = origin + (path or "/v1")
        base = base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url
        return Endpoint(url=origin + parsed.path.rstrip("/"), base=base, route=base_url)
    route = origin + (path or routes[0])
    base = origin + path[: -len(suffix)] if suffix is not None else origin
    return Endpoint(url=origin + parsed.path.rstrip("/"), base=base, route=route)


@dataclass
class _Health:
    in_flight: int = 0
    served: int = 0
    failures: int = 0  # consecutive
    failed_total: int = 0
    down_until: float = 0.0
    last_error: str = ""


@dataclass
class EndpointPool:
    """Hands out endpoints: fewest requests in flight first, at most ``max_concurrency`` each, failing ones set aside.

    Thread-safe; shared by every call of one scorer (so the limit holds across dashboard sessions).
    """

    endpoints: list[Endpoint]
    max_concurrency: int = 4
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _health: dict[Endpoint, _Health] = field(default_factory=dict, repr=False)
    _turn: int = 0

    def __post_init__(self) -> None:
        self._health = {ep: _Health() for ep in self.endpoints}

    def acquire(self, *, avoid: Endpoint | None = None) -> Endpoint:
        """Wait for a free slot and take it: prefer endpoints that are up and not ``avoid``, then fewest in flight.

        An endpoint set aside is used only when every endpoint is set aside (so a request still gets its attempts).
        """
        with self._cond:
            while True:
                now = time.monotonic()
                free = [ep for ep in self.endpoints if self._health[ep].in_flight < self.max_concurrency]
                any_up = any(self._health[ep].down_until <= now for ep in self.endpoints)
                # While some endpoint is up, wait for its slot rather than send to one set aside: taking a free slot
                # on a dead replica only burns the request's retries (seen: four retries in a row on a killed one).
                usable = [ep for ep in free if self._health[ep].down_until <= now] if any_up else free
                if usable:
                    preferred = [ep for ep in usable if ep != avoid] or usable
                    turn, n = self._turn, len(self.endpoints)
                    self._turn += 1
                    chosen = min(
                        preferred, key=lambda ep: (self._health[ep].in_flight, (self.endpoints.index(ep) - turn) % n)
                    )
                    self._health[chosen].in_flight += 1
                    return chosen
                self._cond.wait()

    def release(self, endpoint: Endpoint, *, error: str | None = None, served: bool = True, busy: bool = False) -> None:
        """Give the slot back, recording a failure (``error``; ``busy``: the server is alive but asked us to wait),
        or an answer (``served``: a useful one)."""
        with self._cond:
            health = self._health[endpoint]
            health.in_flight -= 1
            if busy:
                health.last_error = error or "busy"
            elif error is None:
                health.served += int(served)
                health.failures = 0
                health.down_until = 0.0
            else:
                health.failures += 1
                health.failed_total += 1
                health.last_error = error
                if health.failures >= DOWN_AFTER:
                    health.down_until = time.monotonic() + DOWN_FOR
                    logger.warning(
                        "endpoint %s failed %d times in a row (%s); set aside", endpoint.url, health.failures, error
                    )
            self._cond.notify_all()

    def all_down(self) -> bool:
        """True when every endpoint is set aside after repeated failures."""
        with self._cond:
            now = time.monotonic()
            return all(h.down_until > now for h in self._health.values())

    def describe_failures(self) -> str:
        """``"http://a:1 (3 failures in a row, last: connection refused); http://b:2 (ok)"``."""
        with self._cond:
            parts = []
            for ep in self.endpoints:
                h = self._health[ep]
                if h.failures:
                    parts.append(
                        f"{ep.url} ({h.failures} failure{'s' if h.failures != 1 else ''} in a row, last: {h.last_error})"
                    )
                else:
                    parts.append(f"{ep.url} (answering)")
            return "; ".join(parts)

    def served(self) -> dict[str, int]:
        """Requests each endpoint answered successfully, by URL."""
        with self._cond:
            return {ep.url: self._health[ep].served for ep in self.endpoints}


def backoff_seconds(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: ``Retry-After`` when given (capped), else exponential."""
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, RETRY_AFTER_MAX)
    return min(BACKOFF_BASE * 2**attempt, BACKOFF_MAX)


def call_with_retries(
    pool: EndpointPool,
    send: Callable[[Endpoint], T],
    *,
    what: str,
    retries: int = DEFAULT_RETRIES,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``send(endpoint)`` on the pool's endpoints until it succeeds, at most ``1 + retries`` attempts.

    ``send`` raises :class:`RetryableError` for a failure worth repeating; any other exception is final and
    propagates as it is (a bad request stays a bad request on every replica).

    Raises:
        RemoteUnavailableError: every attempt failed; the message names ``what``, each attempt and each endpoint.
    """
    attempts: list[str] = []
    endpoint: Endpoint | None = None
    for attempt in range(retries + 1):
        endpoint = pool.acquire(avoid=endpoint)
        try:
            result = send(endpoint)
        except RetryableError as exc:
            pool.release(endpoint, error=str(exc), busy=exc.busy)
            attempts.append(f"{endpoint.route}: {exc}")
            if attempt == retries or pool.all_down():
                break  # out of attempts, or every endpoint keeps failing: say so now rather than after more waits
            wait = backoff_seconds(attempt, exc.retry_after)
            logger.info(
                "%s: attempt %d at %s failed (%s); retrying in %.1f s", what, attempt + 1, endpoint.url, exc, wait
            )
            sleep(wait)
            continue
        except BaseException:
            pool.release(endpoint, served=False)  # the endpoint answered; the request itself is at fault
            raise
        pool.release(endpoint)
        return result
    raise RemoteUnavailableError(
        f"{what}: no endpoint answered after {len(attempts)} attempt{'s' if len(attempts) != 1 else ''} "
        f"({'; '.join(attempts)}). Endpoints: {pool.describe_failures()}. Check that the server is running and "
        "reachable from this machine (a replica that is restarting or overloaded answers again after a while), "
        "or remove the failing URL from the list."
    )


__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "CONNECT_TIMEOUT",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "DOWN_AFTER",
    "DOWN_FOR",
    "PROTOCOL_ROUTES",
    "RETRY_STATUSES",
    "Endpoint",
    "EndpointPool",
    "RemoteAnswerError",
    "RemoteUnavailableError",
    "RetryableError",
    "backoff_seconds",
    "call_with_retries",
    "parse_endpoints",
]
