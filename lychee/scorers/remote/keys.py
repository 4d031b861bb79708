"""Which hosts get the server's remote key: ``LYCHEE_REMOTE_API_KEY`` goes only to hosts in ``LYCHEE_REMOTE_ALLOW``
and to the server's own model (``LYCHEE_MODEL`` when it is a URL).

Without this, a URL typed into the dashboard's model picker received the key of the server's environment: anyone who
could type a URL could collect it. ``LYCHEE_REMOTE_ALLOW`` lists hosts, comma-separated: ``gpu-1`` (any port),
``gpu-1:8000`` (that port), or a URL (its host and port), e.g. ``LYCHEE_REMOTE_ALLOW=gpu-1,gpu-2:8000``. A model
whose URLs are not all allowed is loaded without the key (its server may refuse it; the message says why), and the
log says so. A key passed explicitly (``load_scorer(url, api_key=...)``) is the caller's choice and always sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from lychee.scorers.remote.endpoints import Endpoint, parse_endpoints
from lychee.scorers.remote.names import API_KEY_ENV, is_remote, split_model

ALLOW_ENV = "LYCHEE_REMOTE_ALLOW"
#: The server's own model, read here (not from lychee.serving, which sits above the scorers).
SERVER_MODEL_ENV = "LYCHEE_MODEL"
DEFAULT_PORTS = {"http": 80, "https": 443}

Host = tuple[str, int | None]  # (lower-case host name, port or None for any port)


def _host_of(url: str) -> Host:
    parsed = urlsplit(url)
    return (parsed.hostname or "").lower(), parsed.port or DEFAULT_PORTS.get(parsed.scheme)


def parse_allow(value: str) -> list[Host]:
    """The hosts of a ``LYCHEE_REMOTE_ALLOW`` value.

    Raises:
        ValueError: an entry that is not a host, ``host:port`` or URL (the message names it and the variable).
    """
    hosts: list[Host] = []
    for entry in (e.strip() for e in value.split(",")):
        if not entry:
            continue
        url = entry if "://" in entry else f"http://{entry}"
        try:
            parsed = urlsplit(url)
            port = parsed.port
        except ValueError:
            parsed, port = None, None
        if parsed is None or not parsed.hostname or parsed.path not in ("", "/") or parsed.query:
            raise ValueError(
                f"{ALLOW_ENV}: {entry!r} is not a host; expected comma-separated hosts such as 'gpu-1', 'gpu-1:8000' "
                "or 'http://gpu-1:8000'."
            )
        hosts.append((parsed.hostname.lower(), port))  # urlsplit's port is None when the entry names none
    return hosts


def _server_hosts(env: Mapping[str, str]) -> list[Host]:
    model = env.get(SERVER_MODEL_ENV, "").strip()
    if not is_remote(model):
        return []
    try:
        protocol, urls = split_model(model)
        return [_host_of(ep.url) for ep in parse_endpoints(urls, protocol)]
    except (ValueError, TypeError):
        return []  # a malformed LYCHEE_MODEL fails where it is loaded, with its own message


def _allowed(host: Host, allowed: Sequence[Host]) -> bool:
    name, port = host
    return any(name == a_name and (a_port is None or a_port == port) for a_name, a_port in allowed)


def environment_key(
    endpoints: Sequence[Endpoint], env: Mapping[str, str] | None = None
) -> tuple[str | None, str | None]:
    """The key from ``LYCHEE_REMOTE_API_KEY`` for a model at ``endpoints``, and why it is withheld (if it is).

    Returns:
        ``(key, None)`` when every endpoint's host is allowed (or no key is set: ``(None, None)``);
        ``(None, reason)`` when the key is set but some host is not allowed.

    Raises:
        ValueError: ``LYCHEE_REMOTE_ALLOW`` is malformed.
    """
    env = os.environ if env is None else env
    key = env.get(API_KEY_ENV, "").strip() or None
    if key is None:
        return None, None
    allowed = parse_allow(env.get(ALLOW_ENV, "")) + _server_hosts(env)
    refused = [ep.url for ep in endpoints if not _allowed(_host_of(ep.url), allowed)]
    if not refused:
        return key, None
    return None, (
        f"{API_KEY_ENV} is not sent to {', '.join(refused)}: its host is not in {ALLOW_ENV} (nor the server's own "
        f"{SERVER_MODEL_ENV}). If this endpoint should get the key, add its host to {ALLOW_ENV}."
    )


__all__ = ["ALLOW_ENV", "SERVER_MODEL_ENV", "environment_key", "parse_allow"]
