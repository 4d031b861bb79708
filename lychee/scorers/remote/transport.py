"""JSON over HTTP for the ``rerank`` and ``tei`` protocols (httpx), with failures sorted into "retry" and "final".

Retry (:class:`~lychee.scorers.remote.endpoints.RetryableError`): connection refused or reset, timeouts, HTTP 429 /
502 / 503 / 504. Final (:class:`RemoteAnswerError`, a ``ValueError``): any other HTTP error (the server refused the
request: it would refuse it on every replica), and answers that are not the JSON the protocol promises.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import httpx

from lychee.scorers.remote.endpoints import CONNECT_TIMEOUT, RETRY_STATUSES, RemoteAnswerError, RetryableError

logger = logging.getLogger(__name__)

#: How much of a server's error message goes into ours (one line; the raw body never does).
MAX_ERROR_TEXT = 160


def make_client(*, timeout: float, api_key: str | None) -> httpx.Client:
    """An httpx client with the scorer's timeouts and ``Authorization: Bearer`` header (thread-safe, pooled)."""
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
        headers=headers,
        limits=limits,
        follow_redirects=False,
        trust_env=False,  # no proxy from the environment: the endpoints are named explicitly
    )


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (the HTTP-date form is not used by rerank servers; ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def http_failure(status: int, headers: Mapping[str, str], message: str, where: str, *, end: str = "") -> Exception:
    """The exception for an HTTP error answer (status >= 400), for the caller to raise.

    429 / 502 / 503 / 504 give a :class:`RetryableError` ``"HTTP 503 (<message>)"`` with the ``Retry-After`` seconds,
    ``busy`` for 429 or a 503 with ``Retry-After`` (the server is alive); any other status a
    :class:`RemoteAnswerError` ``"<where> answered HTTP <status>: <message><end>"`` carrying ``status``.

    Args:
        status: the HTTP status.
        headers: the answer's headers (``Retry-After`` is read, case-insensitively for httpx headers).
        message: the server's error text (see :func:`error_text`), or the reason phrase.
        where: the request, e.g. ``"POST http://host:8000/v1/rerank"``.
        end: what closes the refusal message (``"."`` or nothing).
    """
    if status in RETRY_STATUSES:
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        busy = status == 429 or (status == 503 and retry_after is not None)
        return RetryableError(f"HTTP {status} ({message})", retry_after=retry_after, busy=busy)
    return RemoteAnswerError(f"{where} answered HTTP {status}: {message}{end}", status=status)


def error_text(response: httpx.Response) -> str:
    """A short, sanitised line from an error answer: the server's own error message when the answer is a JSON error
    object (``error.message`` / ``error`` / ``message`` / ``detail``: this project's API, OpenAI, vLLM, TEI), else
    ``""`` (the caller says the status and its reason phrase). Never the raw body: a URL typed into the dashboard may
    point at any service, and what it answers must not reach the page (see :func:`error_line`)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return ""
    return error_line(body)


def error_line(body: Any) -> str:
    """The error message of a parsed JSON error answer, sanitised (:func:`sanitize`), or ``""`` when it has none."""
    if not isinstance(body, dict):
        return ""
    err = body.get("error")
    message = err.get("message") if isinstance(err, dict) else err
    message = message or body.get("message") or body.get("detail")
    return sanitize(message) if isinstance(message, str) else ""


def sanitize(text: str, limit: int = MAX_ERROR_TEXT) -> str:
    """``text`` on one line of printable characters, at most ``limit`` of them (``...`` marks a cut)."""
    printable = "".join(ch if ch.isprintable() else " " for ch in str(text))
    line = " ".join(printable.split())
    return line[:limit] + ("..." if len(line) > limit else "")


def status_phrase(status: int) -> str:
    """The standard reason phrase of ``status`` ("Not Found"); the server's own phrase is its text, never shown."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"


def quote_remote(value: Any, limit: int = 60, items: int = 8) -> str:
    """A value read from a remote answer, quoted for a message: each string sanitised (:func:`sanitize`) to at most
    ``limit`` characters, a list cut to its first ``items`` entries."""
    if isinstance(value, (int, float)) or value is None:
        return repr(value)
    if isinstance(value, (list, tuple)):
        shown = [v if isinstance(v, (int, float)) else sanitize(str(v), limit) for v in value[:items]]
        return repr(shown) + (f" (and {len(value) - items} more)" if len(value) > items else "")
    return repr(sanitize(value if isinstance(value, str) else repr(value), limit))


def describe_connection_error(exc: httpx.HTTPError, timeout: float) -> str:
    """``"connection refused"``, ``"no answer within 60 s (read timeout)"``..."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no connection within {min(CONNECT_TIMEOUT, timeout):g} s (connect timeout)"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no answer within {timeout:g} s (read timeout)"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc) or "connection failed"
        return "connection refused" if "refused" in reason.lower() else f"cannot connect ({reason})"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    body: Any = None,
    content: bytes | None = None,
    timeout: float | None = None,
) -> Any:
    """Send one request (``body`` as JSON, or ``content``: JSON bytes already encoded) and return the JSON answer.

    Raises:
        RetryableError: connection failure, timeout, or HTTP 429/502/503/504.
        RemoteAnswerError: any other HTTP error status, or an answer that is not JSON.
    """
    try:
        response = client.request(
            method,
            url,
            json=body if content is None else None,
            content=content,
            headers={"Content-Type": "application/json"} if content is not None else None,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
    except httpx.TransportError as exc:
        limit = timeout if timeout is not None else client.timeout.read or 0.0
        raise RetryableError(describe_connection_error(exc, limit)) from exc
    if response.status_code >= 400:
        message = error_text(response) or status_phrase(response.status_code)
        raise http_failure(response.status_code, response.headers, message, f"{method} {url}", end=".")
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        kind = response.headers.get("content-type", "no content type")
        raise RemoteAnswerError(
            f"{method} {url} answered HTTP {response.status_code} with {quote_remote(kind)}, not JSON. Is this URL a "
            "rerank endpoint? Check the path and the protocol.",
            status=response.status_code,
        ) from None


__all__ = [
    "MAX_ERROR_TEXT",
    "RemoteAnswerError",
    "describe_connection_error",
    "error_line",
    "error_text",
    "http_failure",
    "make_client",
    "quote_remote",
    "request_json",
    "retry_after_seconds",
    "sanitize",
    "status_phrase",
]
