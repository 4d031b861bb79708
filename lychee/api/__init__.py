"""The rerank HTTP API, served from the dashboard's own process and port.

``POST /api/rerank`` (the banded shape, the Lychee seed's own: a score and a band per result), ``POST /v1/rerank`` /
``/rerank`` / ``/v2/rerank`` (the Cohere-compatible shape vLLM, Jina, Cohere v2 and Infinity share, which the ``cohere``
SDK speaks), ``GET /api/health`` and ``GET /api/model``. It serves the server's model (``LYCHEE_MODEL``) from the
loader the dashboard's pages use, so both share one scorer.

This package imports no Streamlit: ``lychee/ui/server.py`` mounts :func:`build_api`'s routes, middleware
and lifespan on ``st.App`` beside the dashboard::

    api = build_api()
    app = st.App("streamlit_app.py", routes=api.routes, middleware=api.middleware, lifespan=api.lifespan)

Modules: ``config`` (limits from the environment), ``errors`` (the error shape), ``images`` (base64 / URL policy,
the request's pixel budget), ``urls`` (fetching image URLs from public addresses only), ``schemas`` (request
validation, JSON caps), ``spans`` (``relevant_spans``), ``service`` (model state, names not paths, scoring in worker
threads), ``openapi`` (``/openapi.json`` and ``/docs``), ``routes`` (Starlette endpoints), ``middleware`` (origin,
key, content type, body deadline and cap, queue bound).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from lychee.api.config import ApiConfig
from lychee.api.errors import ApiError
from lychee.api.middleware import ApiGuard, is_api_path
from lychee.api.routes import api_routes
from lychee.api.service import RerankService
from lychee.serving import LOADER, ModelKey, ModelLoader, server_model_key


@dataclass(frozen=True)
class Api:
    """What a server mounts: the routes, the guard middleware and the lifespan that loads the model at start.

    Attributes:
        service: the rerank service (model state, worker threads).
        routes: Starlette routes of every API path.
        middleware: the :class:`~lychee.api.middleware.ApiGuard` (key, in-flight bound, body cap).
    """

    service: RerankService
    routes: list[BaseRoute]
    middleware: list[Middleware]

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Any) -> AsyncIterator[None]:
        """Server start: start the workers and the model's background load; server stop: stop the workers."""
        self.service.start()
        try:
            yield
        finally:
            self.service.close()


def build_api(
    *, config: ApiConfig | None = None, loader: ModelLoader | None = None, key: ModelKey | None = None
) -> Api:
    """The API for a server process.

    Args:
        config: limits and switches; read from the environment (``LYCHEE_API_*``) by default.
        loader: the model loader; the process-wide :data:`lychee.serving.LOADER` (shared with the pages) by default.
        key: the ``(model, device, dtype)`` to serve; ``LYCHEE_MODEL`` / ``LYCHEE_DEVICE`` / ``LYCHEE_DTYPE`` by default.

    Raises:
        ValueError: an ``LYCHEE_API_*`` variable holds a bad value (the message names it).
    """
    config = ApiConfig.from_env() if config is None else config
    service = RerankService(loader=LOADER if loader is None else loader, key=key or server_model_key(), config=config)
    return Api(service=service, routes=api_routes(service), middleware=[Middleware(ApiGuard, config=config)])


__all__ = ["Api", "ApiConfig", "ApiError", "ApiGuard", "RerankService", "build_api", "is_api_path"]
