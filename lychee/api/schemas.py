"""Request validation: JSON bodies into :class:`RerankRequest` (lychee :class:`~lychee.Item` objects and options).

Two request shapes are read:

- ``banded`` (``POST /api/rerank``, the Lychee seed's own shape, whose results carry a score band):
  ``{"query", "documents", "instruction"?, "top_n"?}``;
- ``cohere_compatible`` (``POST /v1/rerank``, ``/rerank``, ``/v2/rerank``; the shape Cohere v2, vLLM, Jina and
  Infinity share):
  ``{"model"?, "query", "documents", "top_n"?, "return_documents"?, "instruction"?, "relevant_spans"?}``, plus this
  project's ``"allow_empty": true``: an empty query or document (``""``) is scored as the model's recipe scores
  "nothing there" instead of refused — what a remote scorer's occlusion sends when it removes a text's only word —
  and ``"modality_shares": true``: each result carries the share of its log-odds each part (query text / image,
  document text / image) carries.

A query or document is a string, ``{"text"?, "image"?}`` (Jina, the banded shape), or vLLM's multimodal
``{"content": [{"type": "text", "text": ...}, {"type": "image_url", "image_url": {"url": ...}}]}`` (its text parts are
joined with newlines; at most one image). ``documents`` may also be one ``{"content": [...]}`` object whose parts are
the documents (vLLM's other form). Every problem is a 400 naming the JSON path of the field, e.g.
``documents[3].content[1].image_url.url``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from lychee.api.config import ApiConfig
from lychee.api.errors import bad_request, describe
from lychee.api.images import RequestBudget, decode_image
from lychee.items import Item
from lychee.validation import is_int

#: The two request / answer shapes: ``banded`` (``/api/rerank``: score and band per result, the Lychee seed's own) and
#: ``cohere_compatible`` (``/v1/rerank`` ...: ``relevance_score`` per result, what Cohere v2, vLLM, Jina, Infinity speak).
Shape = Literal["banded", "cohere_compatible"]

FIELDS: dict[Shape, tuple[str, ...]] = {
    "banded": ("query", "documents", "instruction", "top_n", "model", "relevant_spans", "modality_shares"),
    "cohere_compatible": (
        "model",
        "query",
        "documents",
        "top_n",
        "return_documents",
        "instruction",
        "relevant_spans",
        "modality_shares",  # this project's: per result, the share of the log-odds each part carries
        "allow_empty",  # this project's: empty items scored, not refused (remote occlusion)
        "priority",  # Cohere / vLLM scheduling hint: accepted, one queue serves all
        "user",  # OpenAI-style caller id: accepted, unused
    ),
}
ITEM_FORMS = 'a string, {"text": ..., "image": ...} or {"content": [{"type": "text", ...}, {"type": "image_url", ...}]}'
DEFAULT_SPAN_THRESHOLD = 0.1  # Cohere's default
#: The answer to a clip sent over HTTP: not taken yet, and where clips are scored instead.
VIDEO_REFUSAL = (
    "{path}: video clips are not taken over HTTP yet. Send the text and/or image of this item here; score clips on the "
    "dashboard (Single pair, Batch rerank), with the library (scorer.rank({{'text': ..., 'video': 'clip.mp4'}}, ...)) "
    "or with python -m eval on a set with clips."
)


@dataclass(frozen=True)
class SpanOptions:
    """``relevant_spans`` options: spans scoring at least ``threshold``, at most ``max_spans`` per document."""

    threshold: float = DEFAULT_SPAN_THRESHOLD
    max_spans: int | None = None


@dataclass(frozen=True)
class RerankRequest:
    """A validated rerank request.

    Attributes:
        query: the query item.
        documents: the document items, in request order.
        echoes: what each result's ``document`` field shows (never the image bytes).
        instruction: the instruction, or ``None`` for the model's default.
        top_n: how many results to return (``None``: all).
        return_documents: include ``document`` in each result.
        spans: ``relevant_spans`` options, or ``None`` when not asked for.
        allow_empty: empty query / documents are scored (``"allow_empty": true``), not refused.
        shares: each result carries its modality shares (``"modality_shares": true``).
    """

    query: Item
    documents: list[Item]
    echoes: list[Any]
    instruction: str | None
    top_n: int | None
    return_documents: bool
    spans: SpanOptions | None
    allow_empty: bool = False
    shares: bool = False

    @property
    def n_results(self) -> int:
        return len(self.documents) if self.top_n is None else min(self.top_n, len(self.documents))


#: The deepest nesting a request body may have (the deepest valid request is 5 levels: documents[i].content[j].
#: image_url.url); deeper bodies are refused before any field is read.
MAX_JSON_DEPTH = 32
#: The most digits of a JSON number (a 19-digit integer already exceeds every limit the API has).
MAX_NUMBER_DIGITS = 40
_EXAMPLE = 'Send a JSON object such as {"query": "red shoes", "documents": ["Nike red shoe", "blue teapot"]}.'


def _number_refused(text: str) -> ValueError:
    return ValueError(f"a number with {len(text)} characters (at most {MAX_NUMBER_DIGITS})")


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _number_refused(text)
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _number_refused(text)
    return float(text)


def _parse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


def _depth_over(payload: Any, limit: int) -> bool:
    """Whether ``payload`` nests deeper than ``limit`` (iterative: no recursion on caller data)."""
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))
    return False


def parse_json(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object.

    Raises:
        ApiError: 400 for an empty body, invalid UTF-8 or JSON, ``NaN``/``Infinity``, a number longer than
            :data:`MAX_NUMBER_DIGITS` characters, nesting deeper than :data:`MAX_JSON_DEPTH`, or JSON that is not an
            object.
    """
    if not body.strip():
        raise bad_request(f"The request body is empty; expected a JSON object. {_EXAMPLE}")
    try:
        text = body.decode("utf-8-sig")  # JSON is UTF-8 (RFC 8259); a leading BOM is tolerated
    except UnicodeDecodeError as exc:
        raise bad_request(f"The request body is not UTF-8 text ({exc.reason} at byte {exc.start}). {_EXAMPLE}") from exc
    try:
        payload = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise bad_request(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}. {_EXAMPLE}"
        ) from exc
    except ValueError as exc:  # a refused number or constant
        raise bad_request(f"The request body holds {exc}. Send plain JSON numbers. {_EXAMPLE}") from exc
    except RecursionError as exc:  # nesting deeper than the interpreter's stack allows
        raise _too_deep() from exc
    if _depth_over(payload, MAX_JSON_DEPTH):
        raise _too_deep()
    if not isinstance(payload, dict):
        raise bad_request(f"The request body is {describe(payload)}; expected a JSON object. {_EXAMPLE}")
    return payload


def _too_deep() -> Exception:
    return bad_request(
        f"The request body nests lists and objects more than {MAX_JSON_DEPTH} levels deep; a rerank request needs "
        f"at most 5 (documents[i].content[j].image_url.url). {_EXAMPLE}"
    )


def _explanation_options(payload: dict[str, Any]) -> tuple[SpanOptions | None, bool, bool]:
    """``relevant_spans``, ``allow_empty`` and ``modality_shares``, refusing the combinations that mean nothing."""
    spans = _spans(payload.get("relevant_spans"))
    allow_empty = _optional_bool(payload, "allow_empty", default=False)
    if allow_empty and spans is not None:
        raise bad_request(
            "allow_empty goes without relevant_spans: the spans of an empty document are no words at all. Send one "
            "or the other.",
            "allow_empty",
        )
    shares = _optional_bool(payload, "modality_shares", default=False)
    if allow_empty and shares:
        raise bad_request(
            "allow_empty goes without modality_shares: an empty query or document has no parts to share the score. "
            "Send one or the other.",
            "allow_empty",
        )
    return spans, allow_empty, shares


def parse_request(
    payload: dict[str, Any],
    *,
    shape: Shape,
    config: ApiConfig,
    reads_images: bool,
    model_name: str,
    max_image_pixels: int | None = None,
) -> RerankRequest:
    """Validate a rerank request of ``shape``.

    Args:
        payload: the JSON object.
        shape: ``"banded"`` or ``"cohere_compatible"``.
        config: limits (documents per request, characters per text, pixels per request, spans) and image URL policy.
        reads_images: the loaded model reads images (``capabilities.image``); if not, an image is refused before
            anything of it is decoded or fetched.
        model_name: the loaded model's name, for messages.
        max_image_pixels: the model's own pixel bound (``capabilities.max_image_pixels``): larger images are
            decoded reduced to it.

    Raises:
        ApiError: 400 naming the field for every problem.
    """
    unknown = sorted(set(payload) - set(FIELDS[shape]))
    if unknown:
        raise bad_request(
            f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; this route accepts "
            f"{', '.join(FIELDS[shape])}. Remove or rename {'them' if len(unknown) > 1 else 'it'}.",
            unknown[0],
        )
    reader = _ItemReader(
        config=config,
        reads_images=reads_images,
        model_name=model_name,
        budget=RequestBudget(config),
        reduce_to=max_image_pixels,
    )
    for name in ("model", "instruction", "user"):
        check_text(_optional_str(payload, name), name, config)
    instruction = _instruction(payload)
    top_n = _top_n(payload)
    return_documents = _optional_bool(payload, "return_documents", default=True)
    spans, allow_empty, shares = _explanation_options(payload)
    if shape == "cohere_compatible":
        priority = payload.get("priority")
        if priority is not None and not is_int(priority):
            raise bad_request(f"priority: got {describe(priority)}; expected an integer (or omit it).", "priority")

    if "query" not in payload:
        raise bad_request(
            f'query: missing; expected the search query: {ITEM_FORMS}. E.g. "query": "red shoes".', "query"
        )
    query = reader.item(payload["query"], "query")
    if query.is_empty and not allow_empty:
        raise bad_request(
            f"query is empty: got {describe(payload['query'])} with no text and no image. Send the query text, an "
            "image, or both.",
            "query",
        )
    raw_documents, paths = _document_list(payload, config)
    documents = [reader.item(raw, path) for raw, path in zip(raw_documents, paths)]
    for document, raw, path in zip(documents, raw_documents, paths):
        if document.is_empty and not allow_empty:
            raise bad_request(
                f"{path} is empty: got {describe(raw)} with no text and no image. Give each document text, an image "
                "or both, or remove it.",
                path,
            )
    request = RerankRequest(
        query=query,
        documents=documents,
        echoes=[_echo(raw, doc, shape) for raw, doc in zip(raw_documents, documents)],
        instruction=instruction,
        top_n=top_n,
        return_documents=return_documents,
        spans=spans,
        allow_empty=allow_empty,
        shares=shares,
    )
    if shares and request.n_results > config.max_span_documents:
        raise bad_request(
            f"modality_shares: asked for the shares of {request.n_results} results; this server explains at most "
            f"{config.max_span_documents} per request (each costs up to 63 scored pairs). Pass top_n <= "
            f"{config.max_span_documents} with modality_shares (LYCHEE_API_MAX_SPAN_DOCS).",
            "modality_shares",
        )
    if spans is not None and request.n_results > config.max_span_documents:
        raise bad_request(
            f"relevant_spans: asked for the spans of {request.n_results} results; this server explains at most "
            f"{config.max_span_documents} per request (each costs one occlusion pass, one scored pair per word). "
            f"Pass top_n <= {config.max_span_documents} with relevant_spans (LYCHEE_API_MAX_SPAN_DOCS).",
            "relevant_spans",
        )
    return request


# --- options --------------------------------------------------------------------------------------------------------
def _optional_str(payload: dict[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name}: got {describe(value)}; expected a string (or omit it).", name)
    return value


def _optional_bool(payload: dict[str, Any], name: str, *, default: bool) -> bool:
    value = payload.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad_request(f"{name}: got {describe(value)}; expected true or false (or omit it).", name)
    return value


def _instruction(payload: dict[str, Any]) -> str | None:
    value = _optional_str(payload, "instruction")
    if value is not None and not value.strip():
        raise bad_request(
            "instruction is empty: expected a sentence telling the model what relevance means, or omit it for the "
            "model's default instruction.",
            "instruction",
        )
    return value


def _top_n(payload: dict[str, Any]) -> int | None:
    value = payload.get("top_n")
    if value is None:
        return None
    if not is_int(value) or value < 0:
        raise bad_request(
            f"top_n: got {describe(value)}; expected a positive integer (how many of the best results to return), "
            "or 0 / null for all of them.",
            "top_n",
        )
    return None if value == 0 else value  # 0 means "all", as in vLLM


def _spans(value: Any) -> SpanOptions | None:
    """``relevant_spans``: ``true``/``false`` or Cohere's ``{"mode": "enabled", "threshold"?, "max_spans"?}``."""
    expected = 'expected true, false, or {"mode": "enabled", "threshold": 0.1, "max_spans": 5}'
    if value is None or value is False:
        return None
    if value is True:
        return SpanOptions()
    if not isinstance(value, dict):
        raise bad_request(f"relevant_spans: got {describe(value)}; {expected}.", "relevant_spans")
    unknown = sorted(set(value) - {"mode", "threshold", "max_spans"})
    if unknown:
        raise bad_request(f"relevant_spans: unknown keys {unknown}; {expected}.", f"relevant_spans.{unknown[0]}")
    mode = value.get("mode")
    if mode not in ("enabled", "disabled"):
        raise bad_request(
            f'relevant_spans.mode: got {describe(mode)}; expected "enabled" or "disabled".', "relevant_spans.mode"
        )
    threshold = value.get("threshold", DEFAULT_SPAN_THRESHOLD)
    if threshold is None:
        threshold = DEFAULT_SPAN_THRESHOLD
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise bad_request(
            f"relevant_spans.threshold: got {describe(threshold)}; expected a number between 0 and 1 (default 0.1).",
            "relevant_spans.threshold",
        )
    max_spans = value.get("max_spans")
    if max_spans is not None and (not is_int(max_spans) or max_spans < 1):
        raise bad_request(
            f"relevant_spans.max_spans: got {describe(max_spans)}; expected a positive integer (or omit it for all).",
            "relevant_spans.max_spans",
        )
    return SpanOptions(threshold=float(threshold), max_spans=max_spans) if mode == "enabled" else None


# --- queries and documents ------------------------------------------------------------------------------------------
def _document_list(payload: dict[str, Any], config: ApiConfig) -> tuple[list[Any], list[str]]:
    if "documents" not in payload:
        raise bad_request(
            f'documents: missing; expected a list of documents, each {ITEM_FORMS}. E.g. "documents": ["title 1", '
            '"title 2"].',
            "documents",
        )
    documents = payload["documents"]
    if isinstance(documents, dict) and set(documents) == {"content"}:
        # vLLM's other form: one {"content": [...]} object whose parts are the documents.
        parts = documents["content"]
        if not isinstance(parts, list):
            raise bad_request(
                f"documents.content: got {describe(parts)}; expected a list of content parts, one per document.",
                "documents.content",
            )
        raw = [{"content": [part]} for part in parts]
        paths = [f"documents.content[{i}]" for i in range(len(parts))]
    elif isinstance(documents, list):
        raw, paths = documents, [f"documents[{i}]" for i in range(len(documents))]
    else:
        raise bad_request(
            f'documents: got {describe(documents)}; expected a list of documents, e.g. ["title 1", "title 2"].',
            "documents",
        )
    if len(raw) > config.max_documents:
        raise bad_request(
            f"documents: got {len(raw)} documents; this server accepts at most {config.max_documents} per request "
            "(LYCHEE_API_MAX_DOCUMENTS). Split them over several requests.",
            "documents",
        )
    return raw, paths


def check_text(text: str | None, param: str, config: ApiConfig) -> None:
    """Refuse (400 naming ``param``) a text field longer than ``config.max_text_chars`` characters."""
    if text is not None and len(text) > config.max_text_chars:
        raise bad_request(
            f"{param}: a text of {len(text):,} characters; this server accepts at most {config.max_text_chars:,} "
            "per field (LYCHEE_API_MAX_TEXT_CHARS). Send a shorter text: the model reads at most its max_length "
            "tokens of a pair anyway (GET /api/model).",
            param,
        )


@dataclass(frozen=True)
class _ItemReader:
    config: ApiConfig
    reads_images: bool
    model_name: str
    budget: RequestBudget
    reduce_to: int | None = None

    def item(self, value: Any, path: str) -> Item:
        """A query or document (``path`` is its JSON path) as an :class:`Item`."""
        if isinstance(value, str):
            check_text(value, path, self.config)
            return Item(text=value, name=path)
        if not isinstance(value, dict):
            raise bad_request(f"{path}: got {describe(value)}; expected {ITEM_FORMS}.", path)
        if "content" in value:
            extra = sorted(set(value) - {"content"})
            if extra:
                raise bad_request(
                    f"{path}: has 'content' and also {extra}; send either 'content' or 'text'/'image'.", path
                )
            return self._content(value["content"], f"{path}.content", path)
        if "video" in value:
            raise bad_request(VIDEO_REFUSAL.format(path=f"{path}.video"), f"{path}.video")
        unknown = sorted(set(value) - {"text", "image"})
        if unknown:
            raise bad_request(f"{path}: unknown keys {unknown}; expected {ITEM_FORMS}.", f"{path}.{unknown[0]}")
        text = value.get("text")
        if text is not None and not isinstance(text, str):
            raise bad_request(f"{path}.text: got {describe(text)}; expected a string.", f"{path}.text")
        check_text(text, f"{path}.text", self.config)
        image = value.get("image")
        return Item(text=text, image=None if image is None else self._image(image, f"{path}.image"), name=path)

    def _content(self, parts: Any, path: str, name: str) -> Item:
        if not isinstance(parts, list) or not parts:
            raise bad_request(
                f'{path}: got {describe(parts)}; expected a non-empty list of parts such as {{"type": "text", "text": '
                '"..."} and {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}.',
                path,
            )
        texts: list[str] = []
        images = []
        for i, part in enumerate(parts):
            where = f"{path}[{i}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                text = part.get("text")
                if not isinstance(text, str):
                    raise bad_request(f"{where}.text: got {describe(text)}; expected a string.", f"{where}.text")
                check_text(text, f"{where}.text", self.config)
                texts.append(text)
            elif kind == "image_url":
                image_url = part.get("image_url")
                url = image_url.get("url") if isinstance(image_url, dict) else image_url
                images.append(
                    self._image(url, f"{where}.image_url.url" if isinstance(image_url, dict) else f"{where}.image_url")
                )
            elif kind in ("video", "video_url"):
                raise bad_request(VIDEO_REFUSAL.format(path=f"{where}.type"), f"{where}.type")
            elif isinstance(part, dict) and isinstance(kind, str):
                raise bad_request(
                    f'{where}.type: {kind!r} parts are not supported; expected "text" or "image_url" (video, '
                    "audio and embeddings are not read by this API).",
                    f"{where}.type",
                )
            else:
                raise bad_request(
                    f'{where}: got {describe(part)}; expected {{"type": "text", "text": ...}} or '
                    '{"type": "image_url", "image_url": {"url": ...}}.',
                    where,
                )
            if len(images) > 1:
                raise bad_request(
                    f"{where}: a second image; a query or document holds at most one image. Send each image as its "
                    "own document.",
                    where,
                )
        joined = "\n".join(texts) if texts else None
        check_text(joined, path, self.config)
        return Item(text=joined, image=images[0] if images else None, name=name)

    def _image(self, value: Any, path: str) -> Image.Image:
        # The model's modalities first: a text-only model refuses an image before a byte of it is decoded or fetched.
        if not self.reads_images:
            raise bad_request(
                f"{path}: this server's model '{self.model_name}' reads text only, so images are refused. Send text, "
                "or run the server on a Qwen2.5-VL / Qwen3-VL reranker (LYCHEE_MODEL=/path/to/lychee-rerank-mm) to "
                "score images.",
                path,
            )
        return decode_image(value, param=path, config=self.config, budget=self.budget, reduce_to=self.reduce_to)


def _echo(raw: Any, item: Item, shape: Shape) -> Any:
    """What a result's ``document`` shows: the text (never the image bytes; an image is described by its size)."""
    if shape == "banded" and isinstance(raw, str):
        return raw
    echo: dict[str, Any] = {"text": item.text}
    if item.image is not None:
        echo["image"] = {"width": item.image.width, "height": item.image.height}
    return echo


__all__ = [
    "FIELDS",
    "ITEM_FORMS",
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_DIGITS",
    "RerankRequest",
    "Shape",
    "SpanOptions",
    "check_text",
    "parse_json",
    "parse_request",
]
