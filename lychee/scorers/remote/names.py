"""How a remote model is named: its URL(s), optionally prefixed by the protocol (a light module: no HTTP client).

::

    http://host:8000                               rerank protocol, POST http://host:8000/v1/rerank
    https://rerank.example/v2/rerank               rerank protocol, that path
    tei+http://host:8080                           Hugging Face TEI, POST /rerank
    openai-chat+http://host:8000                   a chat model (vLLM/SGLang), base URL http://host:8000/v1
    http://gpu-1:8000,http://gpu-2:8000            two replicas of one model (requests spread over both)

The one string names the model everywhere (``LYCHEE_MODEL``, ``python -m eval --model``, the dashboard, the eval
fingerprint); options that do not change scores (concurrency, timeouts, the key) are keyword arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lychee.scorers.remote.endpoints import PROTOCOL_ROUTES

PROTOCOLS = tuple(PROTOCOL_ROUTES)
DEFAULT_PROTOCOL = "rerank"
API_KEY_ENV = "LYCHEE_REMOTE_API_KEY"


def is_remote(model: Any) -> bool:
    """True when ``model`` names a remote model (an http(s) URL, optionally ``<protocol>+``-prefixed)."""
    if not isinstance(model, str):
        return False
    head = model.strip().split(",", 1)[0].strip().lower()
    for protocol in PROTOCOLS:
        if head.startswith(protocol + "+"):
            head = head[len(protocol) + 1 :]
            break
    return head.startswith(("http://", "https://"))


def split_model(model: str, protocol: str | None = None) -> tuple[str, list[str]]:
    """``(protocol, [url, ...])`` of a remote model string.

    Raises:
        ValueError: URLs with different protocol prefixes, or a prefix that contradicts ``protocol``.
    """
    urls, prefixes = [], set()
    for part in (p.strip() for p in model.split(",")):
        if not part:
            continue
        for name in PROTOCOLS:
            if part.lower().startswith(name + "+"):
                prefixes.add(name)
                part = part[len(name) + 1 :]
                break
        urls.append(part)
    if len(prefixes) > 1:
        raise ValueError(f"model {model!r}: the URLs carry different protocols {sorted(prefixes)}; use one.")
    named = next(iter(prefixes), None)
    if protocol is not None and named is not None and protocol != named:
        raise ValueError(f"model {model!r} says protocol {named!r}, but protocol={protocol!r} was passed; drop one.")
    chosen = protocol or named or DEFAULT_PROTOCOL
    if chosen not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {list(PROTOCOLS)}, got {chosen!r}.")
    return chosen, urls


def join_model(protocol: str, urls: Sequence[str]) -> str:
    """The model string of ``urls`` spoken to with ``protocol`` (no prefix for the default ``rerank``)."""
    prefix = "" if protocol == DEFAULT_PROTOCOL else protocol + "+"
    return prefix + ",".join(u.strip() for u in urls)


__all__ = ["API_KEY_ENV", "DEFAULT_PROTOCOL", "PROTOCOLS", "is_remote", "join_model", "split_model"]
