"""The API's guard and JSON reading in-process (uvicorn in a thread, real HTTP, the embedded default model): JSON
only (415), other sites' pages refused unless listed (403, CORS), the in-flight bound counting requests only once
their body is read, the whole-body deadline (408), deep or huge JSON (400, never 500), names instead of paths, and
the OpenAPI description with its page."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
from test_inprocess import KEY, HeldScorer, running

from lychee.api import ApiConfig, build_api
from lychee.serving import ModelLoader

BODY = {"query": "red shoes", "documents": ["red running shoe"]}


@pytest.fixture(scope="module")
def api_url(default_scorer):
    loader = ModelLoader(lambda model, *, device, dtype: default_scorer)
    config = ApiConfig(cors_origins=("https://search.example.com",))
    with running(build_api(config=config, loader=loader, key=("/srv/models/mini-lm", None, None))) as url:
        loader.wait(("/srv/models/mini-lm", None, None), timeout=60)
        yield url


def test_a_post_body_must_be_json(api_url):
    for headers in ({"Content-Type": "text/plain"}, {}, {"Content-Type": "application/x-www-form-urlencoded"}):
        resp = httpx.post(api_url + "/v1/rerank", content=json.dumps(BODY).encode(), headers=headers)
        assert resp.status_code == 415, (headers, resp.text)
        assert "this API reads JSON only. Send the header 'Content-Type: application/json'" in resp.json()["error"][
            "message"
        ]
    ok = httpx.post(
        api_url + "/v1/rerank", content=json.dumps(BODY).encode(), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert ok.status_code == 200


def test_other_sites_pages_are_refused_unless_listed(api_url):
    evil = httpx.post(api_url + "/v1/rerank", json=BODY, headers={"Origin": "https://evil.example.net"})
    assert evil.status_code == 403 and evil.json()["error"]["type"] == "permission_error"
    assert "LYCHEE_API_CORS_ORIGINS" in evil.json()["error"]["message"]
    assert "access-control-allow-origin" not in evil.headers
    host = api_url.removeprefix("http://")
    assert httpx.post(api_url + "/v1/rerank", json=BODY, headers={"Origin": f"http://{host}"}).status_code == 200
    assert httpx.post(api_url + "/v1/rerank", json=BODY, headers={"Origin": "null"}).status_code == 403

    listed = "https://search.example.com"
    preflight = httpx.options(
        api_url + "/v1/rerank",
        headers={"Origin": listed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == listed
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Content-Type" in preflight.headers["access-control-allow-headers"]
    answer = httpx.post(api_url + "/v1/rerank", json=BODY, headers={"Origin": listed})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == listed
    assert answer.headers["vary"] == "Origin"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"query": "q", "documents": ["d"], "top_n": ' + b"9" * 5000 + b"}", "a number with 5000 characters"),
        (b'{"query": "q", "documents": ["d"], "top_n": 1' + b"0" * 400 + b".5}", "a number with 403 characters"),
        (b'{"query": "q", "documents": ["d"], "top_n": NaN}', "NaN is not JSON"),
        (b'{"query": "q", "documents": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "more than 32 levels deep"),
        (b'{"query": "q", "documents": ' + b"[" * 40 + b"]" * 40 + b"}", "more than 32 levels deep"),
    ],
)
def test_deep_or_huge_json_is_a_400(api_url, body, message):
    resp = httpx.post(api_url + "/v1/rerank", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400, resp.text
    assert message in resp.json()["error"]["message"]


def test_a_text_field_over_the_cap_is_a_400_naming_it(default_scorer):
    loader = ModelLoader(lambda model, *, device, dtype: default_scorer)
    with running(build_api(config=ApiConfig(max_text_chars=50), loader=loader, key=KEY)) as url:
        loader.wait(KEY, timeout=60)
        resp = httpx.post(url + "/v1/rerank", json={"query": "q", "documents": ["ok", "x" * 51]})
        assert resp.status_code == 400 and resp.json()["error"]["param"] == "documents[1]"
        assert "documents[1]: a text of 51 characters; this server accepts at most 50 per field" in (
            resp.json()["error"]["message"]
        )
        content = {"content": [{"type": "text", "text": "y" * 60}]}
        resp = httpx.post(url + "/v1/rerank", json={"query": "q", "documents": [content]})
        assert resp.json()["error"]["param"] == "documents[0].content[0].text"
        resp = httpx.post(url + "/api/rerank", json={"query": "q", "documents": ["d"], "instruction": "i" * 51})
        assert resp.status_code == 400 and resp.json()["error"]["param"] == "instruction"


def test_names_not_paths(api_url):
    info = httpx.get(api_url + "/api/model").json()
    assert info["accepted_model_names"] == ["all-MiniLM-L6-v2", "default"]
    assert "/srv" not in json.dumps(info)
    assert httpx.get(api_url + "/api/health").json()["model"] == "all-MiniLM-L6-v2"


def _open_slow_body(url: str, path: str = "/v1/rerank") -> socket.socket:
    """A connection that sends the headers and half of a body, then nothing."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    body = json.dumps(BODY).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body[: len(body) // 2])
    return sock


def test_slow_bodies_do_not_take_the_in_flight_places_and_time_out():
    scorer = HeldScorer(name="held", family="test")
    scorer.release.set()  # scores at once
    loader = ModelLoader(lambda model, *, device, dtype: scorer)
    config = ApiConfig(max_in_flight=2, body_timeout_s=1.5)
    with running(build_api(config=config, loader=loader, key=KEY)) as url:
        loader.wait(KEY, timeout=30)
        slow = [_open_slow_body(url) for _ in range(5)]  # more than max_in_flight
        try:
            time.sleep(0.3)
            assert httpx.post(url + "/v1/rerank", json=BODY).status_code == 200  # not locked out
            slow[0].settimeout(10)
            start = time.monotonic()
            answer = slow[0].recv(65536).decode()
            assert time.monotonic() - start < 5
            assert answer.startswith("HTTP/1.1 408"), answer[:200]
            assert "did not arrive within 1.5 s" in answer and "LYCHEE_API_BODY_TIMEOUT_S" in answer
        finally:
            for sock in slow:
                sock.close()


def test_the_openapi_description_and_its_page(api_url):
    doc = httpx.get(api_url + "/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) >= {"/api/rerank", "/v1/rerank", "/rerank", "/v2/rerank", "/api/health", "/api/model"}
    banded = doc["paths"]["/api/rerank"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert banded == {"$ref": "#/components/schemas/BandedRequest"}
    schemas = doc["components"]["schemas"]
    assert schemas["Documents"]["anyOf"][0]["maxItems"] == 1000 and schemas["Text"]["maxLength"] == 20_000
    assert set(doc["paths"]["/v1/rerank"]["post"]["responses"]) >= {"200", "400", "413", "415", "429", "503"}
    page = httpx.get(api_url + "/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'fetch("/openapi.json")' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing fetched from elsewhere
    assert httpx.post(api_url + "/openapi.json", json={}).status_code == 405
