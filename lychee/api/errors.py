"""API errors: one exception type carrying the HTTP status, and the JSON body every error answer has::

    {"error": {"message": "...", "type": "invalid_request_error", "param": "documents[3]"}}

``message`` says what is wrong, the value received, what was expected and how to fix it; ``param`` is the JSON path of
the offending field (``None`` when the whole request is concerned). No traceback ever reaches a caller.
"""

from __future__ import annotations

import json
from typing import Any

#: The ``type`` of each error status (the names OpenAI- and Cohere-style clients know).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "request_timeout",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An error answer: ``status`` (4xx/5xx), a four-part ``message``, the JSON path ``param`` and extra headers."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.headers = dict(headers or {})

    @property
    def type(self) -> str:
        return ERROR_TYPES.get(self.status, "invalid_request_error" if self.status < 500 else "server_error")

    def body(self) -> dict[str, Any]:
        """The JSON body: ``{"error": {"message", "type", "param"}}``."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param}}

    def body_bytes(self) -> bytes:
        return json.dumps(self.body(), ensure_ascii=False).encode("utf-8")


def bad_request(message: str, param: str | None = None) -> ApiError:
    """A 400 naming ``param``."""
    return ApiError(400, message, param=param)


def describe(value: Any) -> str:
    """A short description of a JSON value for messages: ``a number (42)``, ``a list``, ``null``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value))[:6])
        return f"an object with keys [{keys}]" if value else "an empty object"
    return type(value).__name__


__all__ = ["ERROR_TYPES", "ApiError", "bad_request", "describe"]
