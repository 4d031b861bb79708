"""The real server (``./start.sh``, embedded default model) driven with httpx and the cohere SDK: every route and
shape, scores equal to the library's, top_n, return_documents, relevant_spans, health and model info."""

from __future__ import annotations

import math

import cohere
import pytest

import lychee
from lychee.api.spans import span_score

QUERY = "red running shoes"
DOCS = [
    "Blue ceramic teapot with two cups",
    "Nike red running shoe, men's size 42",
    "Garden hose, 20 metres",
    "Adidas trail running shoes in red",
    "Stock market news: shares fall",
]
SHARED_ROUTES = ["/v1/rerank", "/rerank", "/v2/rerank"]


@pytest.fixture(scope="module")
def expected(default_scorer):
    return default_scorer.rank(QUERY, DOCS)


def test_health_and_model_info(client, default_scorer):
    health = client.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "loaded" and health.json()["model"] == "all-MiniLM-L6-v2"
    info = client.get("/api/model").json()
    assert info["model"] == "all-MiniLM-L6-v2"
    library = default_scorer.info.as_dict()
    assert library["path"] and "path" not in info["info"]  # the server's file layout is not the caller's business
    assert {k: v for k, v in info["info"].items() if k != "device"} == {
        k: v for k, v in library.items() if k not in ("device", "path")
    }
    assert info["capabilities"]["modalities"] == "text"
    assert info["capabilities"]["image"] is False and info["capabilities"]["uses_instruction"] is False
    assert info["limits"]["max_documents"] == 1000 and info["limits"]["max_body_bytes"] == 20_000_000
    assert info["limits"]["image_urls"] is False and info["limits"]["auth"] is False


def test_seed_shape_equals_the_library(client, expected):
    resp = client.post("/api/rerank", json={"query": QUERY, "documents": DOCS})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"model", "instruction", "results", "elapsed_ms"}
    assert body["model"] == "all-MiniLM-L6-v2"
    assert body["instruction"] == lychee.DEFAULT_INSTRUCTION
    assert body["elapsed_ms"] > 0
    assert [r["index"] for r in body["results"]] == [r.index for r in expected]
    assert [r["document"] for r in body["results"]] == [DOCS[r.index] for r in expected]
    assert [r["score"] for r in body["results"]] == pytest.approx([r.score for r in expected], abs=1e-6)
    assert [r["band"] for r in body["results"]] == [lychee.band(r.score) for r in expected]
    assert [r["log_odds"] for r in body["results"]] == pytest.approx([r.log_odds for r in expected], abs=1e-5)
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_seed_shape_top_n_and_instruction(client, expected):
    body = client.post(
        "/api/rerank", json={"query": QUERY, "documents": DOCS, "top_n": 2, "instruction": "Find shoes."}
    ).json()
    assert [r["index"] for r in body["results"]] == [r.index for r in expected[:2]]
    assert body["instruction"] == "Find shoes."


@pytest.mark.parametrize("path", SHARED_ROUTES)
def test_shared_shape_equals_the_library(client, expected, default_scorer, path):
    resp = client.post(path, json={"model": "default", "query": QUERY, "documents": DOCS})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body) == {"id", "model", "results", "usage"}
    assert body["id"].startswith("rerank-") and body["model"] == "all-MiniLM-L6-v2"
    assert [r["index"] for r in body["results"]] == [r.index for r in expected]
    assert [r["relevance_score"] for r in body["results"]] == pytest.approx([r.score for r in expected], abs=1e-6)
    assert [r["document"] for r in body["results"]] == [{"text": DOCS[r.index]} for r in expected]
    assert all(r["truncated"] is False for r in body["results"])
    tokens = sum(p.n_tokens for p in default_scorer.predict(QUERY, DOCS))
    assert body["usage"] == {"total_tokens": tokens}


def test_shared_shape_top_n_return_documents_and_model_name(client, expected):
    body = client.post(
        "/v1/rerank",
        json={"model": "all-MiniLM-L6-v2", "query": QUERY, "documents": DOCS, "top_n": 3, "return_documents": False},
    ).json()
    assert [r["index"] for r in body["results"]] == [r.index for r in expected[:3]]
    assert all("document" not in r for r in body["results"])
    # vLLM's convention: top_n 0 means all; more than there are means all
    assert len(client.post("/v1/rerank", json={"query": QUERY, "documents": DOCS, "top_n": 0}).json()["results"]) == 5
    assert len(client.post("/v1/rerank", json={"query": QUERY, "documents": DOCS, "top_n": 99}).json()["results"]) == 5


def test_query_and_documents_in_every_form_score_the_same(client, expected):
    documents = [
        DOCS[0],
        {"text": DOCS[1]},
        {"content": [{"type": "text", "text": DOCS[2]}]},
        {"content": [{"type": "text", "text": "Adidas trail running"}, {"type": "text", "text": "shoes in red"}]},
        DOCS[4],
    ]
    body = client.post(
        "/v1/rerank", json={"query": {"content": [{"type": "text", "text": QUERY}]}, "documents": documents}
    ).json()
    by_index = {r["index"]: r["relevance_score"] for r in body["results"]}
    library = {r.index: r.score for r in expected}
    for i in (0, 1, 2, 4):
        assert by_index[i] == pytest.approx(library[i], abs=1e-6)
    # text parts are joined with a newline: the same as sending that text
    joined = client.post("/v1/rerank", json={"query": QUERY, "documents": ["Adidas trail running\nshoes in red"]})
    assert by_index[3] == pytest.approx(joined.json()["results"][0]["relevance_score"], abs=1e-6)
    assert body["results"][[r["index"] for r in body["results"]].index(3)]["document"] == {
        "text": "Adidas trail running\nshoes in red"
    }
    # vLLM's other form: one {"content": [...]} whose parts are the documents
    parts = {"content": [{"type": "text", "text": d} for d in DOCS]}
    body = client.post("/v1/rerank", json={"query": QUERY, "documents": parts}).json()
    assert [r["index"] for r in body["results"]] == [r.index for r in expected]


def test_relevant_spans_come_from_occlusion(client, default_scorer):
    doc = DOCS[1]
    body = client.post(
        "/v2/rerank", json={"query": QUERY, "documents": [doc, DOCS[0]], "top_n": 1, "relevant_spans": True}
    ).json()
    (result,) = body["results"]
    explanation = default_scorer.explain(QUERY, doc)
    want = [
        (t.start, t.end, t.text, span_score(t.weight))
        for t in explanation.top_document_tokens(100)
        if span_score(t.weight) >= 0.1
    ]
    got = [(s["start"], s["end"], s["text"], s["score"]) for s in result["relevant_spans"]]
    assert [g[:3] for g in got] == [w[:3] for w in want]
    assert [g[3] for g in got] == pytest.approx([w[3] for w in want], abs=1e-6)
    assert got, "a matching title has relevant words"
    assert all(doc[s:e] == text for s, e, text, _ in got)
    assert "red" in [g[2] for g in got]
    # Cohere's object form: threshold and max_spans
    body = client.post(
        "/v2/rerank",
        json={
            "query": QUERY,
            "documents": [doc],
            "relevant_spans": {"mode": "enabled", "threshold": 0.0, "max_spans": 1},
        },
    ).json()
    assert len(body["results"][0]["relevant_spans"]) == 1
    assert body["results"][0]["relevant_spans"][0]["text"] == want[0][2]
    body = client.post(
        "/v2/rerank", json={"query": QUERY, "documents": [doc], "relevant_spans": {"mode": "disabled"}}
    ).json()
    assert "relevant_spans" not in body["results"][0]


def test_span_score_is_the_share_of_odds_lost():
    assert span_score(math.log(2)) == pytest.approx(0.5)
    assert span_score(0.0) == 0.0 and span_score(-1.0) == 0.0
    assert 0.0 < span_score(0.1) < span_score(1.0) < span_score(5.0) < 1.0


def test_cohere_sdk_v2_and_v1(server, expected):
    co = cohere.ClientV2(base_url=server, api_key="not-checked-here")
    response = co.rerank(model="default", query=QUERY, documents=DOCS, top_n=3)
    assert [r.index for r in response.results] == [r.index for r in expected[:3]]
    assert [r.relevance_score for r in response.results] == pytest.approx([r.score for r in expected[:3]], abs=1e-6)
    spans = (
        co.rerank(model="all-MiniLM-L6-v2", query=QUERY, documents=DOCS, top_n=1, relevant_spans={"mode": "enabled"})
        .results[0]
        .relevant_spans
    )
    assert spans and all(0.1 <= s.score < 1.0 for s in spans)
    with pytest.raises(cohere.BadRequestError) as refused:
        co.rerank(model="rerank-v3.5", query=QUERY, documents=DOCS)
    assert "this server serves 'all-MiniLM-L6-v2'" in refused.value.body["error"]["message"]
    assert refused.value.body["error"]["param"] == "model"

    v1 = cohere.Client(base_url=server, api_key="not-checked-here")
    old = v1.rerank(model="default", query=QUERY, documents=DOCS, top_n=2, return_documents=True)
    assert [r.index for r in old.results] == [r.index for r in expected[:2]]
    assert old.results[0].document.text == DOCS[expected[0].index]


def test_empty_documents_give_empty_results(client):
    assert client.post("/v1/rerank", json={"query": QUERY, "documents": []}).json()["results"] == []
    assert client.post("/api/rerank", json={"query": QUERY, "documents": []}).json()["results"] == []


def test_the_dashboard_is_served_on_the_same_port(client):
    assert client.get("/_stcore/health").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "<html" in page.text.lower()


def test_allow_empty_scores_empty_items_as_the_library(client, default_scorer):
    # A remote scorer's occlusion removes a text's only word: "allow_empty": true scores "nothing there" as the
    # library does (predict_pairs(allow_empty=True)); without it an empty query stays a 400.
    body = {"query": "", "documents": ["Nike red running shoe", ""], "allow_empty": True, "return_documents": False}
    answer = client.post("/v1/rerank", json=body)
    assert answer.status_code == 200, answer.text
    want = default_scorer.predict_pairs([("", "Nike red running shoe"), ("", "")], allow_empty=True)
    got = sorted(answer.json()["results"], key=lambda r: r["index"])
    assert [r["relevance_score"] for r in got] == pytest.approx([p.score for p in want], abs=1e-6)
    assert client.get("/api/model").json()["features"] == {"allow_empty": True, "modality_shares": True}
    refused = client.post("/v1/rerank", json={"query": "", "documents": ["Nike red running shoe"]})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "query"
    both = client.post("/v1/rerank", json={**body, "query": QUERY, "relevant_spans": True})
    assert both.status_code == 400 and "allow_empty goes without relevant_spans" in both.json()["error"]["message"]
