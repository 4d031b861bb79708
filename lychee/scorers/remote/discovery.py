"""What is behind an endpoint, asked once at load time, so that a dead or wrong URL fails at once and clearly.

Per protocol, in order, each endpoint is asked:

* ``rerank``: ``GET <base>/api/model`` (this project's own server: the real model info and capabilities), else
  ``GET <base>/v1/models`` (vLLM, Infinity...: the served model's name), else one tiny ``POST <route>`` rerank to check
  that the URL speaks the protocol at all;
* ``tei``: ``GET <base>/info`` (TEI: the model id and that it is a reranker), else the tiny rerank;
* ``openai-chat``: ``GET <base_url>/models`` (the served model name), then ``POST <base>/tokenize`` for ``yes`` and
  ``no`` (vLLM: the token ids to ask logprobs for; optional).

A connection that fails (refused, timed out) makes the load fail with the URL and what was tried; a server that says
it is still loading (503 with ``Retry-After``) is waited for up to ``ready_timeout`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from lychee.scorers.remote.endpoints import Endpoint, RetryableError
from lychee.scorers.remote.transport import RemoteAnswerError, quote_remote, request_json

logger = logging.getLogger(__name__)

#: Seconds to wait for a discovery answer (the server need not run the model to answer these).
DISCOVERY_TIMEOUT = 15.0
#: Seconds to wait for a server that answers "loading" (503 with Retry-After) before giving up.
READY_TIMEOUT = 120.0


class NotFound(Exception):
    """The route does not exist on this server (404/405, or an answer of another shape)."""


@dataclass
class Discovery:
    """What one endpoint told us.

    Attributes:
        endpoint: the endpoint asked.
        served_model: the model name to send in requests (``None``: the server's only model, field left out).
        project: the ``GET /api/model`` answer of this project's own server, else ``None``.
        answer_token_ids: ``(yes_id, no_id)`` from the server's tokenizer (``openai-chat`` on vLLM), else ``None``.
        tried: each route asked and what it answered, for messages and model notes.
    """

    endpoint: Endpoint
    served_model: str | None = None
    project: Mapping[str, Any] | None = None
    answer_token_ids: tuple[int, int] | None = None
    tried: list[str] = field(default_factory=list)


def _ask(
    client: httpx.Client,
    method: str,
    url: str,
    discovery: Discovery,
    *,
    body: Any = None,
    deadline: float,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """One discovery request: the JSON answer, :class:`NotFound`, or a ``ValueError`` for a dead/refusing server."""
    while True:
        try:
            answer = request_json(client, method, url, body=body, timeout=DISCOVERY_TIMEOUT)
        except RetryableError as exc:
            discovery.tried.append(f"{method} {url}: {exc}")
            if exc.retry_after is not None and time.monotonic() + exc.retry_after < deadline:
                logger.info("%s says it is not ready (%s); waiting %.0f s", url, exc, exc.retry_after)
                sleep(max(exc.retry_after, 0.5))
                continue
            raise _unreachable(discovery) from exc
        except RemoteAnswerError as exc:
            text = str(exc)
            discovery.tried.append(text)
            if exc.status in (401, 403):
                raise ValueError(
                    f"remote model {discovery.endpoint.url}: the server refused our key ({text}). Pass the right key "
                    "as api_key= or in LYCHEE_REMOTE_API_KEY."
                ) from exc
            raise NotFound(text) from exc
        discovery.tried.append(f"{method} {url}: HTTP 200")
        return answer


def _unreachable(discovery: Discovery) -> ValueError:
    return ValueError(
        f"remote model {discovery.endpoint.url}: no usable answer. Tried: {'; '.join(discovery.tried)}. Check the URL "
        "(scheme, host, port) and that the server is running and reachable from this machine."
    )


def _wrong_endpoint(discovery: Discovery, protocol: str, detail: str) -> ValueError:
    return ValueError(
        f"remote model {discovery.endpoint.url}: does not answer like a '{protocol}' endpoint ({detail}). Tried: "
        f"{'; '.join(discovery.tried)}. Check the path in the URL and the protocol: 'rerank' for this project's "
        "server, vLLM --runner pooling, Jina, Infinity or Cohere; 'tei' for text-embeddings-inference; 'openai-chat' "
        "for a chat model served by vLLM or SGLang."
    )


def looks_like_project(answer: Any) -> bool:
    """True when a ``GET /api/model`` answer is this project's model description (``{"model", "info",
    "capabilities", "limits"}``: the frozen ModelInfo and Capabilities of the served scorer)."""
    return (
        isinstance(answer, dict)
        and isinstance(answer.get("info"), dict)
        and isinstance(answer.get("capabilities"), dict)
    )


def model_ids(answer: Any) -> list[str]:
    """The model ids of an OpenAI-style ``GET /v1/models`` answer (``{"data": [{"id": ...}]}``)."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list):
        return []
    return [str(m["id"]) for m in data if isinstance(m, dict) and isinstance(m.get("id"), str)]


def pick_model(ids: list[str], wanted: str | None, discovery: Discovery) -> str | None:
    """The served model to use: ``wanted`` (checked against the list when there is one), or the only one listed.

    Raises:
        ValueError: ``wanted`` is not served, or several models are served and none was chosen.
    """
    if wanted is not None:
        if ids and wanted not in ids:
            raise ValueError(
                f"remote model {discovery.endpoint.url}: serves {quote_remote(ids)}, not {wanted!r}. Pass remote_model= "
                "one of them."
            )
        return wanted
    if len(ids) > 1:
        raise ValueError(
            f"remote model {discovery.endpoint.url}: serves several models {quote_remote(ids)}; say which with remote_model=..."
        )
    return ids[0] if ids else None


def _tiny_rerank(client: httpx.Client, discovery: Discovery, protocol: str, deadline: float) -> None:
    body: dict[str, Any] = {"query": "test", "top_n": 1}
    if protocol == "tei":
        body["texts"] = ["test"]
    else:
        body["documents"] = ["test"]
        if discovery.served_model:
            body["model"] = discovery.served_model
    try:
        answer = _ask(client, "POST", discovery.endpoint.route, discovery, body=body, deadline=deadline)
    except NotFound as exc:
        raise _wrong_endpoint(discovery, protocol, str(exc)) from None
    rows = answer if protocol == "tei" else (answer.get("results") if isinstance(answer, dict) else None)
    key = "score" if protocol == "tei" else "relevance_score"
    if not (isinstance(rows, list) and rows and isinstance(rows[0], dict) and key in rows[0]):
        shape = f"keys {quote_remote(sorted(answer))}" if isinstance(answer, dict) else type(answer).__name__
        raise _wrong_endpoint(discovery, protocol, f"a test rerank answered {shape}, without '{key}'")


def discover_rerank(client: httpx.Client, endpoint: Endpoint, *, wanted: str | None, deadline: float) -> Discovery:
    """Discovery for the ``rerank`` protocol (see module docstring)."""
    discovery = Discovery(endpoint)
    try:
        answer = _ask(client, "GET", f"{endpoint.base}/api/model", discovery, deadline=deadline)
        if looks_like_project(answer):
            discovery.project = answer
            accepted = answer.get("accepted_model_names")
            if wanted is not None and isinstance(accepted, list) and wanted not in accepted:
                raise ValueError(
                    f"remote model {endpoint.url}: this project's server there serves {quote_remote(answer.get('model'))} "
                    f"(it accepts the names {quote_remote(accepted)}), not {wanted!r}; it never switches models on "
                    "a request. Drop "
                    "remote_model, or point at the server that serves it."
                )
            discovery.served_model = wanted or str(answer.get("model") or answer["info"].get("name") or "") or None
            return discovery
    except NotFound:
        pass
    try:
        ids = model_ids(_ask(client, "GET", f"{endpoint.base}/v1/models", discovery, deadline=deadline))
        discovery.served_model = pick_model(ids, wanted, discovery)
        if ids:
            return discovery
    except NotFound:
        discovery.served_model = wanted
    _tiny_rerank(client, discovery, "rerank", deadline)
    return discovery


def discover_tei(client: httpx.Client, endpoint: Endpoint, *, wanted: str | None, deadline: float) -> Discovery:
    """Discovery for the ``tei`` protocol."""
    discovery = Discovery(endpoint, served_model=wanted)
    try:
        info = _ask(client, "GET", f"{endpoint.base}/info", discovery, deadline=deadline)
    except NotFound:
        info = None
    if isinstance(info, dict) and isinstance(info.get("model_type"), dict):
        if "reranker" not in info["model_type"]:
            kind = quote_remote(sorted(info["model_type"]))
            raise _wrong_endpoint(discovery, "tei", f"it serves a {kind} model, not a reranker")
        discovery.served_model = wanted or info.get("model_id")
        return discovery
    _tiny_rerank(client, discovery, "tei", deadline)
    return discovery


def discover_chat(client: httpx.Client, endpoint: Endpoint, *, wanted: str | None, deadline: float) -> Discovery:
    """Discovery for the ``openai-chat`` protocol: the model name (required) and, if the server says, yes/no ids."""
    discovery = Discovery(endpoint)
    try:
        ids = model_ids(_ask(client, "GET", f"{endpoint.route}/models", discovery, deadline=deadline))
    except NotFound as exc:
        raise _wrong_endpoint(discovery, "openai-chat", f"GET /models is not there: {exc}") from None
    if not ids and wanted is None:
        raise _wrong_endpoint(discovery, "openai-chat", "GET /models lists no model")
    discovery.served_model = pick_model(ids, wanted, discovery)
    token_ids = []
    for word in ("yes", "no"):
        body = {"model": discovery.served_model, "prompt": word, "add_special_tokens": False}
        try:
            answer = _ask(client, "POST", f"{endpoint.base}/tokenize", discovery, body=body, deadline=deadline)
        except (NotFound, ValueError):
            return discovery  # no /tokenize (not vLLM): answers are read by token text from the top logprobs
        tokens = answer.get("tokens") if isinstance(answer, dict) else None
        if not (isinstance(tokens, list) and len(tokens) == 1 and isinstance(tokens[0], int)):
            raise ValueError(
                f"remote model {endpoint.url}: the served tokenizer encodes {word!r} as {quote_remote(tokens)}; expected "
                "a single "
                "token each for 'yes' and 'no', as in the Qwen vocabulary. Is this a Lychee-rerank-mm / "
                "Qwen3-VL-Reranker checkpoint with its original tokenizer?"
            )
        token_ids.append(tokens[0])
    discovery.answer_token_ids = (token_ids[0], token_ids[1])
    return discovery


DISCOVER: dict[str, Callable[..., Discovery]] = {
    "rerank": discover_rerank,
    "tei": discover_tei,
    "openai-chat": discover_chat,
}


def discover(
    client: httpx.Client,
    endpoints: list[Endpoint],
    protocol: str,
    *,
    wanted: str | None,
    ready_timeout: float = READY_TIMEOUT,
) -> list[Discovery]:
    """Ask every endpoint (see module docstring) and check they serve the same model.

    Raises:
        ValueError: an endpoint is unreachable, refuses our key, does not speak ``protocol``, or the endpoints serve
            different models.
    """
    deadline = time.monotonic() + ready_timeout
    found = [DISCOVER[protocol](client, ep, wanted=wanted, deadline=deadline) for ep in endpoints]
    names = {d.endpoint.url: (d.served_model, _project_identity(d)) for d in found}
    if len(set(names.values())) > 1:
        listed = "; ".join(
            f"{url}: {name or 'unnamed'}{f' ({ident})' if ident else ''}" for url, (name, ident) in names.items()
        )
        raise ValueError(
            f"the endpoints serve different models ({listed}); a remote scorer spreads requests over replicas of one "
            "model. Give the URLs of one model's replicas only."
        )
    ids = {d.answer_token_ids for d in found}
    if len(ids) > 1:
        raise ValueError(f"the endpoints' tokenizers disagree on the yes/no token ids ({sorted(map(str, ids))}).")
    return found


def _project_identity(discovery: Discovery) -> str | None:
    if discovery.project is None:
        return None
    info = discovery.project["info"]
    return f"{info.get('family')}, {info.get('dtype')}"


__all__ = [
    "DISCOVERY_TIMEOUT",
    "READY_TIMEOUT",
    "Discovery",
    "NotFound",
    "discover",
    "discover_chat",
    "discover_rerank",
    "discover_tei",
    "looks_like_project",
    "model_ids",
    "pick_model",
]
