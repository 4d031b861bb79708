"""CONTRACT TESTS of the ``openai-chat`` remote protocol against a stand-in server (``chat_contract_server.py``).

The stand-in answers in vLLM's documented chat-completions shape; it is not vLLM (no OpenAI-compatible server with
logprobs runs on these CPU machines). With :class:`ModelBackend` it runs the synthetic checkpoint the way vLLM's chat
path does, so remote scores can be compared with the local scorer's on the same weights; the messages sent are checked
byte for byte against the recipe's literal strings; failures (missing yes/no, 429, 503, timeouts, refused requests)
are scripted. The real engine is exercised by ``test_remote_vllm_gpu.py`` (``gpu`` marker).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

import lychee
from lychee.prompt import FAMILIES
from lychee.scorers.qwen_vl.encoding import fit_image
from lychee.scorers.remote import RemoteAnswerError, RemoteUnavailableError
from tests.helpers import noise_image
from tests.lychee.scorers.remote.chat_contract_server import (
    CannedBackend,
    ContractChatServer,
    ModelBackend,
    canned_yes_no,
    decode_data_url,
)

SYSTEM = (
    "Judge whether the Document meets the requirements based on the Query and the Instruct provided. "
    'Note that the answer can only be "yes" or "no".'
)
BOUNDS = {"lychee": (4 * 28 * 28, 1280 * 28 * 28), "qwen3-vl-reranker": (4 * 32 * 32, 1800 * 32 * 32)}


Q_IMG = noise_image(80, 56, seed=1)
D_IMG = noise_image(50, 120, seed=2)
KINDS = {
    "T->T": ("red running shoes", None, "Nike red running shoe, lightweight and breathable.", None),
    "I->T": (None, Q_IMG, "A photo of a red shoe on a white background.", None),
    "T->I": ("blue ceramic teapot", None, None, D_IMG),
    "IT->IT": ("shoes like this one", Q_IMG, "Nike running shoe", D_IMG),
}


def item(text, image):
    out = {}
    if text is not None:
        out["text"] = text
    if image is not None:
        out["image"] = image
    return out


@pytest.fixture(scope="module")
def model_server(family, checkpoint):
    backend = ModelBackend(checkpoint, family)
    with ContractChatServer(backend, model="served-reranker", tokenize=backend.token_ids) as server:
        yield server


@pytest.fixture(scope="module")
def remote(model_server, family):
    return lychee.load_scorer("openai-chat+" + model_server.url, remote_family=family)


@pytest.fixture
def canned():
    with ContractChatServer(
        CannedBackend(canned_yes_no(0.7)), model="m", tokenize=lambda w: [{"yes": 5, "no": 6}[w]]
    ) as s:
        yield s


# --- scores equal the local scorer's on the same weights ----------------------------------------------------------------
@pytest.mark.parametrize("kind", list(KINDS))
def test_scores_equal_local(vlm_scorer, remote, kind):
    q_text, q_img, d_text, d_img = KINDS[kind]
    local = vlm_scorer.predict(item(q_text, q_img), [item(d_text, d_img)])[0]
    got = remote.predict(item(q_text, q_img), [item(d_text, d_img)])[0]
    assert got.score == pytest.approx(local.score, abs=1e-5)
    assert got.log_odds == pytest.approx(local.log_odds, abs=1e-4)
    assert got.n_tokens == local.n_tokens  # the server's prompt is the local prompt, image tokens included


def test_custom_instruction_and_many_queries_equal_local(vlm_scorer, remote):
    pairs = [("red shoes", "Nike shoe"), ("teapot", {"image": D_IMG}), ("red shoes", "blue teapot")]
    instruction = "Find products a shopper would buy."
    local = vlm_scorer.predict_pairs(pairs, instruction)
    got = remote.predict_pairs(pairs, instruction)
    assert [g.score for g in got] == pytest.approx([p.score for p in local], abs=1e-5)


def test_explain_through_occlusion_equals_local(vlm_scorer, remote):
    # "shoes" is the query's only word: its occlusion variant has an empty query, which the chat messages carry
    # exactly as the recipe does (Lychee: no part; Qwen3: "NULL").
    local = vlm_scorer.explain("shoes", "Nike red running shoe")
    got = remote.explain("shoes", "Nike red running shoe")
    assert got.method == "occlusion"
    assert [t.text for t in got.document_tokens] == [t.text for t in local.document_tokens]
    assert [t.weight for t in got.query_tokens + got.document_tokens] == pytest.approx(
        [t.weight for t in local.query_tokens + local.document_tokens], abs=1e-4
    )


def test_declares_a_vlm_reading_the_instruction(remote, family, model_server):
    caps = remote.capabilities
    assert (caps.text, caps.image, caps.uses_instruction, caps.explain_methods) == (True, True, True, ("occlusion", "shapley"))
    info = remote.info
    assert info.family == "remote" and info.name == "openai-chat+" + model_server.url
    assert info.details["protocol"] == "openai-chat" and info.details["remote_model"] == "served-reranker"
    assert info.details["remote_family"] == family
    assert remote.default_instruction == FAMILIES[family].default_instruction


# --- the request, byte for byte ----------------------------------------------------------------------------------------
def expected_messages(family, instruction, q_text, q_img, d_text, d_img):
    """The recipe written from its literal strings (not from lychee.prompt), images as the pixels the local
    processor is fed."""

    def side(prefix, text, image):
        parts = [{"type": "text", "text": prefix}]
        if image is not None:
            parts.append({"type": "image_url", "image": image})
        if text:
            parts.append({"type": "text", "text": text})
        if family == "qwen3-vl-reranker" and image is None and not text:
            parts.append({"type": "text", "text": "NULL"})
        return parts

    user = [{"type": "text", "text": "<Instruct>: " + instruction}]
    user += side("<Query>:", q_text, q_img) + side("\n<Document>:", d_text, d_img)
    return [{"role": "system", "content": [{"type": "text", "text": SYSTEM}]}, {"role": "user", "content": user}]


@pytest.mark.parametrize("kind", list(KINDS))
def test_messages_are_the_recipe_byte_for_byte(remote, model_server, family, kind):
    q_text, q_img, d_text, d_img = KINDS[kind]
    instruction = "Given a shopper's query, find products."
    before = len(model_server.chat_requests())
    remote.predict(item(q_text, q_img), [item(d_text, d_img)], instruction)
    raw = [r["raw"] for r in model_server.requests if r["path"] == "/v1/chat/completions"][before]
    body = json.loads(raw)
    expected = expected_messages(family, instruction, q_text, q_img, d_text, d_img)
    sent = body["messages"]
    assert [m["role"] for m in sent] == ["system", "user"]
    for got_message, want_message in zip(sent, expected):
        assert len(got_message["content"]) == len(want_message["content"])
        for got, want in zip(got_message["content"], want_message["content"]):
            if want["type"] == "text":
                assert got == {"type": "text", "text": want["text"]}  # exact strings: JSON decoding is lossless
                assert json.dumps(want["text"]).encode() in raw  # and the JSON text is the recipe's, escaped
            else:
                assert set(got) == {"type", "image_url"} and got["type"] == "image_url"
                url = got["image_url"]["url"]
                assert url.startswith("data:image/png;base64,")
                low, high = BOUNDS[family]
                fitted, _ = fit_image(
                    lychee.Item(image=want["image"]), FAMILIES[family], min_pixels=low, max_pixels=high
                )
                assert np.array_equal(np.asarray(decode_data_url(url)), np.asarray(fitted))  # pixel-exact
    assert (body["max_tokens"], body["temperature"], body["logprobs"], body["top_logprobs"]) == (1, 0, True, 20)
    assert body["model"] == "served-reranker"
    yes, no = model_server.backend.token_ids("yes"), model_server.backend.token_ids("no")
    assert body["logprob_token_ids"] == yes + no
    if q_img is not None or d_img is not None:
        low, high = BOUNDS[family]
        assert body["mm_processor_kwargs"] == {"size": {"shortest_edge": low, "longest_edge": high}}
    else:
        assert "mm_processor_kwargs" not in body


# --- answers and failures (canned logprobs) ------------------------------------------------------------------------------
def test_score_is_softmax_over_yes_no_logprobs(canned):
    scorer = lychee.load_scorer("openai-chat+" + canned.url)
    pred = scorer.predict("red shoes", ["Nike shoe"])[0]
    lp_yes, lp_no = math.log(0.9 * 0.7), math.log(0.9 * 0.3)
    assert pred.log_odds == pytest.approx(lp_yes - lp_no, abs=1e-12)
    assert pred.score == pytest.approx(math.exp(lp_yes) / (math.exp(lp_yes) + math.exp(lp_no)), abs=1e-12)
    assert canned.chat_requests()[-1]["logprob_token_ids"] == [5, 6]


@pytest.mark.parametrize("word", ["no", "yes"])
def test_missing_answer_token_is_an_error_never_a_guess(canned, word):
    scorer = lychee.load_scorer("openai-chat+" + canned.url, retries=0)
    canned.faults.append(("drop", word))
    with pytest.raises(RemoteAnswerError, match=rf"no logprob for '{word}'.*never guessed.*logprob_token_ids"):
        scorer.score("red shoes", ["Nike shoe"])


def test_without_tokenize_a_token_outside_the_top_20_is_an_error():
    # P(yes) = 0.001 puts 'yes' below 25 other tokens: with no /tokenize route the client cannot ask for it.
    with ContractChatServer(CannedBackend(canned_yes_no(0.001)), model="m") as server:
        scorer = lychee.load_scorer("openai-chat+" + server.url)
        assert "yes_token_id" not in scorer.info.details
        assert any("/tokenize" in note for note in scorer.info.notes)
        with pytest.raises(RemoteAnswerError, match=r"no logprob for 'yes' among its 21 candidate tokens.*/tokenize"):
            scorer.score("red shoes", ["Nike shoe"])
        assert "logprob_token_ids" not in server.chat_requests()[-1]


def test_answer_without_logprobs_is_an_error(canned):
    scorer = lychee.load_scorer("openai-chat+" + canned.url)
    canned.faults.append(("no_logprobs",))
    with pytest.raises(RemoteAnswerError, match=r"carries no logprobs"):
        scorer.score("red shoes", ["Nike shoe"])


def test_429_then_success(canned):
    scorer = lychee.load_scorer("openai-chat+" + canned.url)
    loaded = len(canned.chat_requests())  # the load-time probe's two pairs
    canned.faults.append(("status", 429, {"Retry-After": "0"}))
    assert scorer.score("red shoes", ["Nike shoe"]) == pytest.approx([0.7])
    assert len(canned.chat_requests()) - loaded == 2
    assert scorer.requests_served() == {canned.url: loaded + 1}


def test_503_every_time_names_the_url_and_attempts(canned):
    scorer = lychee.load_scorer("openai-chat+" + canned.url, retries=2)
    loaded = len(canned.chat_requests())  # the load-time probe's two pairs
    canned.faults.extend([("status", 503, {"Retry-After": "0"})] * 3)
    with pytest.raises(RemoteUnavailableError) as info:
        scorer.score("red shoes", ["Nike shoe"])
    message = str(info.value)
    assert "no endpoint answered after 3 attempts" in message
    assert message.count(f"{canned.url}/v1: HTTP 503") == 3
    assert len(canned.chat_requests()) - loaded == 3


def test_refused_request_is_not_retried(canned):
    scorer = lychee.load_scorer("openai-chat+" + canned.url)
    loaded = len(canned.chat_requests())  # the load-time probe's two pairs
    canned.faults.append(("status", 400, {}))
    with pytest.raises(
        RemoteAnswerError, match=r"pair 1: POST .*/v1/chat/completions \(document 1\) answered HTTP 400"
    ):
        scorer.score("red shoes", ["Nike shoe"])
    assert len(canned.chat_requests()) - loaded == 1


def test_timeout_is_retried_then_reported(canned):
    scorer = lychee.load_scorer("openai-chat+" + canned.url, timeout=0.5, retries=1)
    canned.faults.append(("delay", 2.0))  # the first attempt times out; the retry is answered
    assert scorer.score("red shoes", ["Nike shoe"]) == pytest.approx([0.7])
    canned.faults.extend([("delay", 2.0)] * 2)
    with pytest.raises(RemoteUnavailableError, match=r"no answer within 0.5 s \(timeout\)"):
        scorer.score("red shoes", ["Nike shoe"])


def test_concurrency_is_bounded_per_endpoint(canned):
    scorer = lychee.load_scorer("openai-chat+" + canned.url, max_concurrency=3)
    canned.delay = 0.2
    docs = [f"title {i}" for i in range(9)]
    assert scorer.score("red shoes", docs) == pytest.approx([0.7] * 9)
    assert canned.max_in_flight == 3


def test_requests_spread_over_two_endpoints_results_in_order(vlm_scorer, checkpoint, family):
    backend = ModelBackend(checkpoint, family)
    with (
        ContractChatServer(backend, model="m", tokenize=backend.token_ids) as a,
        ContractChatServer(backend, model="m", tokenize=backend.token_ids) as b,
    ):
        scorer = lychee.load_scorer(f"openai-chat+{a.url},{b.url}", remote_family=family, max_concurrency=2)
        loaded = scorer.requests_served()  # the load-time probe's two pairs
        assert sum(loaded.values()) == 2
        docs = [f"red shoe number {i}" for i in range(8)]
        got = scorer.score("red shoes", docs)
        assert got == pytest.approx(vlm_scorer.score("red shoes", docs), abs=1e-5)
        served = {url: n - loaded.get(url, 0) for url, n in scorer.requests_served().items()}
        assert served[a.url] + served[b.url] == 8 and min(served.values()) >= 2
        assert len(a.chat_requests()) == served[a.url] + loaded.get(a.url, 0)
        assert len(b.chat_requests()) == served[b.url] + loaded.get(b.url, 0)


def test_api_key_from_environment_and_never_openai_key(canned, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-openai")
    scorer = lychee.load_scorer("openai-chat+" + canned.url)
    scorer.score("red shoes", ["Nike shoe"])
    assert canned.requests[-1]["headers"]["authorization"] == "Bearer EMPTY"
    monkeypatch.setenv("LYCHEE_REMOTE_API_KEY", "k-123")
    monkeypatch.setenv("LYCHEE_REMOTE_ALLOW", "127.0.0.1")  # the key goes only to allowed hosts
    scorer = lychee.load_scorer("openai-chat+" + canned.url)
    scorer.score("red shoes", ["Nike shoe"])
    assert canned.requests[-1]["headers"]["authorization"] == "Bearer k-123"
    assert all("sk-secret-openai" not in json.dumps(r["headers"]) for r in canned.requests)
    scorer = lychee.load_scorer("openai-chat+" + canned.url, api_key="k-arg")
    scorer.score("red shoes", ["Nike shoe"])
    assert canned.requests[-1]["headers"]["authorization"] == "Bearer k-arg"


def test_unknown_model_name_and_several_models(canned):
    with pytest.raises(ValueError, match=re.escape(f"remote model {canned.url}: serves ['m'], not 'other'")):
        lychee.load_scorer("openai-chat+" + canned.url, remote_model="other")


def test_chat_protocol_needs_a_reranker_family(canned):
    with pytest.raises(
        ValueError, match=r"remote_family must be one of \['lychee', 'qwen3-vl-reranker'\], got 'embedding'"
    ):
        lychee.load_scorer("openai-chat+" + canned.url, remote_family="embedding")
