"""The HTTP API's limits and switches, read once from the environment at server start.

=============================  =========  ==================================================================
variable                       default    meaning
=============================  =========  ==================================================================
``LYCHEE_API_KEY``             unset      set: every API call needs ``Authorization: Bearer <key>`` (else 401)
``LYCHEE_API_ALLOW_URLS``      ``0``      ``1``: images may be ``http(s)://`` URLs, fetched by the server
``LYCHEE_API_MAX_BODY_MB``     ``20``     request body cap in MB (413 above it, answered before reading it all)
``LYCHEE_API_MAX_DOCUMENTS``   ``1000``   documents per request (400 above it)
``LYCHEE_API_MAX_IN_FLIGHT``   ``64``     rerank requests admitted at once, running or queued (429 above it)
``LYCHEE_API_WORKERS``         ``1``      worker threads that score (requests beyond them wait in the queue)
``LYCHEE_API_URL_TIMEOUT_S``   ``10``     timeout of one image URL fetch
``LYCHEE_API_URL_MAX_MB``      ``10``     size cap of one fetched image
``LYCHEE_API_MAX_SPAN_DOCS``   ``100``    results per request that may ask for ``relevant_spans``
``LYCHEE_API_MAX_REQUEST_MP``  ``100``    megapixels of all images of one request, counted from their headers
``LYCHEE_API_MAX_TEXT_CHARS``  ``20000``  characters of one text field (query, document, instruction)
``LYCHEE_API_MAX_URLS``        ``16``     image URLs per request (with ``LYCHEE_API_ALLOW_URLS=1``)
``LYCHEE_API_URL_NETWORKS``    unset      comma-separated networks image URLs may reach although private
                                          (e.g. ``10.1.2.0/24``, an internal image server); loopback,
                                          private, link-local and metadata addresses are refused otherwise
``LYCHEE_API_BODY_TIMEOUT_S``  ``30``     a request body must arrive whole within this many seconds (408)
``LYCHEE_API_CORS_ORIGINS``    unset      comma-separated origins (``https://search.example.com``) whose web
                                          pages may call the API; any other ``Origin`` is refused (403)
=============================  =========  ==================================================================

A value that is not a number in range stops the server at start with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

MB = 1_000_000
#: A web origin as browsers send it in the ``Origin`` header: scheme, host and an optional port.
ORIGIN = re.compile(r"https?://[a-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?")


@dataclass(frozen=True)
class ApiConfig:
    """Limits and switches of the HTTP API (see the module docstring for the environment variables).

    Attributes:
        api_key: the bearer key every call must carry, or ``None`` for an open API.
        extra_keys: other bearer keys accepted beside ``api_key``: the dashboard token of an exposed server
            (:mod:`lychee.access.settings`), set by the server at start.
        allow_urls: fetch ``http(s)://`` image URLs (off: refused with a 400).
        max_body_bytes: request body cap.
        max_documents: documents per request.
        max_in_flight: rerank requests admitted at once (running or waiting for a worker).
        workers: threads that parse, decode and score requests, off the event loop.
        url_timeout_s: timeout of one image URL fetch.
        url_max_bytes: size cap of one fetched image.
        max_span_documents: how many results of one request may carry ``relevant_spans`` (each costs one
            occlusion pass: one scored pair per word).
        retry_after_s: the ``Retry-After`` header of 503 (model loading) and 429 (queue full) answers.
        max_request_pixels: pixels of all the images of one request together (read from their headers, before
            any is decoded).
        max_text_chars: characters of one text field.
        max_urls: image URLs fetched for one request; ``url_timeout_s`` is the deadline of all of them together.
        url_networks: networks image URLs may reach although they are private or loopback (an internal image
            server); empty by default.
        body_timeout_s: the whole request body must arrive within this time (a slow body cannot hold a slot).
        cors_origins: web origins allowed to call the API from a browser (with CORS headers); others get 403.
    """

    api_key: str | None = None
    extra_keys: tuple[str, ...] = ()
    allow_urls: bool = False
    max_body_bytes: int = 20 * MB
    max_documents: int = 1000
    max_in_flight: int = 64
    workers: int = 1
    url_timeout_s: float = 10.0
    url_max_bytes: int = 10 * MB
    max_span_documents: int = 100
    retry_after_s: int = 5
    max_request_pixels: int = 100 * MB
    max_text_chars: int = 20_000
    max_urls: int = 16
    url_networks: tuple[str, ...] = ()
    body_timeout_s: float = 30.0
    cors_origins: tuple[str, ...] = ()

    @property
    def accepted_keys(self) -> tuple[str, ...]:
        """Every bearer key a call may carry; empty: the API is open."""
        return tuple(dict.fromkeys(k for k in (self.api_key, *self.extra_keys) if k))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiConfig:
        """Read the configuration from ``env`` (``os.environ`` by default).

        Raises:
            ValueError: a variable holds something other than a number in its range; the message names it.
        """
        env = os.environ if env is None else env
        key = env.get("LYCHEE_API_KEY", "").strip() or None
        return cls(
            api_key=key,
            allow_urls=_flag(env, "LYCHEE_API_ALLOW_URLS"),
            max_body_bytes=int(_number(env, "LYCHEE_API_MAX_BODY_MB", 20, minimum=0.001) * MB),
            max_documents=int(_number(env, "LYCHEE_API_MAX_DOCUMENTS", 1000, minimum=1, integer=True)),
            max_in_flight=int(_number(env, "LYCHEE_API_MAX_IN_FLIGHT", 64, minimum=1, integer=True)),
            workers=int(_number(env, "LYCHEE_API_WORKERS", 1, minimum=1, integer=True)),
            url_timeout_s=_number(env, "LYCHEE_API_URL_TIMEOUT_S", 10, minimum=0.1),
            url_max_bytes=int(_number(env, "LYCHEE_API_URL_MAX_MB", 10, minimum=0.001) * MB),
            max_span_documents=int(_number(env, "LYCHEE_API_MAX_SPAN_DOCS", 100, minimum=1, integer=True)),
            max_request_pixels=int(_number(env, "LYCHEE_API_MAX_REQUEST_MP", 100, minimum=0.001) * MB),
            max_text_chars=int(_number(env, "LYCHEE_API_MAX_TEXT_CHARS", 20_000, minimum=1, integer=True)),
            max_urls=int(_number(env, "LYCHEE_API_MAX_URLS", 16, minimum=1, integer=True)),
            url_networks=_networks(env, "LYCHEE_API_URL_NETWORKS"),
            body_timeout_s=_number(env, "LYCHEE_API_BODY_TIMEOUT_S", 30, minimum=0.1),
            cors_origins=_origins(env, "LYCHEE_API_CORS_ORIGINS"),
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise ValueError(f"{name}={value!r}: expected 1 (on) or 0 (off). Set {name}=1 or unset it.")
    return value == "1"


def _items(env: Mapping[str, str], name: str) -> list[str]:
    return [part.strip() for part in env.get(name, "").split(",") if part.strip()]


def _networks(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    networks = []
    for part in _items(env, name):
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ValueError(
                f"{name}: {part!r} is not a network; expected comma-separated addresses or CIDR networks such as "
                f"10.1.2.0/24,192.168.7.5. Fix or unset {name}."
            ) from None
    return tuple(networks)


def _origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    origins = []
    for part in _items(env, name):
        origin = part.rstrip("/").lower()
        if ORIGIN.fullmatch(origin) is None:
            raise ValueError(
                f"{name}: {part!r} is not a web origin; expected comma-separated origins such as "
                f"https://search.example.com,http://localhost:3000 (scheme, host and port only). Fix or unset {name}."
            )
        origins.append(origin)
    return tuple(origins)


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float, integer: bool = False) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return float(default)
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = None
    if value is None or value < minimum or value != value:  # value != value: NaN
        what = f"an integer >= {minimum:g}" if integer else f"a number >= {minimum:g}"
        raise ValueError(f"{name}={raw!r}: expected {what} (default {default:g}). Fix or unset {name}.")
    return float(value)


__all__ = ["MB", "ORIGIN", "ApiConfig"]
