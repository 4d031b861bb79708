"""Remote scorers: the scorer contract over models served by engines (vLLM, SGLang, TEI) or this project's own API.

By responsibility:

- :mod:`~lychee.scorers.remote.names`: the model string (``[protocol+]http(s)://...[,...]``);
- :mod:`~lychee.scorers.remote.loading`: :func:`load_remote`, the declared capabilities and model info;
- :mod:`~lychee.scorers.remote.discovery`: what each endpoint serves, asked once at load time;
- :mod:`~lychee.scorers.remote.probe`: two pairs scored at load time (a text against itself and against an unrelated
  one); an endpoint that does not separate them is declared in ``info.warnings``;
- :mod:`~lychee.scorers.remote.endpoints`: URL parsing, spreading requests over replicas, retries with backoff;
- :mod:`~lychee.scorers.remote.scorer`: :class:`RemoteScorer` (requests planned per query, run concurrently);
- :mod:`~lychee.scorers.remote.rerank`, :mod:`~lychee.scorers.remote.chat`: the ``rerank``/``tei`` and
  ``openai-chat`` protocols; :mod:`~lychee.scorers.remote.wire`: images and empty sides on the wire;
  :mod:`~lychee.scorers.remote.transport`: JSON over httpx.

Importing this package is cheap: httpx and the ``openai`` client are imported when a remote scorer is loaded.
"""

from __future__ import annotations

from typing import Any

from lychee.scorers.remote.endpoints import Endpoint, RemoteAnswerError, RemoteUnavailableError
from lychee.scorers.remote.names import API_KEY_ENV, DEFAULT_PROTOCOL, PROTOCOLS, is_remote, join_model, split_model
from lychee.scorers.remote.scorer import RemoteScorer


def load_remote(model: str, **options: Any) -> RemoteScorer:
    """Load a remote scorer (see :func:`lychee.scorers.remote.loading.load_remote` for the options)."""
    from lychee.scorers.remote.loading import load_remote as load  # httpx and the protocols load here

    return load(model, **options)


__all__ = [
    "API_KEY_ENV",
    "DEFAULT_PROTOCOL",
    "PROTOCOLS",
    "Endpoint",
    "RemoteAnswerError",
    "RemoteScorer",
    "RemoteUnavailableError",
    "is_remote",
    "join_model",
    "load_remote",
    "split_model",
]
