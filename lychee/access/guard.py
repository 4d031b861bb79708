"""The dashboard's guard in token mode: an ASGI middleware in front of every dashboard path and Streamlit's websocket.

With :attr:`AccessConfig.dashboard` ``"token"``, a request to the dashboard is served only with a valid session cookie
(:mod:`lychee.access.cookies`); without it:

* ``GET /anything?token=<token>``: the right token sets the cookie and redirects (303) to the same URL without the
  token (so it leaves the address bar and the history); a wrong one gets the sign-in page (401);
* ``GET /sign-in`` shows the form, ``POST /sign-in`` (form field ``token``) checks it, sets the cookie, redirects to
  ``/``; a form posted from another origin is refused (403). ``/sign-out`` clears the cookie;
* any other page, asset or upload: the sign-in page with 401 — nothing of the dashboard;
* Streamlit's websocket (``/_stcore/stream``): closed before it opens (the client sees HTTP 403), so no script runs.

Always open: ``/_stcore/health`` (says "ok", nothing else) and the API's paths, which the API guard checks with its
Bearer keys (the token is one of them). In ``"open"`` and ``"oidc"`` mode the guard lets everything through: OIDC
pages sign in with ``st.login`` inside the script (``lychee.ui.shell.identity``).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from lychee.access import cookies
from lychee.access.settings import AccessConfig
from lychee.access.signin import EXPIRED, SIGN_IN_PATH, SIGN_OUT_PATH, WRONG_TOKEN, sign_in_page
from lychee.api.middleware import is_api_path

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths served without a sign-in: they show nothing of the dashboard.
OPEN_PATHS = frozenset({"/_stcore/health"})
#: The most bytes of a sign-in form read.
MAX_FORM_BYTES = 4096
#: Websocket close code for "policy violation" (the handshake is refused with HTTP 403).
POLICY_VIOLATION = 1008


class DashboardGuard:
    """ASGI middleware: the dashboard's sign-in in token mode (see the module docstring).

    Args:
        app: the wrapped ASGI app.
        access: the server's access configuration.
    """

    def __init__(self, app: ASGIApp, *, access: AccessConfig) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        token = self.access.token
        if kind not in ("http", "websocket") or self.access.dashboard != "token" or token is None:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if kind == "http" and (is_api_path(path) or path in OPEN_PATHS):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        cookie = cookies.cookie_from_header(headers.get("cookie", ""))
        signed_in = cookies.is_valid(cookie, token)
        if kind == "websocket":
            if signed_in:
                await self.app(scope, receive, send)
            else:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": POLICY_VIOLATION})
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if path == SIGN_OUT_PATH:
            await _redirect(send, SIGN_IN_PATH, cookies.clear_cookie_header())
        elif any(name == "token" for name, _ in query):
            await self._token_from_url(scope, send, path, query, token)
        elif path == SIGN_IN_PATH:
            await self._sign_in_page(scope, receive, send, headers, token, signed_in)
        elif signed_in:
            await self.app(scope, receive, send)
        else:
            await _page(send, 401, EXPIRED if cookie else None)

    async def _token_from_url(
        self, scope: Scope, send: Send, path: str, query: list[tuple[str, str]], token: str
    ) -> None:
        """``?token=``: the right token sets the cookie and redirects to the URL without it; a wrong one is a 401."""
        given = next(value for name, value in query if name == "token")
        if not _same(given, token):
            await _page(send, 401, WRONG_TOKEN)
            return
        rest = urlencode([(name, value) for name, value in query if name != "token"])
        target = (quote(path) if path != SIGN_IN_PATH else "/") + (f"?{rest}" if rest else "")
        await _redirect(send, target, self._cookie(scope))

    async def _sign_in_page(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], token: str, signed_in: bool
    ) -> None:
        """``GET /sign-in``: the form (or ``/`` when signed in); ``POST``: check the token from the form."""
        if scope.get("method") != "POST":
            if signed_in:
                await _redirect(send, "/", None)
            else:
                await _page(send, 200, None)
            return
        origin = headers.get("origin")
        if origin and urlsplit(origin).netloc.lower() != headers.get("host", "").lower():
            await _plain(send, 403, "A sign-in form posted from another site is refused.")
            return
        body = await _read_form(receive)
        given = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)).get("token", "").strip()
        if not _same(given, token):
            await _page(send, 401, WRONG_TOKEN)
            return
        await _redirect(send, "/", self._cookie(scope))

    def _cookie(self, scope: Scope) -> bytes:
        headers = _headers(scope)
        secure = scope.get("scheme") == "https" or headers.get("x-forwarded-proto", "").lower() == "https"
        return cookies.set_cookie_header(cookies.make_value(self.access.token or ""), secure=secure)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _same(given: str, token: str) -> bool:
    # compare_digest takes as long whatever the first difference: the token cannot be guessed byte by byte
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


async def _read_form(receive: Receive) -> bytes:
    """The form body, at most :data:`MAX_FORM_BYTES` (the rest is read and dropped)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if size < MAX_FORM_BYTES:
            chunks.append(chunk[: MAX_FORM_BYTES - size])
        size += len(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [
        *headers,
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),  # no-referrer would make the form's own Origin "null"
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _page(send: Send, status: int, error: str | None) -> None:
    await _respond(send, status, [(b"content-type", b"text/html; charset=utf-8")], sign_in_page(error))


async def _plain(send: Send, status: int, text: str) -> None:
    await _respond(send, status, [(b"content-type", b"text/plain; charset=utf-8")], text.encode("utf-8"))


async def _redirect(send: Send, location: str, cookie: bytes | None) -> None:
    headers = [(b"location", location.encode("latin-1", "replace"))]
    if cookie is not None:
        headers.append((b"set-cookie", cookie))
    await _respond(send, 303, headers, b"")


__all__ = ["MAX_FORM_BYTES", "OPEN_PATHS", "POLICY_VIOLATION", "DashboardGuard"]
