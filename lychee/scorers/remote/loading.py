"""Loading a remote scorer: ask the endpoints what they serve, then declare what the scorer is (capabilities, model
info) and build it. The model string is parsed by :mod:`lychee.scorers.remote.names`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lychee.contract import MULTILINGUAL, Capabilities, ModelInfo
from lychee.prompt import FAMILIES, LYCHEE, LYCHEE_DEFAULT_INSTRUCTION
from lychee.scorers.remote.chat import OpenAIChatProtocol
from lychee.scorers.remote.discovery import READY_TIMEOUT, Discovery, discover
from lychee.scorers.remote.endpoints import DEFAULT_RETRIES, DEFAULT_TIMEOUT, Endpoint, EndpointPool, parse_endpoints
from lychee.scorers.remote.keys import environment_key
from lychee.scorers.remote.names import join_model, split_model
from lychee.scorers.remote.probe import with_probe
from lychee.scorers.remote.rerank import RerankProtocol, TeiProtocol
from lychee.scorers.remote.scorer import RemoteScorer
from lychee.scorers.remote.transport import make_client
from lychee.scorers.remote.wire import EMBEDDING
from lychee.validation import is_int, positive_int

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 32
DEFAULT_CONCURRENCY = 4
REMOTE_FAMILIES = (*FAMILIES, EMBEDDING)


#: What a remote model can explain: the perturbation methods, which need nothing but scores (gradients do not cross
#: HTTP).
REMOTE_EXPLAIN_METHODS = ("occlusion", "shapley")


def _capabilities(protocol: str, family: str | None, project: Mapping[str, Any] | None) -> Capabilities:
    """What the remote model can take, declared from what the server said (or what the protocol allows)."""
    if project is not None:
        caps = project["capabilities"]
        languages = caps.get("languages") or MULTILINGUAL
        return Capabilities(
            text=bool(caps.get("text", True)),
            image=bool(caps.get("image", False)),
            video=False,  # the rerank shape carries no video
            uses_instruction=bool(caps.get("uses_instruction", True)),
            languages=tuple(languages),
            explain_methods=REMOTE_EXPLAIN_METHODS,  # gradients do not cross HTTP
            score_is_probability=bool(caps.get("score_is_probability", True)),
            max_image_pixels=caps["max_image_pixels"] if is_int(caps.get("max_image_pixels")) else None,
        )
    if protocol == "openai-chat":
        return Capabilities(text=True, image=True, uses_instruction=True, explain_methods=REMOTE_EXPLAIN_METHODS)
    if protocol == "tei" or family == EMBEDDING:
        return Capabilities(text=True, image=False, uses_instruction=False, explain_methods=REMOTE_EXPLAIN_METHODS)
    # vLLM's pooling runner (and Jina, Cohere...) fix the instruction in the server's template: the field is ignored.
    return Capabilities(text=True, image=True, uses_instruction=False, explain_methods=REMOTE_EXPLAIN_METHODS)


def _notes(protocol: str, family: str | None, found: Discovery, caps: Capabilities) -> tuple[str, ...]:
    notes = []
    if protocol == "rerank" and found.project is None:
        notes.append(
            "The instruction is fixed by the server (vLLM's pooling runner takes it from its chat template; the "
            "'instruction' field is ignored), so editing it here does not change scores."
        )
        notes.append(
            "Whether this server reads images is not known here: it is offered, and a text-only server refuses an "
            "image with an error."
        )
    if protocol != "openai-chat" and family != EMBEDDING and found.project is None:
        notes.append(
            "Log-odds are the logit of the P(yes) the server returns (a P of exactly 0 or 1 has infinite log-odds); "
            "explanations use them."
        )
    if protocol == "openai-chat" and found.answer_token_ids is None:
        notes.append(
            "The server has no /tokenize route, so P(yes) is read from the top 20 next tokens by their text; a pair "
            "whose 'yes' or 'no' falls outside them fails with an error."
        )
    if family is None and protocol != "openai-chat":
        notes.append("The model's recipe is unknown: an empty side (occlusion of a one-word text) is sent as ''.")
    return tuple(notes)


def _model_info(
    name: str, protocol: str, family: str | None, found: Discovery, caps: Capabilities, options: dict[str, Any]
) -> tuple[ModelInfo, str]:
    """The scorer's frozen :class:`ModelInfo` and default instruction."""
    remote = dict(found.project["info"]) if found.project is not None else {}
    default_instruction = str(
        remote.get("default_instruction")
        or (FAMILIES[family].default_instruction if family in FAMILIES else "")
        or LYCHEE_DEFAULT_INSTRUCTION
    )
    formula = {
        "openai-chat": "sigmoid(logprob[yes] - logprob[no]) of the answer's first token (= softmax over the yes/no "
        "logprobs)",
        "rerank": "relevance_score as returned by the endpoint",
        "tei": "score as returned by TEI (raw_scores=false)",
    }[protocol]
    if remote.get("score_formula"):
        formula = f"{formula}; remotely: {remote['score_formula']}"
    details = {
        "protocol": protocol,
        "endpoints": list(options["endpoints"]),
        "remote_model": found.served_model,
        "remote_family": family,
        "project_server": found.project is not None,
        "max_concurrency": options["max_concurrency"],
        "timeout_s": options["timeout"],
        "retries": options["retries"],
        "discovery": list(found.tried),
    }
    if found.answer_token_ids is not None:
        details["yes_token_id"], details["no_token_id"] = found.answer_token_ids
    if remote:
        details["remote_info"] = remote
    info = ModelInfo(
        name=name,
        family="remote",
        device=f"remote: {remote['device']}" if remote.get("device") else "remote",
        dtype=str(remote.get("dtype") or "unknown"),
        attention=str(remote.get("attention") or "unknown"),
        parameters=remote.get("parameters") if is_int(remote.get("parameters")) else None,
        weights_bytes=remote.get("weights_bytes") if is_int(remote.get("weights_bytes")) else None,
        path=None,
        max_length=remote.get("max_length") if is_int(remote.get("max_length")) else None,
        batch_size=options["batch_size"],
        default_instruction=default_instruction,
        score_formula=formula,
        notes=_notes(protocol, family, found, caps),
        details=details,
    )
    return info, default_instruction


def _family(protocol: str, wanted: str | None, found: Discovery) -> str | None:
    """The served model's recipe family: what the server says, else ``remote_family``, else (chat) Lychee."""
    if wanted is not None and wanted not in REMOTE_FAMILIES:
        raise ValueError(f"remote_family must be one of {list(REMOTE_FAMILIES)} or None, got {wanted!r}.")
    said = found.project["info"].get("family") if found.project is not None else None
    if said is not None and wanted is not None and said != wanted:
        raise ValueError(
            f"remote_family={wanted!r}, but {found.endpoint.url} serves a {said!r} model; drop remote_family."
        )
    family = said or wanted or (LYCHEE if protocol == "openai-chat" else None)
    if protocol == "openai-chat" and family not in FAMILIES:
        raise ValueError(
            f"protocol 'openai-chat' sends a reranker recipe's chat messages; remote_family must be one of "
            f"{sorted(FAMILIES)}, got {family!r}."
        )
    return family


def _feature(found: Discovery, name: str) -> bool:
    """Whether this project's server says it offers ``name`` beyond the shared rerank shape (``features``)."""
    features = found.project.get("features") if found.project is not None else None
    return isinstance(features, dict) and features.get(name) is True


def _pixels(found: Discovery) -> tuple[int, int] | None:
    details = found.project["info"].get("details") if found.project is not None else None
    if isinstance(details, dict) and is_int(details.get("min_pixels")) and is_int(details.get("max_pixels")):
        return int(details["min_pixels"]), int(details["max_pixels"])
    return None


def load_remote(
    model: str,
    *,
    protocol: str | None = None,
    api_key: str | None = None,
    batch_size: int | None = None,
    max_concurrency: int | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    remote_model: str | None = None,
    remote_family: str | None = None,
    ready_timeout: float = READY_TIMEOUT,
) -> RemoteScorer:
    """A :class:`RemoteScorer` for ``model`` (URL(s), see module docstring); asks each endpoint what it serves.

    Args:
        protocol: ``"rerank"`` (default), ``"tei"`` or ``"openai-chat"``; or a ``<protocol>+`` prefix on the URL.
        api_key: sent as ``Authorization: Bearer``; default ``$LYCHEE_REMOTE_API_KEY``, but only when every URL's
            host is in ``LYCHEE_REMOTE_ALLOW`` or is the server's own ``LYCHEE_MODEL`` (:mod:`~.keys`).
        batch_size: documents per request (rerank/tei; ``openai-chat`` sends one pair per request).
        max_concurrency: requests in flight per endpoint.
        timeout: seconds to wait for one answer.
        retries: retries after a request's first attempt (429/502/503/504, connection errors, timeouts).
        remote_model: the served model name to send (default: what the server lists).
        remote_family: the served model's recipe (``"lychee"``, ``"qwen3-vl-reranker"``, ``"embedding"``) when the
            server does not say: picks the chat prompt, the default instruction and how empty sides are sent.
        ready_timeout: how long to wait for a server that answers "still loading".

    Returns:
        The scorer, probed once (:mod:`lychee.scorers.remote.probe`): when two pairs — a text against itself and
        against an unrelated text — do not separate, ``info.warnings`` says so (loading still succeeds).

    Raises:
        ValueError: a malformed URL or option, or an endpoint that is dead, refuses the key, or does not speak the
            protocol (the message names the URL and what was tried).
    """
    protocol, urls = split_model(model, protocol)
    endpoints: list[Endpoint] = parse_endpoints(urls, protocol)
    batch_size = positive_int(batch_size, "batch_size", allow_none=True) or DEFAULT_BATCH_SIZE
    max_concurrency = positive_int(max_concurrency, "max_concurrency", allow_none=True) or DEFAULT_CONCURRENCY
    retries = DEFAULT_RETRIES if retries is None else positive_int(retries, "retries", minimum=0)
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}.")
    withheld = None
    if api_key is None:  # the environment's key goes only to allowed hosts (lychee.scorers.remote.keys)
        api_key, withheld = environment_key(endpoints)
        if withheld:
            logger.warning("%s", withheld)
    client = make_client(timeout=float(timeout), api_key=api_key)
    try:
        found = discover(client, endpoints, protocol, wanted=remote_model, ready_timeout=ready_timeout)
        family = _family(protocol, remote_family, found[0])
    except ValueError as exc:
        client.close()
        if withheld and "refused our key" in str(exc):
            raise ValueError(f"{exc} {withheld}") from exc
        raise
    except BaseException:
        client.close()
        raise
    first = found[0]
    caps = _capabilities(protocol, family, first.project)
    pixels = _pixels(first)
    if protocol == "openai-chat":
        client.close()  # discovery is done; the chat protocol has the OpenAI client of each endpoint
        wire: Any = OpenAIChatProtocol(
            model=first.served_model or "",
            family=family or LYCHEE,
            api_key=api_key,
            timeout=float(timeout),
            answer_token_ids=first.answer_token_ids,
            pixels=pixels,
        )
    elif protocol == "tei":
        wire = TeiProtocol(client, model=first.served_model, family=family, batch_size=batch_size)
    else:
        limits = first.project.get("limits") if first.project is not None else None
        limits = limits if isinstance(limits, dict) else {}
        if is_int(limits.get("max_documents")):
            batch_size = min(batch_size, limits["max_documents"])
        wire = RerankProtocol(
            client,
            model=first.served_model,
            family=family,
            pixels=pixels,
            batch_size=batch_size,
            project_server=first.project is not None,
            max_body_bytes=limits.get("max_body_bytes") if is_int(limits.get("max_body_bytes")) else None,
            empty_items=_feature(first, "allow_empty"),
        )
    name = join_model(protocol, [ep.url for ep in endpoints])
    options = {
        "endpoints": [ep.url for ep in endpoints],
        "batch_size": wire.batch_size,
        "max_concurrency": max_concurrency,
        "timeout": float(timeout),
        "retries": retries,
    }
    info, default_instruction = _model_info(name, protocol, family, first, caps, options)
    scorer = RemoteScorer(
        name=name,
        family="remote",
        capabilities=caps,
        info=info,
        default_instruction=default_instruction,
        pool=EndpointPool(endpoints, max_concurrency=max_concurrency),
        protocol=wire,
        retries=retries,
    )
    return with_probe(scorer)  # two pairs that any reranker separates; a warning on the scorer when they do not


__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_CONCURRENCY", "REMOTE_FAMILIES", "load_remote"]
