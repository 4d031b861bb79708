"""``relevant_spans`` and ``modality_shares`` over HTTP: what they return, and what they cost — every variant of every
result in one ``predict_pairs`` call, the pairs the rerank scored reused (in-process server, a counting scorer)."""

from __future__ import annotations

import httpx
import pytest
from test_inprocess import KEY, running

from lychee.api import ApiConfig, build_api
from lychee.api.spans import span_score
from lychee.serving import ModelLoader
from tests.helpers import WordOverlapScorer

QUERY = "red running shoes"
DOCS = ["red running shoes for road", "blue ceramic teapot", "running socks, red"]


@pytest.fixture
def counted():
    """An in-process server on a :class:`WordOverlapScorer` (it records the pairs of each ``_predict_pairs`` call)."""
    scorer = WordOverlapScorer()
    loader = ModelLoader(lambda model, *, device, dtype: scorer)
    with running(build_api(config=ApiConfig(), loader=loader, key=KEY)) as url:
        loader.wait(KEY, timeout=30)
        scorer.calls.clear()  # the server's warm-up
        yield url, scorer


def test_relevant_spans_cost_one_call_for_all_results(counted):
    url, scorer = counted
    body = httpx.post(url + "/v1/rerank", json={"query": QUERY, "documents": DOCS, "relevant_spans": True}).json()
    # the rerank (3 pairs), then one call with every word variant of every document (5 + 3 + 3), no base pair again
    assert scorer.calls == [3, 11]
    for result in body["results"]:
        explanation = scorer.explain(QUERY, DOCS[result["index"]], faithfulness=False)
        want = [(t.text, span_score(t.weight)) for t in explanation.top_document_tokens(100)]
        assert [(s["text"], s["score"]) for s in result["relevant_spans"]] == [w for w in want if w[1] >= 0.1]


def test_modality_shares_per_result_in_one_call(counted):
    url, scorer = counted
    body = httpx.post(url + "/v1/rerank", json={"query": QUERY, "documents": DOCS, "modality_shares": True}).json()
    # per document: query only, document only, nothing; the first and last are the same pair for every document
    assert scorer.calls == [3, 2 + 3]
    empty = scorer.predict_pairs([("", "")], allow_empty=True)[0].log_odds
    assert sum(any(s["log_odds"] for s in r["modality_shares"]) for r in body["results"]) == 2
    for result in body["results"]:
        shares = result["modality_shares"]
        assert {s["part"] for s in shares} == {"query_text", "document_text"}
        assert sum(s["log_odds"] for s in shares) == pytest.approx(result["log_odds"] - empty)
        moved = any(s["log_odds"] != 0 for s in shares)  # the teapot scores alike with or without any part
        assert sum(abs(s["share"]) for s in shares) == pytest.approx(1.0 if moved else 0.0)
        assert [abs(s["share"]) for s in shares] == sorted((abs(s["share"]) for s in shares), reverse=True)
        library = scorer.modality_shares(QUERY, DOCS[result["index"]])
        assert {s["part"]: s["log_odds"] for s in shares} == pytest.approx(dict(zip(library.parts, library.values)))
    banded = httpx.post(url + "/api/rerank", json={"query": QUERY, "documents": DOCS, "modality_shares": True}).json()
    assert all(len(r["modality_shares"]) == 2 for r in banded["results"])
    plain = httpx.post(url + "/v1/rerank", json={"query": QUERY, "documents": DOCS}).json()
    assert all("modality_shares" not in r for r in plain["results"])


@pytest.mark.parametrize(
    ("extra", "param", "message"),
    [
        (
            {"modality_shares": "yes"},
            "modality_shares",
            "modality_shares: got a string ('yes'); expected true or false (or omit it).",
        ),
        (
            {"modality_shares": True, "allow_empty": True},
            "allow_empty",
            "allow_empty goes without modality_shares: an empty query or document has no parts",
        ),
        (
            {"modality_shares": True, "documents": ["d"] * 101},
            "modality_shares",
            "modality_shares: asked for the shares of 101 results; this server explains at most 100 per request",
        ),
    ],
)
def test_bad_modality_shares_requests_are_400s_naming_the_field(counted, extra, param, message):
    url, _ = counted
    resp = httpx.post(url + "/v1/rerank", json={"query": QUERY, "documents": DOCS, **extra})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["param"] == param and message in error["message"], error
