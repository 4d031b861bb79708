"""The API's OpenAPI 3.1 description (``GET /openapi.json``) and a page that shows it (``GET /docs``).

The description is built from this server's limits (documents per request, characters per text), so what it says is
what the server enforces. It names every route, both request shapes — ``banded`` (``/api/rerank``, the Lychee
seed's own) and ``cohere_compatible`` (``/v1/rerank``, ``/rerank``, ``/v2/rerank``) —, every answer and the one error
shape every 4xx/5xx has. ``/docs`` is one self-contained HTML page (no CDN, no script from elsewhere: the server may
have no way out) that fetches ``/openapi.json`` and lists its operations and schemas.
"""

from __future__ import annotations

from typing import Any

from lychee.api.config import ApiConfig
from lychee.api.errors import ERROR_TYPES
from lychee.api.middleware import BARE_RERANK_PATH, DOCS_PATH, OPENAPI_PATH

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"

_NULLABLE_NUMBER = {"type": ["number", "null"]}
_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _item_schemas(config: ApiConfig) -> dict[str, Any]:
    text = {"type": "string", "maxLength": config.max_text_chars}
    image = {
        "type": "string",
        "description": "An image as a data URL (data:image/png;base64,...) or bare base64; an http(s) URL only when "
        "the server allows URLs (LYCHEE_API_ALLOW_URLS=1). Never a path on the server.",
    }
    part = {
        "oneOf": [
            {
                "type": "object",
                "properties": {"type": {"const": "text"}, "text": text},
                "required": ["type", "text"],
            },
            {
                "type": "object",
                "properties": {
                    "type": {"const": "image_url"},
                    "image_url": {
                        "oneOf": [
                            image,
                            {"type": "object", "properties": {"url": image}, "required": ["url"]},
                        ]
                    },
                },
                "required": ["type", "image_url"],
            },
        ]
    }
    return {
        "Text": text,
        "Image": image,
        "ContentPart": part,
        "Item": {
            "description": "A query or a document: a string, {text, image}, or vLLM's {content: [parts]}.",
            "anyOf": [
                text,
                {
                    "type": "object",
                    "properties": {
                        "text": {**text, "type": ["string", "null"]},
                        "image": {**image, "type": ["string", "null"]},
                    },
                    "additionalProperties": False,
                },
                {
                    "type": "object",
                    "properties": {"content": {"type": "array", "items": _ref("ContentPart"), "minItems": 1}},
                    "required": ["content"],
                    "additionalProperties": False,
                },
            ],
        },
        "Documents": {
            "anyOf": [
                {"type": "array", "items": _ref("Item"), "maxItems": config.max_documents},
                {
                    "type": "object",
                    "description": "vLLM's other form: one content list whose parts are the documents.",
                    "properties": {"content": {"type": "array", "items": _ref("ContentPart")}},
                    "required": ["content"],
                    "additionalProperties": False,
                },
            ]
        },
        "RelevantSpans": {
            "anyOf": [
                {"type": "boolean"},
                {
                    "type": "object",
                    "properties": {
                        "mode": {"enum": ["enabled", "disabled"]},
                        "threshold": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                        "max_spans": {"type": ["integer", "null"], "minimum": 1},
                    },
                    "required": ["mode"],
                    "additionalProperties": False,
                },
            ]
        },
    }


def _request_schemas(config: ApiConfig) -> dict[str, Any]:
    common = {
        "query": _ref("Item"),
        "documents": _ref("Documents"),
        "instruction": {"type": ["string", "null"], "maxLength": config.max_text_chars},
        "top_n": {"type": ["integer", "null"], "minimum": 0, "description": "0 or null: all results."},
        "model": {
            "type": ["string", "null"],
            "maxLength": config.max_text_chars,
            "description": "The served model's name or 'default'; any other name is a 400.",
        },
        "relevant_spans": _ref("RelevantSpans"),
    }
    return {
        "BandedRequest": {
            "type": "object",
            "description": "The banded shape (the Lychee seed's own), POST /api/rerank.",
            "properties": common,
            "required": ["query", "documents"],
            "additionalProperties": False,
        },
        "CohereCompatibleRequest": {
            "type": "object",
            "description": "The Cohere-compatible shape (Cohere v2, vLLM, Jina, Infinity), POST /v1/rerank.",
            "properties": {
                **common,
                "return_documents": {"type": ["boolean", "null"]},
                "allow_empty": {"type": ["boolean", "null"]},
                "priority": {"type": ["integer", "null"]},
                "user": {"type": ["string", "null"], "maxLength": config.max_text_chars},
            },
            "required": ["query", "documents"],
            "additionalProperties": False,
        },
    }


_SPAN = {
    "type": "object",
    "properties": {
        "start": {"type": "integer"},
        "end": {"type": "integer"},
        "score": {"type": "number"},
        "text": {"type": "string"},
    },
    "required": ["start", "end", "score", "text"],
}


def _answer_schemas() -> dict[str, Any]:
    span = _SPAN
    echo = {
        "description": "The document as sent (a string), or its text and its image's size (never the image bytes).",
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {
                    "text": {"type": ["string", "null"]},
                    "image": {
                        "type": "object",
                        "properties": {"width": {"type": "integer"}, "height": {"type": "integer"}},
                        "required": ["width", "height"],
                    },
                },
                "required": ["text"],
            },
        ],
    }
    result = {
        "index": {"type": "integer", "minimum": 0},
        "log_odds": _NULLABLE_NUMBER,
        "truncated": {"type": "boolean"},
        "relevant_spans": {"type": "array", "items": span},
    }
    return {
        "Span": span,
        "DocumentEcho": echo,
        "BandedResponse": {
            "type": "object",
            "properties": {
                "model": {"type": "string"},
                "instruction": {"type": "string"},
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            **result,
                            "document": _ref("DocumentEcho"),
                            "score": {"type": "number", "minimum": 0, "maximum": 1},
                            "band": {"enum": ["strong", "medium", "weak"]},
                        },
                        "required": ["index", "document", "score", "band", "log_odds", "truncated"],
                    },
                },
                "elapsed_ms": {"type": "number"},
            },
            "required": ["model", "instruction", "results", "elapsed_ms"],
        },
        "CohereCompatibleResponse": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "model": {"type": "string"},
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            **result,
                            "relevance_score": {"type": "number", "minimum": 0, "maximum": 1},
                            "document": _ref("DocumentEcho"),
                        },
                        "required": ["index", "relevance_score", "log_odds", "truncated"],
                    },
                },
                "usage": {
                    "type": "object",
                    "properties": {"total_tokens": {"type": "integer", "minimum": 0}},
                    "required": ["total_tokens"],
                },
            },
            "required": ["id", "model", "results", "usage"],
        },
        **_status_schemas(),
    }


def _status_schemas() -> dict[str, Any]:
    return {
        "Health": {
            "type": "object",
            "properties": {
                "status": {"enum": ["loaded", "loading", "failed"]},
                "model": {"type": "string", "description": "The model's name (never a path on the server)."},
                "load_seconds": {"type": "number"},
                "loading_seconds": {"type": "number"},
                "error": {"type": "string", "description": "Why loading failed, in one line."},
            },
            "required": ["status", "model"],
        },
        "ModelDescription": {
            "type": "object",
            "properties": {
                "model": {"type": "string"},
                "accepted_model_names": {"type": "array", "items": {"type": "string"}},
                "info": {"type": "object"},
                "capabilities": {"type": "object"},
                "features": {"type": "object"},
                "limits": {"type": "object"},
            },
            "required": ["model", "accepted_model_names", "info", "capabilities", "features", "limits"],
        },
        "Error": {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"enum": sorted(set(ERROR_TYPES.values()))},
                        "param": {"type": ["string", "null"], "description": "The JSON path of the field at fault."},
                    },
                    "required": ["message", "type", "param"],
                }
            },
            "required": ["error"],
        },
    }


_ERRORS = {
    "400": "Bad input: the message names the field (param) and what to send.",
    "401": "Missing or wrong API key (when the server has one).",
    "403": "A browser request from an origin the server does not list (LYCHEE_API_CORS_ORIGINS).",
    "405": "Another method than the route's.",
    "408": "The body did not arrive within LYCHEE_API_BODY_TIMEOUT_S.",
    "413": "The body is larger than LYCHEE_API_MAX_BODY_MB.",
    "415": "The body is not sent as application/json.",
    "429": "Too many requests at once (LYCHEE_API_MAX_IN_FLIGHT); retry after Retry-After seconds.",
    "503": "The model is loading (Retry-After) or failed to load.",
}


def _error(code: str) -> dict[str, Any]:
    out: dict[str, Any] = {"description": _ERRORS[code], "content": {"application/json": {"schema": _ref("Error")}}}
    if code in ("429", "503"):
        out["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}}
    return out


def _rerank_operation(shape: str, request: str, answer: str, summary: str) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"rerank_{shape}",
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(request)}}},
            "responses": {
                "200": {
                    "description": "Results, best first.",
                    "content": {"application/json": {"schema": _ref(answer)}},
                },
                **{code: _error(code) for code in ("400", "401", "403", "405", "408", "413", "415", "429", "503")},
            },
        }
    }


def _get_operation(operation_id: str, summary: str, answer: dict[str, Any], errors: tuple[str, ...]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "responses": {"200": answer, **{code: _error(code) for code in errors}},
        }
    }


def _paths() -> dict[str, Any]:
    cohere = "Rerank, the Cohere-compatible shape (what Cohere v2, vLLM, Jina and Infinity speak)."
    paths: dict[str, Any] = {
        "/api/rerank": _rerank_operation(
            "banded", "BandedRequest", "BandedResponse", "Rerank, the banded shape: a score and a band per result."
        ),
    }
    for path, suffix in (("/v1/rerank", "v1"), (BARE_RERANK_PATH, "bare"), ("/v2/rerank", "v2")):
        paths[path] = _rerank_operation(
            f"cohere_compatible_{suffix}", "CohereCompatibleRequest", "CohereCompatibleResponse", cohere
        )
    json_of = lambda name: {"application/json": {"schema": _ref(name)}}  # noqa: E731 - a local shorthand
    health = _get_operation(
        "health",
        "Whether the server's model is loaded.",
        {"description": "Loaded.", "content": json_of("Health")},
        ("401", "403", "405"),
    )
    health["get"]["responses"]["503"] = {
        "description": "Loading (Retry-After) or failed to load.",
        "headers": {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait, while loading."}},
        "content": json_of("Health"),
    }
    paths["/api/health"] = health
    paths["/api/model"] = _get_operation(
        "model",
        "The model's info (no server path), capabilities, features and this server's limits.",
        {"description": "The served model.", "content": json_of("ModelDescription")},
        ("401", "403", "405", "503"),
    )
    paths[OPENAPI_PATH] = _get_operation(
        "openapi", "This description.", {"description": "OpenAPI 3.1.", "content": {"application/json": {}}}, ("405",)
    )
    paths[DOCS_PATH] = _get_operation(
        "docs", "This description as a page.", {"description": "HTML.", "content": {"text/html": {}}}, ("405",)
    )
    return paths


def openapi_document(config: ApiConfig) -> dict[str, Any]:
    """The OpenAPI 3.1 description of this server's API, with its limits."""
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Lychee rerank API",
            "version": API_VERSION,
            "description": "Multimodal reranking with the server's model (LYCHEE_MODEL). Every error answers "
            '{"error": {"message", "type", "param"}}.',
        },
        "paths": _paths(),
        "components": {
            "schemas": {**_item_schemas(config), **_request_schemas(config), **_answer_schemas()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
    if config.api_key is not None:
        for path, operations in document["paths"].items():
            if path not in (OPENAPI_PATH, DOCS_PATH):
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}]
    return document


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lychee rerank API</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h2{margin-top:2rem;border-bottom:1px solid #ddd}.op{margin:1rem 0;padding:.6rem 1rem;border:1px solid #ddd;
border-radius:6px}.m{font-weight:700;text-transform:uppercase;margin-right:.6rem}code,pre{background:#f6f6f6;
border-radius:4px}pre{padding:.6rem;overflow:auto;max-height:24rem}summary{cursor:pointer}
</style></head><body>
<h1>Lychee rerank API</h1>
<p>The machine-readable description is <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1).</p>
<div id="ops">Loading the description...</div>
<script>
const text = (tag, value, cls) => { const e = document.createElement(tag); e.textContent = value;
  if (cls) e.className = cls; return e; };
const pre = (value) => text("pre", JSON.stringify(value, null, 2));
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  const root = document.getElementById("ops"); root.textContent = "";
  root.append(text("p", doc.info.description));
  root.append(text("h2", "Operations"));
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const box = document.createElement("div"); box.className = "op";
      const head = document.createElement("div");
      head.append(text("span", method, "m"), text("code", path), text("span", " " + (op.summary || "")));
      box.append(head);
      if (op.requestBody) {
        const d = document.createElement("details"); d.append(text("summary", "Request body"));
        d.append(pre(op.requestBody.content["application/json"].schema)); box.append(d);
      }
      const d = document.createElement("details"); d.append(text("summary", "Answers"));
      for (const [code, answer] of Object.entries(op.responses)) {
        d.append(text("p", code + ": " + answer.description));
      }
      box.append(d); root.append(box);
    }
  }
  root.append(text("h2", "Schemas"));
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    const d = document.createElement("details"); d.append(text("summary", name)); d.append(pre(schema));
    root.append(d);
  }
}).catch((e) => { document.getElementById("ops").textContent = "Could not load /openapi.json: " + e; });
</script></body></html>
"""

__all__ = ["API_VERSION", "DOCS_PAGE", "OPENAPI_VERSION", "openapi_document"]
