"""The ``openai-chat`` protocol: Lychee-rerank-mm (or Qwen3-VL-Reranker) served as a plain chat model.

vLLM or SGLang serve the checkpoint as an ordinary Qwen2.5-VL / Qwen3-VL chat model; each (query, document) pair is one
chat completion carrying exactly the family's reference messages (:func:`lychee.prompt.build_messages`: the system
text, ``<Instruct>: ...``, ``<Query>:``, the query image and text, ``\\n<Document>:``, the document image and text),
images as PNG data URLs of the image the local scorer feeds its processor (padded and resized within the family's
pixel bounds), and::

    max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: 20
    logprob_token_ids: [yes_id, no_id]     # when the server's /tokenize told us the ids (vLLM); else left out
    mm_processor_kwargs: {"size": {"shortest_edge": min_pixels, "longest_edge": max_pixels}}   # with images

The answer's first position lists log-probabilities of candidate next tokens; with ``lp_yes`` and ``lp_no`` those of
the tokens ``yes`` and ``no``::

    log_odds = lp_yes - lp_no          # = z_yes - z_no: log-softmax subtracts the same constant from both
    score    = sigmoid(log_odds)       # = softmax([lp_no, lp_yes])[1], the Lychee formula

If either token is missing from the answer the pair fails with a clear error: a score is never guessed.
vLLM must render the content parts as the HF template expects (``--chat-template-content-format openai``; vLLM's
"string" format would join text parts with newlines), see docs/deploy.md.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lychee.items import Item
from lychee.prompt import LYCHEE, build_messages
from lychee.results import Prediction, sigmoid
from lychee.scorers.remote.endpoints import CONNECT_TIMEOUT, Endpoint, RetryableError
from lychee.scorers.remote.transport import RemoteAnswerError, error_line, http_failure, quote_remote, status_phrase
from lychee.scorers.remote.wire import ImageCache, image_url, processor_kwargs

TOP_LOGPROBS = 20
ANSWER_WORDS = ("yes", "no")
#: Sent as the key when none is configured: OpenAI-compatible servers started without a key accept any value, and
#: the user's OPENAI_API_KEY is never sent to a reranker endpoint.
NO_KEY = "EMPTY"


def chat_messages(
    family: str,
    instruction: str,
    query: Item,
    document: Item,
    *,
    pixels: tuple[int, int] | None = None,
    cache: ImageCache | None = None,
) -> list[dict[str, Any]]:
    """The chat messages of one pair: :func:`~lychee.prompt.build_messages` with each image part as an ``image_url``.

    Every text part is passed through unchanged, in order, so the server's chat template renders the prompt the local
    scorer renders.
    """
    cache = {} if cache is None else cache
    messages = build_messages(family, instruction, query, document)
    for message in messages:
        parts = []
        for part in message["content"]:
            if part["type"] == "image":
                owner = query if part["image"] is query.image else document
                url = image_url(owner, family=family, pixels=pixels, cache=cache)
                parts.append({"type": "image_url", "image_url": {"url": url}})
            else:
                parts.append(part)
        message["content"] = parts
    return messages


def answer_logprobs(completion: Any, *, token_ids: tuple[int, int] | None, where: str) -> tuple[float, float]:
    """``(lp_yes, lp_no)`` from a chat completion's first-position logprobs.

    A token matches by its text (``"yes"``/``"no"``), or as ``"token_id:<id>"`` when the ids are known (vLLM's
    ``return_tokens_as_token_ids`` form).

    Raises:
        RemoteAnswerError: no logprobs in the answer, or ``yes`` or ``no`` missing from them.
    """
    choices = getattr(completion, "choices", None) or []
    logprobs = getattr(choices[0], "logprobs", None) if choices else None
    content = getattr(logprobs, "content", None) if logprobs is not None else None
    if not content:
        raise RemoteAnswerError(
            f"{where}: the answer carries no logprobs; expected choices[0].logprobs.content (the server must "
            "support logprobs=true with top_logprobs, as vLLM and SGLang do)."
        )
    first = content[0]
    candidates = [(first.token, first.logprob), *((t.token, t.logprob) for t in (first.top_logprobs or []))]
    names = {word: {word} for word in ANSWER_WORDS}
    if token_ids is not None:
        for word, tid in zip(ANSWER_WORDS, token_ids):
            names[word].add(f"token_id:{tid}")
    found: dict[str, float] = {}
    for token, logprob in candidates:
        for word in ANSWER_WORDS:
            if token in names[word] and word not in found:
                if logprob is None or not math.isfinite(float(logprob)):
                    raise RemoteAnswerError(
                        f"{where}: the logprob of {word!r} is {quote_remote(logprob)}; expected a finite number."
                    )
                found[word] = float(logprob)
    missing = [w for w in ANSWER_WORDS if w not in found]
    if missing:
        shown = ", ".join(f"{quote_remote(t, 20)} {lp:.3f}" for t, lp in candidates[:8] if lp is not None)
        how = (
            "The server ignored logprob_token_ids: use a vLLM version that supports it, or raise --max-logprobs."
            if token_ids is not None
            else "The server has no /tokenize route to learn the token ids from, so the client relies on the top "
            f"{TOP_LOGPROBS} tokens; serve with vLLM (it has /tokenize and logprob_token_ids) or pass "
            "answer_token_ids=(yes_id, no_id) to load_scorer."
        )
        raise RemoteAnswerError(
            f"{where}: the answer has no logprob for {' and '.join(repr(m) for m in missing)} among its "
            f"{len(candidates)} candidate tokens ({shown}); both 'yes' and 'no' are needed for P(yes), and a score "
            f"is never guessed. {how}"
        )
    return found["yes"], found["no"]


@dataclass
class OpenAIChatProtocol:
    """Client side of the chat protocol (see module docstring); one request per pair.

    Attributes:
        model: the served model name (``model`` of the request).
        family: the prompt recipe: ``"lychee"`` (Lychee-rerank-mm) or ``"qwen3-vl-reranker"``.
        api_key: the key sent as ``Authorization: Bearer``.
        timeout: seconds to wait for one answer.
        answer_token_ids: ``(yes_id, no_id)`` when known; then sent as ``logprob_token_ids``.
        pixels: ``(min_pixels, max_pixels)`` for resizing images (``None``: the family's defaults).
    """

    model: str
    family: str = LYCHEE
    api_key: str | None = None
    timeout: float = 60.0
    answer_token_ids: tuple[int, int] | None = None
    pixels: tuple[int, int] | None = None
    batch_size: int = field(default=1, init=False)
    name: str = field(default="openai-chat", init=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def client(self, endpoint: Endpoint) -> Any:
        """The OpenAI client of ``endpoint`` (one per endpoint, shared by threads; it retries nothing itself)."""
        with self._lock:
            if endpoint.route not in self._clients:
                import openai

                self._clients[endpoint.route] = openai.OpenAI(
                    base_url=endpoint.route,
                    api_key=self.api_key or NO_KEY,
                    timeout=openai.Timeout(self.timeout, connect=min(CONNECT_TIMEOUT, self.timeout)),
                    max_retries=0,  # retries (and spreading them over replicas) are the pool's job
                )
            return self._clients[endpoint.route]

    def close(self) -> None:
        """Close every endpoint's client."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def request(self, messages: list[dict[str, Any]], *, has_image: bool) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for one pair."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": 1,
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": TOP_LOGPROBS,
        }
        extra: dict[str, Any] = {}
        if self.answer_token_ids is not None:
            extra["logprob_token_ids"] = list(self.answer_token_ids)
        bounds = processor_kwargs(self.family, self.pixels) if has_image else None
        if bounds is not None:
            extra["mm_processor_kwargs"] = bounds
        if extra:
            kwargs["extra_body"] = extra
        return kwargs

    def send(
        self,
        endpoint: Endpoint,
        query: Item,
        documents: Sequence[Item],
        instruction: str,
        *,
        cache: ImageCache | None = None,
    ) -> list[Prediction]:
        """Score each document against ``query`` (the scorer sends one per request).

        Args:
            cache: the images already encoded in this predict call (shared by its requests), or ``None``.

        Raises:
            RetryableError: 429/502/503/504, connection error, timeout.
            RemoteAnswerError: refused request, no logprobs, or ``yes``/``no`` missing.
        """
        import openai

        out = []
        cache = {} if cache is None else cache
        for document in documents:
            messages = chat_messages(self.family, instruction, query, document, pixels=self.pixels, cache=cache)
            where = f"POST {endpoint.route}/chat/completions ({document.name})"
            try:
                request = self.request(messages, has_image=query.has_image or document.has_image)
                completion = self.client(endpoint).chat.completions.create(**request)
            except openai.APITimeoutError as exc:
                raise RetryableError(f"no answer within {self.timeout:g} s (timeout)") from exc
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                reason = "connection refused" if "refused" in str(cause).lower() else f"cannot connect ({cause})"
                raise RetryableError(reason) from exc
            except openai.APIStatusError as exc:
                # the SDK's exc.message quotes the whole body: keep only the JSON error's own message
                message = error_line(exc.body) or status_phrase(exc.status_code)
                raise http_failure(exc.status_code, exc.response.headers, message, where) from exc
            lp_yes, lp_no = answer_logprobs(completion, token_ids=self.answer_token_ids, where=where)
            log_odds = lp_yes - lp_no
            usage = getattr(completion, "usage", None)
            n_tokens = getattr(usage, "prompt_tokens", None) if usage is not None else None
            out.append(Prediction(score=sigmoid(log_odds), log_odds=log_odds, n_tokens=n_tokens))
        return out


__all__ = ["ANSWER_WORDS", "NO_KEY", "TOP_LOGPROBS", "OpenAIChatProtocol", "answer_logprobs", "chat_messages"]
