"""The sidebar's third model source: a served model's URL(s) and the protocol to speak to it.

The choice ends up as one model string (``http://gpu-1:8000``, ``openai-chat+http://gpu-1:8000,http://gpu-2:8000``,
see :mod:`lychee.scorers.remote.names`) in the shared ``model`` key, so pages, the cached loader and the API see a
remote model as they see any other. The URL field and the protocol live in plain session keys (``remote_url``,
``remote_protocol``) so they survive page switches; a malformed URL keeps the previous model and says why.
"""

from __future__ import annotations

import streamlit as st

import lychee
from lychee.formatting import escape_markdown, markdown_code
from lychee.scorers.remote import DEFAULT_PROTOCOL, PROTOCOLS, is_remote, join_model, split_model
from lychee.scorers.remote.endpoints import parse_endpoints
from lychee.ui.i18n import N_, _, ngettext
from lychee.ui.shell import notices
from lychee.ui.shell.state import widget_key

PROTOCOL_LABELS = {
    "rerank": N_("rerank: /v1/rerank (this project's server, vLLM pooling, Jina, Cohere)"),
    "tei": N_("tei: Hugging Face text-embeddings-inference (text only)"),
    "openai-chat": N_("openai-chat: a chat model's yes/no logprobs (Lychee on vLLM / SGLang)"),
}
ERROR_KEY = "remote_error"


def fields_of(model: str) -> tuple[str, str]:
    """``(protocol, "url, url")`` of a remote model string (``(DEFAULT_PROTOCOL, "")`` for anything else)."""
    if not is_remote(model):
        return DEFAULT_PROTOCOL, ""
    try:
        protocol, urls = split_model(model)
    except ValueError:
        return DEFAULT_PROTOCOL, model
    return protocol, ", ".join(urls)


def init_state() -> None:
    """``setdefault`` the picker's session keys from the current model."""
    ss = st.session_state
    protocol, urls = fields_of(ss["model"])
    ss.setdefault("remote_protocol", protocol)
    ss.setdefault("remote_url", urls)
    ss.setdefault(ERROR_KEY, None)
    if ss["remote_protocol"] not in PROTOCOLS:
        ss["remote_protocol"] = DEFAULT_PROTOCOL


def sync_from_model() -> None:
    """Show the current (remote) model in the picker, when something else (a test, another page) set it directly."""
    ss = st.session_state
    ss["remote_protocol"], ss["remote_url"] = fields_of(ss["model"])
    ss[ERROR_KEY] = None


def model_from_fields() -> str:
    """The model string the picker's fields name; the embedded default (with ``remote_error`` set) when they name
    nothing usable yet: empty, or a URL that is not one."""
    ss = st.session_state
    text = ss["remote_url"].strip()
    ss[ERROR_KEY] = None
    if not text:
        return lychee.DEFAULT_MODEL
    try:
        named, urls = split_model(text)
        prefixed = any(text.lower().startswith(p + "+") for p in PROTOCOLS)
        protocol = named if prefixed else ss["remote_protocol"]  # a pasted "openai-chat+http://..." picks its protocol
        parse_endpoints(urls, protocol)
    except (ValueError, TypeError) as exc:
        ss[ERROR_KEY] = str(exc)
        return lychee.DEFAULT_MODEL
    ss["remote_protocol"] = protocol
    return join_model(protocol, urls)


def _on_url() -> None:
    ss = st.session_state
    ss["remote_url"] = ss[widget_key("remote_url")]
    ss["model"] = model_from_fields()


def _on_protocol() -> None:
    ss = st.session_state
    ss["remote_protocol"] = ss[widget_key("remote_protocol")]
    try:  # the picker decides now: drop a protocol prefix pasted into the URL field
        ss["remote_url"] = ", ".join(split_model(ss["remote_url"])[1])
    except ValueError:
        pass  # two different prefixes: model_from_fields says so
    ss["model"] = model_from_fields()


def describe(info: lychee.ModelInfo) -> str | None:
    """One line about a remote model for Home (protocol, endpoints, what they serve), or ``None`` for a local one."""
    if info.family != "remote":
        return None
    # The served model's name and family come from the remote server's answers: shown as code or escaped text.
    details = info.details
    remote = details.get("remote_info") or {}
    served = details.get("remote_model") or "unnamed"
    family = remote.get("family") or details.get("remote_family") or _("unknown family")
    endpoints = ", ".join(markdown_code(str(url)) for url in details.get("endpoints", []))
    where = _("this project's server") if details.get("project_server") else _("the server")
    in_flight = details.get("max_concurrency")
    limits = _("{in_flight}, {per_request}").format(
        in_flight=ngettext(
            "up to {n} request in flight per endpoint", "up to {n} requests in flight per endpoint", in_flight or 0
        ).format(n=in_flight),
        per_request=ngettext("{n} document per request.", "{n} documents per request.", info.batch_size).format(
            n=info.batch_size
        ),
    )
    return _(
        "Remote model over the {protocol} protocol at {endpoints}: {where} serves {served} ({family}); {limits}"
    ).format(
        protocol=markdown_code(str(details.get("protocol"))),
        endpoints=endpoints,
        where=where,
        served=markdown_code(str(served)),
        family=escape_markdown(str(family)),
        limits=limits,
    )


def draw() -> None:
    """The URL field, the protocol picker, and what the user should know (errors, the key)."""
    ss = st.session_state
    ss[widget_key("remote_url")] = ss["remote_url"]
    st.text_input(
        _("Endpoint URL(s)"),
        key=widget_key("remote_url"),
        on_change=_on_url,
        placeholder=_("http://gpu-1:8000   (replicas: comma-separated)"),
        help=_(
            "A served model: this project's server (./start.sh on another machine), vLLM, TEI... Several "
            "URLs (comma-separated) are replicas of one model: requests are spread over them. Press Enter to "
            "apply."
        ),
    )
    ss[widget_key("remote_protocol")] = ss["remote_protocol"]
    st.selectbox(
        _("Protocol"),
        PROTOCOLS,
        format_func=lambda protocol: _(PROTOCOL_LABELS[protocol]),
        key=widget_key("remote_protocol"),
        on_change=_on_protocol,
        help=_(
            "rerank: POST /v1/rerank (Cohere/Jina/vLLM shape). tei: Hugging Face TEI. openai-chat: "
            "Lychee-rerank-mm served as a chat model, scored from the yes/no log-probabilities. See "
            "docs/deploy.md."
        ),
    )
    if ss[ERROR_KEY]:
        notices.library_error(
            ss[ERROR_KEY],
            _("This endpoint cannot be used; correct the URL. Until then the embedded default model is used."),
        )
    elif not ss["remote_url"].strip():
        st.info(_("Enter the URL of a served model. Until then the embedded default model is used."))
    st.caption(
        _(
            "The key LYCHEE_REMOTE_API_KEY of this server's environment is sent only to the hosts in "
            "LYCHEE_REMOTE_ALLOW and to the server's own model (LYCHEE_MODEL); any other URL gets no key."
        )
    )


__all__ = [
    "ERROR_KEY",
    "PROTOCOL_LABELS",
    "describe",
    "draw",
    "fields_of",
    "init_state",
    "model_from_fields",
    "sync_from_model",
]
