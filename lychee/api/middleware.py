"""The API's guard, an ASGI middleware in front of every API path (the dashboard's own paths pass untouched).

In order, for a request to an API path:

1. **Origin**: a request whose ``Origin`` header is not the server's own (the ``Host`` it was sent to) is refused
   (403) unless ``LYCHEE_API_CORS_ORIGINS`` lists it — so a web page on another site cannot make a visitor's
   browser call the API. A listed origin gets CORS headers, and its preflight ``OPTIONS`` is answered here (204).
2. **Key**: with ``LYCHEE_API_KEY`` set, ``Authorization: Bearer <key>`` must match (constant-time compare), else 401
   (the API's description, ``/openapi.json`` and ``/docs``, is readable without it).
3. **JSON only**: a POST with a body must say ``Content-Type: application/json`` (415 otherwise; a ``text/plain``
   body is what a browser may send to any site without asking first).
4. **Body**: read whole within ``LYCHEE_API_BODY_TIMEOUT_S`` (408 after it: a client that sends a byte at a time
   holds nothing for long) and at most ``max_body_bytes`` (413, never kept). A declared ``Content-Length`` above the
   cap is answered at once; a client that asked ``Expect: 100-continue`` (curl does for large bodies) gets the 413
   before it sends the body. Any other client is sending it already: the rest is read and thrown away first (up to
   :data:`DRAIN_FACTOR` times the cap, within the same deadline), because closing a connection with unread data
   resets it, and the client would see a broken connection instead of the 413. Bodies being read hold at most
   :data:`READING_FACTOR` times the cap together (429 beyond), so many bodies at once cannot exhaust memory either.
5. **Queue bound**: only then — once its body is read — a POST counts against ``max_in_flight`` (429 with
   ``Retry-After`` when that many are running or queued), so slow senders never take the places of scored requests.
   GETs (health, model info, the description) are not counted.

The body, once read, is handed to the route as it came.
"""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from lychee.api.config import MB, ApiConfig
from lychee.api.errors import ApiError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: How much of a refused body is read and thrown away before the 413, as a multiple of the cap; a larger one is
#: answered at once (the client may then see the connection reset).
DRAIN_FACTOR = 4
#: The bytes of all the bodies being read at once, as a multiple of the cap.
READING_FACTOR = 8

#: The API's roots: every path under them is the API's (an unknown one is a JSON 404, never the dashboard's page).
API_ROOTS = ("/api", "/v1", "/v2")
#: The API paths outside the roots: the bare rerank route some clients call, and the API's description.
BARE_RERANK_PATH = "/rerank"
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
#: Paths served by the API (everything else is the dashboard's): under a root, a root itself, or a bare route.
API_PREFIXES = tuple(f"{root}/" for root in API_ROOTS)
API_PATHS = (BARE_RERANK_PATH, OPENAPI_PATH, DOCS_PATH, *API_ROOTS)
#: What a CORS preflight may ask for.
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type"


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the API (``/api/...``, ``/v1/...``, ``/v2/...``, ``/rerank``, ``/openapi.json``,
    ``/docs``)."""
    return path.startswith(API_PREFIXES) or path in API_PATHS


class ApiGuard:
    """ASGI middleware: origin, key, content type, body deadline and cap, and the in-flight bound for API paths
    (see the module docstring).

    Args:
        app: the wrapped ASGI app.
        config: the API's limits, key and allowed origins.
    """

    def __init__(self, app: ASGIApp, *, config: ApiConfig) -> None:
        self.app = app
        self.config = config
        self.in_flight = 0  # touched only on the event loop thread
        self.reading = 0  # bytes of the bodies being read now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        if origin is not None and not _same_origin(origin, headers.get("host", "")):
            if origin.rstrip("/").lower() not in self.config.cors_origins:
                await _answer(send, _foreign_origin(origin))
                return
            if scope.get("method") == "OPTIONS" and "access-control-request-method" in headers:
                await _preflight(send, origin)
                return
            send = _with_cors(send, origin)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _answer(send, refusal)
            return
        if scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        body = await self._read_body(headers, receive, send)
        if body is None:
            return
        if self.in_flight >= self.config.max_in_flight:
            await _answer(send, self._busy())
            return
        self.in_flight += 1
        try:
            await self.app(scope, _replay(body, receive), send)
        finally:
            self.in_flight -= 1

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> ApiError | None:
        """The key and the content type: a 401 or 415 to answer, or ``None``."""
        keys = self.config.accepted_keys
        public = scope.get("path") in (OPENAPI_PATH, DOCS_PATH)  # the description is no use of the API
        if keys and not public and not any(_authorized(headers.get("authorization", ""), key) for key in keys):
            return ApiError(
                401,
                "Missing or wrong API key: send the header 'Authorization: Bearer <key>' with the key this "
                "server was started with (LYCHEE_API_KEY, or the token it printed when exposed).",
                headers={"WWW-Authenticate": "Bearer"},
            )
        has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        if scope.get("method") == "POST" and has_body:
            media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media != "application/json":
                shown = repr(headers["content-type"][:60]) if "content-type" in headers else "no Content-Type"
                return ApiError(
                    415,
                    f"The request body was sent as {shown}; this API reads JSON only. Send the header "
                    "'Content-Type: application/json' with a JSON body (curl: -H 'Content-Type: application/json').",
                )
        return None

    def _busy(self) -> ApiError:
        return ApiError(
            429,
            f"The server is busy: {self.in_flight} requests are being scored or queued (limit "
            f"{self.config.max_in_flight}, LYCHEE_API_MAX_IN_FLIGHT). Retry after {self.config.retry_after_s} s, "
            "or send fewer requests at once.",
            headers={"Retry-After": str(self.config.retry_after_s)},
        )

    async def _read_body(self, headers: dict[str, str], receive: Receive, send: Send) -> bytes | None:
        """The whole body, or ``None`` after answering 408, 413 or 429 (see the module docstring: never kept)."""
        cap = self.config.max_body_bytes
        deadline = time.monotonic() + self.config.body_timeout_s
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            if "100-continue" not in headers.get("expect", "").lower() and int(declared) <= DRAIN_FACTOR * cap:
                await _discard(receive, DRAIN_FACTOR * cap, deadline)
            await _answer(send, _too_large(int(declared), cap))
            return None
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                message = await _before(receive, deadline)
                if message is None:
                    await _answer(send, self._too_slow(size))
                    return None
                if message["type"] == "http.disconnect":
                    return None
                chunk = message.get("body", b"")
                size += len(chunk)
                self.reading += len(chunk)
                if size > cap:
                    if message.get("more_body", False):
                        await _discard(receive, DRAIN_FACTOR * cap - size, deadline)
                    await _answer(send, _too_large(None, cap))
                    return None
                if self.reading > READING_FACTOR * cap:
                    await _answer(send, self._busy())
                    return None
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
        finally:
            self.reading -= size

    def _too_slow(self, size: int) -> ApiError:
        return ApiError(
            408,
            f"The request body did not arrive within {self.config.body_timeout_s:g} s ({size:,} bytes came; "
            "LYCHEE_API_BODY_TIMEOUT_S). Send the whole body at once, or split the documents over several requests.",
            headers={"Connection": "close"},
        )


async def _before(receive: Receive, deadline: float) -> Message | None:
    """The next message, or ``None`` when ``deadline`` passes first."""
    try:
        return await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.0))
    except asyncio.TimeoutError:
        return None


def _same_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (``scheme://host[:port]``) names the host the request was sent to."""
    _, _, netloc = origin.partition("://")
    return bool(host) and netloc.rstrip("/").lower() == host.lower()


def _foreign_origin(origin: str) -> ApiError:
    return ApiError(
        403,
        f"Requests from web pages on {origin[:80]!r} are refused: the API answers other sites' pages only when the "
        "server's operator lists them in LYCHEE_API_CORS_ORIGINS. Call the API from your backend (no Origin header), "
        "or ask for the origin to be listed.",
    )


def _cors_headers(origin: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"vary", b"Origin"),
    ]


async def _preflight(send: Send, origin: str) -> None:
    headers = _cors_headers(origin) + [
        (b"access-control-allow-methods", CORS_METHODS.encode()),
        (b"access-control-allow-headers", CORS_HEADERS.encode()),
        (b"access-control-max-age", b"600"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _with_cors(send: Send, origin: str) -> Send:
    """``send`` adding the CORS headers of an allowed ``origin`` to the answer."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *_cors_headers(origin)]}
        await send(message)

    return wrapped


async def _discard(receive: Receive, limit: int, deadline: float) -> None:
    """Read the rest of a refused body and drop it, up to ``limit`` bytes, the deadline or the client's disconnect."""
    read = 0
    while read < limit:
        message = await _before(receive, deadline)
        if message is None:
            return
        read += len(message.get("body", b""))
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


def _authorized(header: str, key: str) -> bool:
    scheme, _, token = header.strip().partition(" ")
    # compare_digest takes as long whatever the first difference: the key cannot be guessed byte by byte
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode("utf-8"), key.encode("utf-8"))


def _too_large(declared: int | None, cap: int) -> ApiError:
    got = f"{declared / MB:.1f} MB" if declared is not None else f"more than {cap / MB:g} MB"
    return ApiError(
        413,
        f"The request body is {got}; this server accepts at most {cap / MB:g} MB (LYCHEE_API_MAX_BODY_MB). Send fewer "
        "or smaller images, or split the documents over several requests.",
    )


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as the server would say it

    return replay


async def _answer(send: Send, error: ApiError) -> None:
    body = error.body_bytes()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    if error.status in (408, 413) and not any(k == b"connection" for k, _ in headers):
        headers.append((b"connection", b"close"))  # a refused body may be partly unread: the connection is not reused
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = [
    "API_PATHS",
    "API_PREFIXES",
    "API_ROOTS",
    "BARE_RERANK_PATH",
    "DOCS_PATH",
    "DRAIN_FACTOR",
    "OPENAPI_PATH",
    "READING_FACTOR",
    "ApiGuard",
    "is_api_path",
]
