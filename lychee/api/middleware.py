"""The API's guard, an ASGI middleware in front of every API path (the dashboard's own paths pass untouched).

In order, for a request to an API path:

1. **Key**: with ``LYCHEE_API_KEY`` set, ``Authorization: Bearer <key>`` must match (constant-time compare), else 401.
2. **Queue bound**: a POST is admitted only while fewer than ``max_in_flight`` are running or queued, else 429 with
   ``Retry-After`` — so memory never grows without bound. GETs (health, model info) are not counted.
3. **Body cap**: a declared ``Content-Length`` above ``max_body_bytes``, or a body without a length that goes over it
   while read, is answered 413 and never kept. A client that asked ``Expect: 100-continue`` (curl does for large
   bodies) gets the 413 before it sends the body. Any other client is sending it already: the rest is read and
   thrown away first (up to :data:`DRAIN_FACTOR` times the cap), because closing a connection with unread data
   resets it, and the client would see a broken connection instead of the 413.

The body, once read, is handed to the route as it came.
"""

from __future__ import annotations

import hmac
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

#: The API's roots: every path under them is the API's (an unknown one is a JSON 404, never the dashboard's page).
API_ROOTS = ("/api", "/v1", "/v2")
#: The one API path outside the roots: the bare rerank route some clients call.
BARE_RERANK_PATH = "/rerank"
#: Paths served by the API (everything else is the dashboard's): under a root, a root itself, or the bare route.
API_PREFIXES = tuple(f"{root}/" for root in API_ROOTS)
API_PATHS = (BARE_RERANK_PATH, *API_ROOTS)


def is_api_path(path: str) -> bool:
    """Whether ``path`` belongs to the API (``/api/...``, ``/v1/...``, ``/v2/...``, ``/rerank``)."""
    return path.startswith(API_PREFIXES) or path in API_PATHS


class ApiGuard:
    """ASGI middleware: key check, in-flight bound and body cap for API paths (see the module docstring).

    Args:
        app: the wrapped ASGI app.
        config: the API's limits and key.
    """

    def __init__(self, app: ASGIApp, *, config: ApiConfig) -> None:
        self.app = app
        self.config = config
        self.in_flight = 0  # touched only on the event loop thread

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        keys = self.config.accepted_keys
        if keys and not any(_authorized(headers.get("authorization", ""), key) for key in keys):
            await _answer(
                send,
                ApiError(
                    401,
                    "Missing or wrong API key: send the header 'Authorization: Bearer <key>' with the key this "
                    "server was started with (LYCHEE_API_KEY, or the token it printed when exposed).",
                    headers={"WWW-Authenticate": "Bearer"},
                ),
            )
            return
        if scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.config.max_in_flight:
            await _answer(
                send,
                ApiError(
                    429,
                    f"The server is busy: {self.in_flight} requests are being scored or queued (limit "
                    f"{self.config.max_in_flight}, LYCHEE_API_MAX_IN_FLIGHT). Retry after "
                    f"{self.config.retry_after_s} s, or send fewer requests at once.",
                    headers={"Retry-After": str(self.config.retry_after_s)},
                ),
            )
            return
        self.in_flight += 1
        try:
            body = await self._read_body(headers, receive, send)
            if body is not None:
                await self.app(scope, _replay(body, receive), send)
        finally:
            self.in_flight -= 1

    async def _read_body(self, headers: dict[str, str], receive: Receive, send: Send) -> bytes | None:
        """The whole body, or ``None`` after answering 413 (see the module docstring: the body is never kept)."""
        cap = self.config.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            if "100-continue" not in headers.get("expect", "").lower() and int(declared) <= DRAIN_FACTOR * cap:
                await _discard(receive, DRAIN_FACTOR * cap)
            await _answer(send, _too_large(int(declared), cap))
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                if message.get("more_body", False):
                    await _discard(receive, DRAIN_FACTOR * cap - size)
                await _answer(send, _too_large(None, cap))
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


async def _discard(receive: Receive, limit: int) -> None:
    """Read the rest of a refused body and drop it, up to ``limit`` bytes or until the client disconnects."""
    read = 0
    while read < limit:
        message = await receive()
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
    if error.status == 413:
        headers.append((b"connection", b"close"))  # a refused body may be partly unread: the connection is not reused
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["API_PATHS", "API_PREFIXES", "API_ROOTS", "BARE_RERANK_PATH", "DRAIN_FACTOR", "ApiGuard", "is_api_path"]
