"""Every bad request to the real server is a 4xx with ``{"error": {"message", "type", "param"}}`` that names the
field and says what to send — never a traceback, never a 5xx — and the server keeps serving."""

from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import bomb_body, data_url, noise_png
from tests.servers import peak_memory_during

QUERY = "red running shoes"


def error_of(resp, status: int, param: str | None) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param"}, body
    assert body["error"]["param"] == param, body
    message = body["error"]["message"]
    assert "Traceback" not in message
    return message


def post(client, body, path="/v1/rerank", **kwargs):
    if isinstance(body, (dict, list)):
        return client.post(path, json=body, **kwargs)
    return client.post(path, content=body, headers={"content-type": "application/json"}, **kwargs)


@pytest.mark.parametrize(
    ("body", "param", "says"),
    [
        (b'{"query": "red", "documents": ["a",]}', None, "not valid JSON: Expecting value at line 1 column 36"),
        (b"", None, "The request body is empty; expected a JSON object"),
        (b'["red", ["a"]]', None, "The request body is a list of 2 items; expected a JSON object"),
        (b"\xff\xfe{}", None, "not UTF-8"),
        ({"documents": ["a"]}, "query", "query: missing"),
        ({"query": "red"}, "documents", "documents: missing"),
        ({"query": "", "documents": ["a"]}, "query", "query is empty: got a string ('') with no text and no image"),
        ({"query": "   ", "documents": ["a"]}, "query", "query is empty"),
        ({"query": 42, "documents": ["a"]}, "query", "query: got a number (42); expected a string,"),
        ({"query": "red", "documents": "a"}, "documents", "documents: got a string ('a'); expected a list"),
        (
            {"query": "red", "documents": ["a", 42]},
            "documents[1]",
            "documents[1]: got a number (42); expected a string",
        ),
        ({"query": "red", "documents": ["a", None]}, "documents[1]", "documents[1]: got null"),
        ({"query": "red", "documents": ["a", ""]}, "documents[1]", "documents[1] is empty: got a string ('')"),
        ({"query": "red", "documents": [{"txt": "a"}]}, "documents[0].txt", "documents[0]: unknown keys ['txt']"),
        ({"query": "red", "documents": [{"text": 5}]}, "documents[0].text", "documents[0].text: got a number (5)"),
        ({"query": "red", "documents": ["a"], "top_n": -1}, "top_n", "top_n: got a number (-1); expected a positive"),
        ({"query": "red", "documents": ["a"], "top_n": 2.5}, "top_n", "top_n: got a number (2.5)"),
        ({"query": "red", "documents": ["a"], "top_n": "3"}, "top_n", "top_n: got a string ('3')"),
        ({"query": "red", "documents": ["a"], "top_n": True}, "top_n", "top_n: got a boolean (true)"),
        ({"query": "red", "documents": ["a"], "return_documents": "yes"}, "return_documents", "expected true or false"),
        ({"query": "red", "documents": ["a"], "instruction": "  "}, "instruction", "instruction is empty"),
        ({"query": "red", "documents": ["a"], "instruction": 3}, "instruction", "instruction: got a number (3)"),
        ({"query": "red", "documents": ["a"], "model": 7}, "model", "model: got a number (7); expected a string"),
        ({"query": "red", "documents": ["a"], "topn": 3}, "topn", "Unknown field 'topn'; this route accepts model,"),
        ({"query": "red", "documents": ["a"], "relevant_spans": "yes"}, "relevant_spans", "expected true, false, or"),
        (
            {"query": "red", "documents": ["a"], "relevant_spans": {"mode": "on"}},
            "relevant_spans.mode",
            'expected "enabled" or "disabled"',
        ),
        (
            {"query": "red", "documents": ["a"], "relevant_spans": {"mode": "enabled", "threshold": 2}},
            "relevant_spans.threshold",
            "expected a number between 0 and 1",
        ),
        (
            {"query": "red", "documents": [{"content": [{"type": "video_url", "video_url": {"url": "x"}}]}]},
            "documents[0].content[0].type",
            "documents[0].content[0].type: video clips are not taken over HTTP yet. Send the text and/or image",
        ),
        (
            {"query": {"text": "red", "video": "clip.mp4"}, "documents": ["a"]},
            "query.video",
            "query.video: video clips are not taken over HTTP yet. Send the text and/or image of this item here; "
            "score clips on the dashboard (Single pair, Batch rerank), with the library",
        ),
        (
            {"query": "red", "documents": [{"content": []}]},
            "documents[0].content",
            "expected a non-empty list of parts",
        ),
    ],
)
def test_bad_requests_name_the_field(client, body, param, says):
    message = error_of(post(client, body), 400, param)
    assert says in message, message


def test_the_seed_route_names_its_fields(client):
    message = error_of(
        post(client, {"query": "red", "documents": ["a"], "return_documents": True}, "/api/rerank"),
        400,
        "return_documents",
    )
    assert "this route accepts query, documents, instruction, top_n, model, relevant_spans" in message
    message = error_of(post(client, {"query": "red", "documents": ["a", 3]}, "/api/rerank"), 400, "documents[1]")
    assert "a number (3)" in message


def test_a_model_other_than_the_loaded_one_is_refused_naming_it(client):
    message = error_of(post(client, {"model": "gpt-4", "query": "red", "documents": ["a"]}), 400, "model")
    assert "got 'gpt-4', but this server serves 'all-MiniLM-L6-v2' and never switches models" in message
    assert 'Send "model": "all-MiniLM-L6-v2" (or "default")' in message
    assert client.get("/api/health").json()["model"] == "all-MiniLM-L6-v2"  # nothing was loaded


def test_too_many_documents(client):
    message = error_of(post(client, {"query": "red", "documents": ["a"] * 1001}), 400, "documents")
    assert "got 1001 documents; this server accepts at most 1000 per request" in message
    assert (
        post(client, {"query": "red", "documents": [f"title {i}" for i in range(1000)], "top_n": 1}).status_code == 200
    )


def test_relevant_spans_are_limited_to_the_results_that_need_them(client):
    body = {"query": "red", "documents": ["a"] * 101, "relevant_spans": True}
    message = error_of(post(client, body), 400, "relevant_spans")
    assert "explains at most 100 per request" in message and "Pass top_n <= 100" in message


def test_a_body_over_the_cap_is_413(client):
    big = json.dumps({"query": "red", "documents": ["x" * 1000] * 21_000}).encode()
    assert len(big) > 20_000_000
    message = error_of(post(client, big), 413, None)
    assert f"The request body is {len(big) / 1e6:.1f} MB; this server accepts at most 20 MB" in message

    def chunks():  # no Content-Length: counted while read, refused as soon as it goes over
        for _ in range(25):
            yield b" " * 1_000_000

    resp = client.post("/v1/rerank", content=chunks(), headers={"content-type": "application/json"})
    assert "more than 20 MB" in error_of(resp, 413, None)


def test_a_client_that_expects_100_continue_gets_the_413_before_sending_the_body(server):
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(server)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(
            b"POST /v1/rerank HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 30000000\r\nExpect: 100-continue\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]  # not "100 Continue": the body is never asked for


IMAGE_CASES = [
    ("not base64 !!", "is not valid base64"),
    (base64.b64encode(b"this is not an image at all").decode(), "not a readable image"),
    (data_url(noise_png(56, 42)[:60]), "corrupt or truncated"),
    ("data:text/plain;base64,aGVsbG8=", "the data URL says 'text/plain'; expected an image type"),
    ("data:image/png,rawbytes", "not base64-encoded"),
    ("/etc/hostname", "looks like a file path; the API never reads files on the server"),
    ("/etc/hosts", "looks like a file path; the API never reads files on the server"),
    ("./images/cat.png", "looks like a file path"),
    ("C:\\images\\cat.png", "looks like a file path"),
    ("file:///etc/passwd", "file:// URLs are refused; the API never reads files on the server"),
    ("ftp://example.com/cat.png", "ftp:// URLs are not supported"),
]


@pytest.mark.parametrize(("image", "says"), [*IMAGE_CASES, (data_url(noise_png(56, 42)), "")])
def test_the_text_only_model_refuses_any_image_before_reading_it(client, image, says):
    # good or bad, the text-only default refuses an image first: nothing of it is decoded or fetched
    message = error_of(post(client, {"query": "red", "documents": ["a", {"image": image}]}), 400, "documents[1].image")
    assert "this server's model 'all-MiniLM-L6-v2' reads text only, so images are refused" in message
    part = {"type": "image_url", "image_url": {"url": image}}
    body = {"query": "red", "documents": ["a", "b", {"content": [{"type": "text", "text": "t"}, part]}]}
    message = error_of(post(client, body), 400, "documents[2].content[1].image_url.url")
    assert "reads text only" in message


def test_thirty_bomb_pngs_to_the_text_only_model_decode_nothing(client, server):
    # before: 400, but only after decoding them (+675 MB)
    rise, resp = peak_memory_during(server, lambda: post(client, bomb_body(30)))
    assert "reads text only" in error_of(resp, 400, "documents[0].image")
    assert rise < 50 * 2**20, f"the server's memory rose by {rise / 2**20:.0f} MB"


def test_wrong_methods_and_unknown_paths_answer_json(client):
    message = error_of(client.get("/v1/rerank"), 405, None)
    assert "/v1/rerank answers POST only" in message
    assert client.get("/api/rerank").headers["allow"] == "POST"
    error_of(client.post("/api/health"), 405, None)
    message = error_of(client.get("/api/nothing-here"), 404, None)
    assert "No API route GET /api/nothing-here" in message
    error_of(client.post("/v1/embeddings", json={}), 404, None)


def test_the_server_still_serves_after_all_that(client):
    assert client.get("/_stcore/health").status_code == 200
    assert post(client, {"query": QUERY, "documents": ["Nike red running shoe"]}).status_code == 200
