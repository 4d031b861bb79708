"""The dashboard's session cookie in token mode: signed with the token, HttpOnly, SameSite=Lax, with an expiry.

The value is ``v1.<expiry>.<mac>``: ``mac`` is HMAC-SHA256 over ``v1.<expiry>`` with a key derived from the token, so
only someone who knows the token can make one, a changed token (or a restart with a generated one) voids every
cookie, and the browser's JavaScript never sees it (HttpOnly). The token itself is never stored in the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import time

COOKIE_NAME = "lychee_session"
#: How long a sign-in lasts.
MAX_AGE_S = 14 * 24 * 3600
_VERSION = "v1"


def _key(token: str) -> bytes:
    return hashlib.sha256(b"lychee-dashboard-session\0" + token.encode("utf-8")).digest()


def _mac(token: str, payload: str) -> str:
    return hmac.new(_key(token), payload.encode("ascii"), hashlib.sha256).hexdigest()


def make_value(token: str, *, now: float | None = None, max_age: int = MAX_AGE_S) -> str:
    """A cookie value valid for ``max_age`` seconds from ``now``."""
    expiry = int((time.time() if now is None else now) + max_age)
    payload = f"{_VERSION}.{expiry}"
    return f"{payload}.{_mac(token, payload)}"


def is_valid(value: str | None, token: str, *, now: float | None = None) -> bool:
    """Whether ``value`` was made by :func:`make_value` with ``token`` and has not expired (constant-time compare)."""
    if not value:
        return False
    version, _, rest = value.partition(".")
    expiry, _, mac = rest.partition(".")
    if version != _VERSION or not expiry.isdigit() or not mac:
        return False
    if not hmac.compare_digest(mac.encode("ascii", "replace"), _mac(token, f"{version}.{expiry}").encode("ascii")):
        return False
    return int(expiry) > (time.time() if now is None else now)


def set_cookie_header(value: str, *, secure: bool, max_age: int = MAX_AGE_S) -> bytes:
    """The ``Set-Cookie`` header value that stores ``value``."""
    flags = f"; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    return f"{COOKIE_NAME}={value}{flags}".encode("latin-1")


def clear_cookie_header() -> bytes:
    """The ``Set-Cookie`` header value that removes the cookie."""
    return f"{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax".encode("latin-1")


def cookie_from_header(header: str) -> str | None:
    """The session cookie's value in a ``Cookie`` request header, or ``None``."""
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME:
            return value.strip().strip('"')
    return None


__all__ = [
    "COOKIE_NAME",
    "MAX_AGE_S",
    "clear_cookie_header",
    "cookie_from_header",
    "is_valid",
    "make_value",
    "set_cookie_header",
]
