"""The API's routes (Starlette): rerank in both shapes, health and model info, and JSON answers for the rest.

==============================================  ========  ==============================================================
path                                            method    answer
==============================================  ========  ==============================================================
``/api/rerank``                                 POST      the banded shape: ``model``, ``instruction``, ``results``
                                                          (``index``, ``document``, ``score``, ``band``), ``elapsed_ms``
``/v1/rerank``, ``/rerank``, ``/v2/rerank``     POST      the Cohere-compatible shape: ``id``, ``model``, ``results``
                                                          (``index``, ``relevance_score``, ``document``?), ``usage``
``/api/health``                                 GET       ``status`` (loaded / loading / failed), ``model``
``/api/model``                                  GET       model info, capabilities, limits
``/openapi.json``, ``/docs``                    GET       the OpenAPI 3.1 description, and a page that shows it
anything else under ``/api``, ``/v1``, ``/v2``  any       404 in the error shape (never the dashboard's HTML)
==============================================  ========  ==============================================================

A wrong method is a 405 in the error shape. Handlers never compute on the event loop: scoring runs in the service's
worker threads.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from lychee.api.errors import ApiError
from lychee.api.middleware import API_ROOTS, BARE_RERANK_PATH, DOCS_PATH, OPENAPI_PATH
from lychee.api.openapi import DOCS_PAGE, openapi_document
from lychee.api.schemas import Shape
from lychee.api.service import RerankService

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
RERANK_PATHS: dict[str, Shape] = {
    "/api/rerank": "banded",
    "/v1/rerank": "cohere_compatible",
    BARE_RERANK_PATH: "cohere_compatible",
    "/v2/rerank": "cohere_compatible",
}


def error_response(error: ApiError) -> JSONResponse:
    """The JSON answer of an :class:`ApiError`."""
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def _answers_errors(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error)
        except Exception:  # a bug of ours, never a caller's mistake: logged with its traceback, answered without one
            logger.exception("API %s %s failed", request.method, request.url.path)
            return error_response(
                ApiError(500, "The server failed while answering this request; its log has the details.")
            )

    return wrapped


def _only(method: str, path: str) -> None:
    raise ApiError(
        405,
        f"{path} answers {method} only; send {method}"
        + (
            ' with a JSON body such as {"query": "red shoes", "documents": ["Nike red shoe"]}.'
            if method == "POST"
            else "."
        ),
        headers={"Allow": method},
    )


def _encoded(fn: Callable[..., Any], *args: Any) -> bytes:
    return json.dumps(fn(*args), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


def api_routes(service: RerankService) -> list[BaseRoute]:
    """The Starlette routes of the API, served by ``service``."""

    def rerank(shape: Shape, path: str) -> Handler:
        async def endpoint(request: Request) -> Response:
            if request.method != "POST":
                _only("POST", path)
            loaded = service.ready()
            body = await request.body()
            # the JSON is encoded in the worker too: nothing proportional to the request runs on the event loop
            encoded = await service.run(_encoded, service.rerank, loaded, body, shape)
            return Response(encoded, media_type="application/json")

        return _answers_errors(endpoint)

    async def health(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            _only("GET", "/api/health")
        status, body = service.health()
        headers = {"Retry-After": str(service.config.retry_after_s)} if body["status"] == "loading" else None
        return JSONResponse(body, status_code=status, headers=headers)

    async def model(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            _only("GET", "/api/model")
        return JSONResponse(service.model_info())

    description = openapi_document(service.config)

    async def openapi(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            _only("GET", OPENAPI_PATH)
        return JSONResponse(description)

    async def docs(request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            _only("GET", DOCS_PATH)
        return HTMLResponse(DOCS_PAGE)

    async def not_found(request: Request) -> Response:
        raise ApiError(
            404,
            f"No API route {request.method} {request.url.path[:80]}. The API serves POST /api/rerank, POST /v1/rerank "
            "(also /rerank and /v2/rerank), GET /api/health and GET /api/model; GET /openapi.json describes them.",
        )

    routes: list[BaseRoute] = [
        Route(path, rerank(shape, path), methods=ALL_METHODS) for path, shape in RERANK_PATHS.items()
    ]
    routes += [
        Route("/api/health", _answers_errors(health), methods=ALL_METHODS),
        Route("/api/model", _answers_errors(model), methods=ALL_METHODS),
        Route(OPENAPI_PATH, _answers_errors(openapi), methods=ALL_METHODS),
        Route(DOCS_PATH, _answers_errors(docs), methods=ALL_METHODS),
    ]
    for prefix in API_ROOTS:
        routes.append(Route(prefix, _answers_errors(not_found), methods=ALL_METHODS))
        routes.append(Route(prefix + "/{rest:path}", _answers_errors(not_found), methods=ALL_METHODS))
    return routes


__all__ = ["RERANK_PATHS", "api_routes", "error_response"]
