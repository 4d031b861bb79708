"""The real server on a tiny synthetic Lychee (Qwen2.5-VL) checkpoint, with ``LYCHEE_API_KEY`` set and image URLs
allowed: the key, images in every accepted form scored exactly as the library scores them, and URL fetching."""

from __future__ import annotations

import base64
import http.server
import io
from collections.abc import Iterator

import cohere
import httpx
import pytest
from apihelpers import API_KEY, AUTH
from PIL import Image
from test_bad_input_http import IMAGE_CASES

import lychee
from lychee import Item
from tests.helpers import bomb_body, data_url, noise_png
from tests.servers import peak_memory_during
from tests.servers import LocalHTTPServer

QUERY = "red running shoes"


@pytest.fixture(scope="module")
def vlm(vlm_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=vlm_server, headers=AUTH, timeout=120) as c:
        yield c


def test_every_api_call_needs_the_key(vlm_server):
    for method, path in (
        ("GET", "/api/health"),
        ("GET", "/api/model"),
        ("POST", "/v1/rerank"),
        ("POST", "/api/rerank"),
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}, {"X-Api-Key": API_KEY}):
            resp = httpx.request(method, vlm_server + path, headers=headers, json={"query": "q", "documents": ["d"]})
            assert resp.status_code == 401, (path, headers, resp.text)
            assert resp.json()["error"]["type"] == "authentication_error"
            assert "Authorization: Bearer <key>" in resp.json()["error"]["message"]
            assert resp.headers["www-authenticate"] == "Bearer"
    ok = httpx.post(vlm_server + "/v1/rerank", headers=AUTH, json={"query": "q", "documents": ["d"]})
    assert ok.status_code == 200
    # the dashboard itself is not behind the API key
    assert httpx.get(vlm_server + "/_stcore/health").status_code == 200


def test_without_a_key_the_api_is_open(client):
    assert client.post("/v1/rerank", json={"query": "q", "documents": ["d"]}).status_code == 200
    wrong = client.post("/v1/rerank", json={"query": "q", "documents": ["d"]}, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 200


def test_model_info_reports_the_vlm(vlm, vlm_scorer):
    info = vlm.get("/api/model").json()
    assert info["capabilities"]["image"] is True and info["info"]["family"] == "lychee"
    assert info["info"]["parameters"] == vlm_scorer.info.parameters
    assert info["limits"] == {**info["limits"], "auth": True, "image_urls": True}


def test_images_in_every_form_score_as_the_library(vlm, vlm_scorer):
    query_png, doc_png = noise_png(56, 42, seed=1), noise_png(70, 28, seed=2)
    documents = [
        "Nike red running shoe",
        {"text": "a shoe", "image": data_url(doc_png)},
        {"image": base64.b64encode(doc_png).decode()},  # bare base64
        {
            "content": [
                {"type": "text", "text": "a shoe"},
                {"type": "image_url", "image_url": {"url": data_url(doc_png)}},
            ]
        },
    ]
    body = vlm.post(
        "/v1/rerank",
        json={
            "query": {"text": QUERY, "image": data_url(query_png)},
            "documents": documents,
            "instruction": "Find shoes.",
        },
    )
    assert body.status_code == 200, body.text
    got = {r["index"]: r["relevance_score"] for r in body.json()["results"]}
    doc_image = lychee.load_image(doc_png)
    library = vlm_scorer.score(
        Item(text=QUERY, image=lychee.load_image(query_png)),
        [
            "Nike red running shoe",
            Item(text="a shoe", image=doc_image),
            Item(image=doc_image),
            Item(text="a shoe", image=doc_image),
        ],
        instruction="Find shoes.",
    )
    assert [got[i] for i in range(4)] == pytest.approx(library, abs=1e-5)
    assert got[1] == pytest.approx(got[3], abs=1e-6)  # the same document in two forms
    documents_echo = {r["index"]: r["document"] for r in body.json()["results"]}
    assert documents_echo[1] == {"text": "a shoe", "image": {"width": 70, "height": 28}}  # no image bytes echoed


def test_seed_route_with_an_image_query(vlm, vlm_scorer):
    query_png = noise_png(56, 42, seed=3)
    body = vlm.post("/api/rerank", json={"query": {"image": data_url(query_png)}, "documents": ["a", "b", "c"]}).json()
    library = vlm_scorer.rank(Item(image=lychee.load_image(query_png)), ["a", "b", "c"])
    assert [r["index"] for r in body["results"]] == [r.index for r in library]
    assert [r["score"] for r in body["results"]] == pytest.approx([r.score for r in library], abs=1e-5)
    assert body["instruction"] == vlm_scorer.default_instruction


def test_more_than_one_image_in_a_document_is_refused(vlm):
    part = {"type": "image_url", "image_url": {"url": data_url(noise_png(56, 42))}}
    resp = vlm.post("/v1/rerank", json={"query": "q", "documents": [{"content": [part, part]}]})
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "documents[0].content[1]"
    assert "at most one image" in resp.json()["error"]["message"]


@pytest.fixture(scope="module")
def image_host() -> Iterator[str]:
    """A local HTTP server with /shoe.png, /big.png (over the size cap) and /missing.png (404)."""
    small, big = noise_png(56, 42, seed=4), noise_png(2400, 2400, seed=5)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            data = {"/shoe.png": small, "/big.png": big}.get(self.path)
            if data is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    with LocalHTTPServer(Handler) as server:
        yield server.url


def test_urls_are_fetched_when_allowed(vlm, vlm_scorer, image_host):
    assert len(noise_png(2400, 2400, seed=5)) > 10_000_000  # over the default 10 MB fetch cap
    resp = vlm.post("/v1/rerank", json={"query": QUERY, "documents": [{"image": f"{image_host}/shoe.png"}]})
    assert resp.status_code == 200, resp.text
    library = vlm_scorer.score(QUERY, [Item(image=lychee.load_image(noise_png(56, 42, seed=4)))])
    assert resp.json()["results"][0]["relevance_score"] == pytest.approx(library[0], abs=1e-5)

    big = vlm.post("/v1/rerank", json={"query": QUERY, "documents": [{"image": f"{image_host}/big.png"}]})
    assert big.status_code == 400 and big.json()["error"]["param"] == "documents[0].image"
    assert "is larger than this server's limit of 10 MB" in big.json()["error"]["message"]
    missing = vlm.post("/v1/rerank", json={"query": QUERY, "documents": [{"image": f"{image_host}/missing.png"}]})
    assert missing.status_code == 400 and "fetching" in missing.json()["error"]["message"]
    # allowing URLs never allows files
    files = vlm.post("/v1/rerank", json={"query": QUERY, "documents": [{"image": "file:///etc/hosts"}]})
    assert files.status_code == 400 and "file:// URLs are refused" in files.json()["error"]["message"]


def test_relevant_spans_on_the_vlm(vlm, vlm_scorer):
    doc = "Nike red running shoe"
    body = vlm.post(
        "/v2/rerank", json={"query": QUERY, "documents": [doc], "relevant_spans": {"mode": "enabled", "threshold": 0}}
    ).json()
    spans = body["results"][0]["relevant_spans"]
    explanation = vlm_scorer.explain(QUERY, doc)
    assert [(s["start"], s["end"]) for s in spans] == [(t.start, t.end) for t in explanation.top_document_tokens(100)]


def test_the_cohere_sdk_sends_the_key(vlm_server):
    ok = cohere.ClientV2(base_url=vlm_server, api_key=API_KEY).rerank(
        model="default", query=QUERY, documents=["a", "b"]
    )
    assert len(ok.results) == 2
    with pytest.raises(cohere.UnauthorizedError):
        cohere.ClientV2(base_url=vlm_server, api_key="wrong").rerank(model="default", query=QUERY, documents=["a"])


def test_image_decoding_guards_apply(vlm):
    # a decompression bomb: a tiny PNG that claims a huge size is refused before it is decoded
    bomb = Image.new("1", (20_000, 20_000))
    out = io.BytesIO()
    bomb.save(out, format="PNG")
    resp = vlm.post("/v1/rerank", json={"query": QUERY, "documents": [{"image": data_url(out.getvalue())}]})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "documents[0].image"
    assert "decompression bomb" in resp.json()["error"]["message"]


@pytest.mark.parametrize(("image", "says"), IMAGE_CASES)
def test_bad_images_are_refused_naming_the_field(vlm, image, says):
    message = vlm.post("/v1/rerank", json={"query": "red", "documents": ["a", {"image": image}]})
    assert message.status_code == 400 and message.json()["error"]["param"] == "documents[1].image"
    assert says in message.json()["error"]["message"]
    part = {"type": "image_url", "image_url": {"url": image}}
    body = {"query": "red", "documents": ["a", "b", {"content": [{"type": "text", "text": "t"}, part]}]}
    message = vlm.post("/v1/rerank", json=body)
    assert message.status_code == 400 and message.json()["error"]["param"] == "documents[2].content[1].image_url.url"
    assert says in message.json()["error"]["message"]


def test_urls_to_inner_addresses_are_refused(vlm):
    # the server lists 127.0.0.1/32 for the local image host above; every other inner address stays refused
    for url, says in (
        ("http://169.254.169.254/latest/meta-data/", "resolves to 169.254.169.254, a link-local"),
        ("http://10.0.0.1/cat.png", "resolves to 10.0.0.1, a private address"),
        ("http://[::1]:8080/cat.png", "resolves to ::1, a loopback address"),
        ("http://0.0.0.0/cat.png", "resolves to 0.0.0.0, an unspecified address"),
    ):
        resp = vlm.post("/v1/rerank", json={"query": QUERY, "documents": [{"image": url}]})
        assert resp.status_code == 400 and says in resp.json()["error"]["message"], resp.text


def test_thirty_bomb_pngs_are_refused_from_their_headers(vlm, vlm_server):
    # the attack: 1.1 MB of base64 that decodes to 12 GB of RGB; before, 200 and +16.9 GB on this checkpoint
    body = bomb_body(30)
    rise, resp = peak_memory_during(vlm_server, lambda: vlm.post("/v1/rerank", json=body))
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "documents[0].image"
    assert "16384x8192 = 134,217,728 pixels, more than the 25,000,000 accepted" in resp.json()["error"]["message"]
    assert rise < 200 * 2**20, f"the server's memory rose by {rise / 2**20:.0f} MB"


def test_a_request_over_its_pixel_budget_is_refused_before_decoding_more(vlm):
    # 5 images of 24 MP each: each under the 25 MP cap, together over the 100 MP budget of a request
    out = io.BytesIO()
    Image.new("L", (6000, 4000)).save(out, format="PNG")
    big = data_url(out.getvalue())
    resp = vlm.post("/v1/rerank", json={"query": QUERY, "documents": [{"image": big} for _ in range(5)]})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "documents[4].image"
    assert "would bring the request's images to 120,000,000 pixels" in resp.json()["error"]["message"]
