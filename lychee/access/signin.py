"""The token sign-in page: a plain HTML form that shows nothing of the dashboard (no page, model or run names)."""

from __future__ import annotations

import html

#: Where the form posts the token (and where a signed-out browser lands).
SIGN_IN_PATH = "/sign-in"
SIGN_OUT_PATH = "/sign-out"

TITLE = "Sign in — Lychee rerank dashboard"
INTRO = (
    "This dashboard needs its access token. Open the link the server printed in its log "
    "(http://host:port/?token=...), or paste the token below."
)
WRONG_TOKEN = "That token is not this server's. Check the link or the token and try again."
EXPIRED = "Your sign-in has expired or the server was restarted with a new token. Sign in again."

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 12vh auto; padding: 0 1rem; color: #262730; }}
input, button {{ font-size: 1rem; padding: .5rem; }} input {{ width: 100%; box-sizing: border-box; }}
button {{ margin-top: .75rem; }} .error {{ color: #b71c1c; }}
</style></head>
<body><h1>{heading}</h1><p>{intro}</p>{error}
<form method="post" action="{action}">
<label for="token">{label}</label><input id="token" name="token" type="password" autocomplete="current-password"
 required autofocus>
<button type="submit">{button}</button>
</form></body></html>
"""


def sign_in_page(error: str | None = None) -> bytes:
    """The sign-in page's HTML (UTF-8), with ``error`` (a fixed sentence of this module) above the form."""
    shown = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _PAGE.format(
        title=html.escape(TITLE),
        heading=html.escape("Lychee rerank dashboard"),
        intro=html.escape(INTRO),
        error=shown,
        action=SIGN_IN_PATH,
        label=html.escape("Access token"),
        button=html.escape("Sign in"),
    ).encode("utf-8")


__all__ = ["EXPIRED", "INTRO", "SIGN_IN_PATH", "SIGN_OUT_PATH", "TITLE", "WRONG_TOKEN", "sign_in_page"]
