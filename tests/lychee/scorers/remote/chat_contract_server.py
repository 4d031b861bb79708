"""A stand-in OpenAI-compatible chat server for CONTRACT TESTS of the ``openai-chat`` protocol.

No OpenAI-compatible server with logprobs runs on this project's CPU machines (vLLM's wheels need a GPU; ``transformers
serve`` rejects ``logprobs``), so the client is tested against this small HTTP server, which answers in the shape vLLM
documents for its chat completions (``vllm/entrypoints/openai/chat_completion/protocol.py``: ``ChatCompletionResponse``
with ``choices[0].logprobs.content[0].top_logprobs``; ``GET /v1/models``; ``POST /tokenize``; ``logprob_token_ids``
taking precedence over the natural top-k). It is not vLLM: passing here says the client speaks that documented shape,
nothing about vLLM itself — the ``gpu``-marked test runs the real engine.

Two backends answer the logprobs:

* :class:`ModelBackend` runs a (synthetic) Qwen-VL checkpoint the way vLLM's chat path does: the request's content
  parts go to the checkpoint's chat template as they are (``{"type": "text"}`` and ``{"type": "image"}`` parts, vLLM's
  ``openai`` content format), images decoded from their data URLs and given to the checkpoint's processor with its own
  default pixel bounds unless the request's ``mm_processor_kwargs`` say otherwise (merged into the processor call, as
  vLLM does), one unpadded sequence, log-softmax of the last position's logits;
* :class:`CannedBackend` answers fixed logprobs from a function of the messages (fast; for failure scripting).

``server.faults`` is a list of scripted misbehaviours consumed one per chat request: ``("status", 429, {"Retry-After":
"0"})``, ``("delay", seconds)``, ``("drop", "no")`` (that token missing from the answer), ``("no_logprobs",)``.
Every request is recorded (path, headers, raw body) in ``server.requests``.
"""

from __future__ import annotations

import base64
import io
import json
import math
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from PIL import Image

from tests.servers import LocalHTTPServer

Answer = tuple[
    str, float, list[tuple[str, float]], int
]  # sampled token, its logprob, top (token, logprob), prompt tokens


def decode_data_url(url: str) -> Image.Image:
    head, _, data = url.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise ValueError(f"not a base64 image data URL: {url[:40]!r}")
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    image.load()
    return image.convert("RGB")


class CannedBackend:
    """Logprobs from ``fn(messages) -> {token: logprob}`` (sampled token: the most likely)."""

    def __init__(self, fn: Callable[[list[dict[str, Any]]], dict[str, float]]) -> None:
        self.fn = fn

    def answer(
        self, messages: list[dict[str, Any]], top_k: int, token_ids: list[int] | None, mm_kwargs: dict[str, Any]
    ) -> Answer:
        logprobs = self.fn(messages)
        ranked = sorted(logprobs.items(), key=lambda kv: -kv[1])
        sampled, lp = ranked[0]
        return sampled, lp, ranked[:top_k], 17


class ModelBackend:
    """A Qwen2.5-VL / Qwen3-VL checkpoint run like vLLM's chat path (see module docstring)."""

    def __init__(self, path: Any, family: str) -> None:
        import torch
        import transformers
        from transformers import AutoProcessor

        self.torch = torch
        self.processor = AutoProcessor.from_pretrained(str(path))
        name = "Qwen2_5_VLForConditionalGeneration" if family == "lychee" else "Qwen3VLForConditionalGeneration"
        self.model = getattr(transformers, name).from_pretrained(str(path), dtype=torch.float32).eval()
        self.tokenizer = self.processor.tokenizer
        self.lock = threading.Lock()

    def token_ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def answer(
        self, messages: list[dict[str, Any]], top_k: int, token_ids: list[int] | None, mm_kwargs: dict[str, Any]
    ) -> Answer:
        torch = self.torch
        images, hf_messages = [], []
        for message in messages:
            content = message["content"]
            if isinstance(content, str):
                content = [{"type": "text", "text": content}]
            parts = []
            for part in content:
                if part["type"] == "image_url":
                    images.append(decode_data_url(part["image_url"]["url"]))
                    parts.append({"type": "image"})
                elif part["type"] == "text":
                    parts.append({"type": "text", "text": part["text"]})
                else:
                    raise ValueError(f"unsupported content part type {part['type']!r}")
            hf_messages.append({"role": message["role"], "content": parts})
        text = self.processor.apply_chat_template(hf_messages, tokenize=False, add_generation_prompt=True)
        # vLLM merges the request's mm_processor_kwargs into the processor call
        inputs = self.processor(
            text=[text], images=images or None, return_tensors="pt", **(mm_kwargs if images else {})
        )
        with self.lock, torch.no_grad():
            logits = self.model(**inputs).logits[0, -1].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        sampled = int(torch.argmax(logprobs))
        if token_ids:
            chosen = [(int(i), float(logprobs[i])) for i in token_ids]
        else:
            values, ids = torch.topk(logprobs, top_k)
            chosen = [(int(i), float(v)) for i, v in zip(ids, values)]
        decode = self.tokenizer.decode
        top = [(decode([i]), lp) for i, lp in chosen]
        return decode([sampled]), float(logprobs[sampled]), top, int(inputs["input_ids"].shape[1])


class ContractChatServer(LocalHTTPServer):
    """The stand-in server on ``127.0.0.1:<free port>``; use as a context manager.

    Args:
        backend: :class:`ModelBackend` or :class:`CannedBackend`.
        model: the served model name.
        tokenize: offer ``POST /tokenize`` (vLLM has it) with ``token_ids_of(word)``.
        honour_token_ids: answer ``logprob_token_ids`` (recent vLLM) or ignore it (older servers).
        max_logprobs: the server's cap on ``top_logprobs`` (vLLM's ``--max-logprobs``, default 20).
    """

    def __init__(
        self,
        backend: Any,
        *,
        model: str = "lychee-rerank-mm",
        tokenize: Callable[[str], list[int]] | None = None,
        honour_token_ids: bool = True,
        max_logprobs: int = 20,
    ) -> None:
        self.backend = backend
        self.model = model
        self.tokenize = tokenize
        self.honour_token_ids = honour_token_ids
        self.max_logprobs = max_logprobs
        self.faults: list[tuple[Any, ...]] = []
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0  # seconds every chat request takes (concurrency tests)
        super().__init__(self._handler())

    def chat_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r["json"] for r in self.requests if r["path"] == "/v1/chat/completions"]

    def _next_fault(self) -> tuple[Any, ...] | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    # --- routes -------------------------------------------------------------------------------------------------
    def models(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        return 200, {"object": "list", "data": [{"id": self.model, "object": "model", "owned_by": "vllm"}]}, {}

    def tokenize_route(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.tokenize is None:
            return 404, {"detail": "Not Found"}, {}
        tokens = self.tokenize(body["prompt"])
        return 200, {"count": len(tokens), "max_model_len": 8192, "tokens": tokens, "token_strs": None}, {}

    def chat(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return self._chat(body)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _chat(self, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        fault = self._next_fault()
        drop = None
        if fault is not None:
            kind = fault[0]
            if kind == "status":
                status, headers = fault[1], fault[2] if len(fault) > 2 else {}
                return status, {"error": {"message": f"scripted {status}", "type": "error", "code": status}}, headers
            if kind == "delay":
                time.sleep(fault[1])
            elif kind == "drop":
                drop = fault[1]
        if body.get("model") != self.model:
            msg = f"The model `{body.get('model')}` does not exist."
            return 404, {"error": {"message": msg, "type": "NotFoundError", "code": 404}}, {}
        top_k = int(body.get("top_logprobs") or 0)
        if top_k > self.max_logprobs:
            msg = f"top_logprobs must be at most {self.max_logprobs}"
            return 400, {"error": {"message": msg, "type": "BadRequestError", "code": 400}}, {}
        token_ids = body.get("logprob_token_ids") if self.honour_token_ids else None
        mm_kwargs = body.get("mm_processor_kwargs") or {}
        sampled, sampled_lp, top, n_prompt = self.backend.answer(body["messages"], top_k, token_ids, mm_kwargs)
        if drop is not None:
            top = [(t, lp) for t, lp in top if t != drop]
            if sampled == drop:
                sampled, sampled_lp = "<|endoftext|>", -30.0
        logprobs = None
        if body.get("logprobs") and not (fault and fault[0] == "no_logprobs"):
            entries = [{"token": t, "logprob": max(lp, -9999.0), "bytes": list(t.encode())} for t, lp in top]
            logprobs = {
                "content": [
                    {"token": sampled, "logprob": sampled_lp, "bytes": list(sampled.encode()), "top_logprobs": entries}
                ]
            }
        answer = {
            "id": "chatcmpl-contract",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": sampled, "tool_calls": []},
                    "logprobs": logprobs,
                    "finish_reason": "length",
                    "stop_reason": None,
                }
            ],
            "usage": {"prompt_tokens": n_prompt, "total_tokens": n_prompt + 1, "completion_tokens": 1},
        }
        return 200, answer, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def _record(self, raw: bytes) -> Any:
                parsed = json.loads(raw) if raw else None
                with server.lock:
                    server.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "raw": raw,
                            "json": parsed,
                        }
                    )
                return parsed

            def do_GET(self) -> None:
                self._record(b"")
                if self.path == "/v1/models":
                    self._reply(*server.models())
                else:
                    self._reply(404, {"detail": "Not Found"}, {})

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = self._record(raw)
                if self.path == "/v1/chat/completions":
                    self._reply(*server.chat(body))
                elif self.path == "/tokenize":
                    self._reply(*server.tokenize_route(body))
                else:
                    self._reply(404, {"detail": "Not Found"}, {})

        return Handler


def canned_yes_no(p_yes: float) -> Callable[[list[dict[str, Any]]], dict[str, float]]:
    """A canned answer with P(yes)/P(no) split ``p_yes``/``1 - p_yes`` of 0.9, the rest on other tokens."""

    def fn(messages: list[dict[str, Any]]) -> dict[str, float]:
        out = {"yes": math.log(0.9 * p_yes), "no": math.log(0.9 * (1 - p_yes))}
        for i in range(25):
            out[f"tok{i}"] = math.log(0.1 / 25)
        return out

    return fn


__all__ = ["CannedBackend", "ContractChatServer", "ModelBackend", "canned_yes_no", "decode_data_url"]
