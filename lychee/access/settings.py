"""Who may reach the server, decided once at start from the address it listens on and the environment.

==============================  ===========  ==========================================================================
variable                        default      meaning
==============================  ===========  ==========================================================================
``LYCHEE_HOST``                 127.0.0.1    where ``./start.sh`` listens; ``0.0.0.0`` (or an address) exposes it
``LYCHEE_DASHBOARD_TOKEN``      unset        the token that opens the dashboard (and the API); at least 16 characters
``LYCHEE_ALLOW_ANONYMOUS``      ``0``        ``1``: exposed without any sign-in (said loudly in the log)
``LYCHEE_READ_ONLY``            ``0``        ``1``: everyone is a viewer
``LYCHEE_EDITORS``              unset        e-mails (comma-separated) of the editors, with an OIDC sign-in
==============================  ===========  ==========================================================================

The rule (the convention of Jupyter and TensorBoard: local unless you say otherwise):

* **Local** (127.0.0.1, ``localhost``, ``::1``): open, as before, unless a sign-in is configured.
* **Exposed** (any other address, or all interfaces): the dashboard needs a sign-in: OIDC (``st.login``) when
  ``[auth]`` is configured in ``.streamlit/secrets.toml``, else ``LYCHEE_DASHBOARD_TOKEN``, else a random token the
  server makes and prints as ``http://<host>:<port>/?token=<token>``. That token is also an API key, beside
  ``LYCHEE_API_KEY``; so an exposed API never answers anonymous calls either. ``LYCHEE_ALLOW_ANONYMOUS=1`` opts out.

Roles (:mod:`lychee.roles`): with OIDC, editors are the e-mails in ``LYCHEE_EDITORS`` and everyone else a viewer; with
a token or no sign-in, everyone is an editor unless ``LYCHEE_READ_ONLY=1``.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from lychee.roles import Actor, local_user
from lychee.serving.environment import DEFAULT_HOST

Dashboard = Literal["open", "token", "oidc"]
MIN_TOKEN_CHARS = 16
LOCAL_NAMES = ("localhost",)


def is_local_address(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable from this machine only (loopback). ``None`` or ``""`` means
    every interface (Streamlit's default), which is not local."""
    value = (address or "").strip().strip("[]").lower()
    if not value:
        return False
    if value in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(value).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, others may reach it


@dataclass(frozen=True)
class AccessConfig:
    """How the dashboard and the API are guarded, resolved once at server start (:func:`resolve_access`).

    Attributes:
        address: the address the server listens on (``""``: every interface).
        port: its port.
        exposed: reachable from other machines (not loopback).
        dashboard: ``"open"`` (no sign-in), ``"token"`` (a signed cookie from the token) or ``"oidc"`` (``st.login``).
        token: the dashboard token (``LYCHEE_DASHBOARD_TOKEN`` or generated), also accepted as an API key; or ``None``.
        token_generated: the server made the token at start (printed in its log).
        api_key: ``LYCHEE_API_KEY``, or ``None``.
        anonymous: exposed on purpose without a sign-in (``LYCHEE_ALLOW_ANONYMOUS=1``).
        read_only: ``LYCHEE_READ_ONLY=1``: everyone is a viewer.
        editors: the lower-case e-mails of ``LYCHEE_EDITORS``.
    """

    address: str = DEFAULT_HOST
    port: int | None = None
    exposed: bool = False
    dashboard: Dashboard = "open"
    token: str | None = field(default=None, repr=False)
    token_generated: bool = False
    api_key: str | None = field(default=None, repr=False)
    anonymous: bool = False
    read_only: bool = False
    editors: frozenset[str] = frozenset()

    @property
    def api_keys(self) -> tuple[str, ...]:
        """The bearer keys the API accepts (none: an open API)."""
        return tuple(dict.fromkeys(k for k in (self.api_key, self.token) if k))

    def actor(self, email: str | None = None) -> Actor | None:
        """The actor of a dashboard session: ``email`` is the OIDC user's (``None`` when not signed in: no actor)."""
        if self.dashboard == "oidc":
            if not email:
                return None
            is_editor = email.strip().lower() in self.editors and not self.read_only
            return Actor(email.strip(), "editor" if is_editor else "viewer")
        name = "token" if self.dashboard == "token" else ("anonymous" if self.exposed else local_user())
        return Actor(name, "viewer" if self.read_only else "editor")

    def url(self, *, host: str | None = None) -> str:
        """The dashboard's URL (``http://<host>:<port>/``); all interfaces are shown as this machine's host name."""
        shown = host or self.address
        if not shown or shown in ("0.0.0.0", "::"):
            shown = socket.gethostname()
        if ":" in shown and not shown.startswith("["):
            shown = f"[{shown}]"
        return f"http://{shown}:{self.port}/" if self.port else f"http://{shown}/"

    def sign_in_url(self, *, host: str | None = None) -> str | None:
        """``http://<host>:<port>/?token=<token>``, the link that signs a browser in (token mode only)."""
        if self.dashboard != "token" or self.token is None:
            return None
        return f"{self.url(host=host)}?token={quote(self.token, safe='')}"


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{name}={value!r}: expected 1 (on) or 0 (off). Set {name}=1 or unset it.")
    return value == "1"


def _token(env: Mapping[str, str]) -> str | None:
    token = env.get("LYCHEE_DASHBOARD_TOKEN", "").strip()
    if not token:
        return None
    if len(token) < MIN_TOKEN_CHARS or any(ch.isspace() or not ch.isprintable() for ch in token):
        raise ValueError(
            f"LYCHEE_DASHBOARD_TOKEN is {len(token)} characters long: expected at least {MIN_TOKEN_CHARS} printable "
            "characters without spaces, so it cannot be guessed. Make one with `openssl rand -hex 24`, or unset it "
            "and the server makes one."
        )
    return token


def parse_editors(value: str) -> frozenset[str]:
    """The lower-case e-mails of a ``LYCHEE_EDITORS`` value (commas, semicolons or spaces between them).

    Raises:
        ValueError: an entry that is not an e-mail address.
    """
    entries = [e.strip().lower() for e in value.replace(";", ",").replace(" ", ",").split(",") if e.strip()]
    bad = [e for e in entries if e.count("@") != 1 or e.startswith("@") or e.endswith("@")]
    if bad:
        raise ValueError(
            f"LYCHEE_EDITORS: {bad[0]!r} is not an e-mail address; expected comma-separated e-mails, e.g. "
            "'ana@example.com,li.wei@example.com'."
        )
    return frozenset(entries)


def resolve_access(
    env: Mapping[str, str] | None = None,
    *,
    address: str | None = DEFAULT_HOST,
    port: int | None = None,
    oidc: bool = False,
    make_token: Callable[[], str] = lambda: secrets.token_urlsafe(24),
) -> AccessConfig:
    """Decide how the server is guarded (see the module docstring for the rule).

    Args:
        env: the environment (``os.environ`` by default).
        address: the address the server listens on (``None``/``""``: every interface).
        port: its port (for the printed URL).
        oidc: ``[auth]`` is configured in Streamlit's secrets, so the dashboard signs in with ``st.login``.
        make_token: makes the random token of an exposed server with no sign-in.

    Raises:
        ValueError: a variable holds a bad value (the message names it and says what to set).
    """
    env = os.environ if env is None else env
    exposed = not is_local_address(address)
    anonymous = _flag(env, "LYCHEE_ALLOW_ANONYMOUS") and exposed
    read_only = _flag(env, "LYCHEE_READ_ONLY")
    editors = parse_editors(env.get("LYCHEE_EDITORS", ""))
    api_key = env.get("LYCHEE_API_KEY", "").strip() or None
    token = _token(env)
    generated = False
    # Exposed: a token guards the dashboard (unless OIDC does) and the API (unless LYCHEE_API_KEY does).
    if token is None and exposed and not anonymous and (not oidc or api_key is None):
        token, generated = make_token(), True
    dashboard: Dashboard = "oidc" if oidc else ("token" if token is not None else "open")
    return AccessConfig(
        address=(address or "").strip(),
        port=port,
        exposed=exposed,
        dashboard=dashboard,
        token=token,
        token_generated=generated,
        api_key=api_key,
        anonymous=anonymous,
        read_only=read_only,
        editors=editors,
    )


def startup_lines(access: AccessConfig) -> list[tuple[str, str]]:
    """What the server says in its log at start, as ``(level, line)``: where it listens, how to sign in, and loud
    warnings for an exposed server without a sign-in or without editors."""
    where = access.url()
    lines: list[tuple[str, str]] = []
    if not access.exposed:
        lines.append(("info", f"Listening on {where} only (this machine); LYCHEE_HOST=0.0.0.0 exposes it."))
    if access.dashboard == "token" and access.token_generated:
        lines.append(
            (
                "warning",
                f"Exposed on {where}: open the dashboard at {access.sign_in_url()} (the token is also the API's "
                "Bearer key). Set LYCHEE_DASHBOARD_TOKEN to keep the same token across restarts.",
            )
        )
    elif access.dashboard == "token":
        lines.append(("info", f"Dashboard sign-in: LYCHEE_DASHBOARD_TOKEN (open {access.url()}?token=<token>)."))
    if access.dashboard == "oidc":
        lines.append(("info", f"Dashboard sign-in: OIDC ([auth] in .streamlit/secrets.toml) on {where}."))
        if access.token_generated:
            lines.append(
                (
                    "warning",
                    f"The API on {where} needs a key: use the Bearer key {access.token} (made at start), or set "
                    "LYCHEE_API_KEY.",
                )
            )
        if not access.editors:
            lines.append(("warning", "LYCHEE_EDITORS is empty: every signed-in user is a viewer."))
    if access.anonymous and access.dashboard == "open":
        banner = "!" * 100
        lines += [
            ("warning", banner),
            (
                "warning",
                f"LYCHEE_ALLOW_ANONYMOUS=1: the dashboard and the API on {where} are open to ANYONE who can reach this "
                "port, with no sign-in and no API key"
                + (" (LYCHEE_API_KEY still guards the API)." if access.api_key else "."),
            ),
            ("warning", banner),
        ]
    if access.read_only:
        lines.append(("info", "LYCHEE_READ_ONLY=1: everyone is a viewer."))
    return lines


# The server's access, set once by lychee/ui/server.py at start; pages read it (a test or a page run without the
# server sees a local, open dashboard resolved from the environment).
_INSTALLED: list[AccessConfig] = []


def install(access: AccessConfig) -> None:
    """Make ``access`` the process's access configuration (the server calls this once at start)."""
    _INSTALLED[:] = [access]


def current_access() -> AccessConfig:
    """The installed configuration, else a local one from the environment (no token is ever made for it)."""
    if _INSTALLED:
        return _INSTALLED[0]
    return resolve_access(address=DEFAULT_HOST, make_token=_no_token)


def _no_token() -> str:  # pragma: no cover - a local address never asks for one
    raise RuntimeError("a local configuration makes no token")


__all__ = [
    "DEFAULT_HOST",
    "MIN_TOKEN_CHARS",
    "AccessConfig",
    "current_access",
    "install",
    "is_local_address",
    "parse_editors",
    "resolve_access",
    "startup_lines",
]
