"""The sidebar's third model source, a remote endpoint: URL + protocol -> one model string; Home shows the remote
model's info; a malformed URL says why and keeps the embedded default; pages score through the remote model.

The endpoint is the ``openai-chat`` contract server (``tests/lychee/scorers/remote/chat_contract_server.py``, a
stand-in answering in vLLM's documented chat-completions shape) with canned log-probabilities: these tests are about
the dashboard's wiring.
"""

from __future__ import annotations

import pytest
from apphelpers import HOME, SINGLE, error_headings, errors, exceptions, make_app, shown

from lychee.scorers.remote.probe import PROBE_QUERY, PROBE_UNRELATED
from lychee.ui.shell.notices import MODEL_WARNING_HEADING
from tests.lychee.scorers.remote.chat_contract_server import CannedBackend, ContractChatServer, canned_yes_no
from tests.lychee.scorers.remote.rerank_contract_server import StandinRerankServer, constant_scores


def _document_text(body: dict) -> str:
    """The document's text of one chat request (the text part after ``\n<Document>:``)."""
    parts = [part.get("text") for message in body["messages"] for part in message["content"]]
    return parts[parts.index("\n<Document>:") + 1]


@pytest.fixture
def chat_server():
    with ContractChatServer(CannedBackend(canned_yes_no(0.7)), model="lychee-rerank-mm") as server:
        yield server


def pick_remote(at, url: str, protocol: str):
    at.sidebar.radio(key="_w_model_source").set_value("remote").run()
    at.sidebar.selectbox(key="_w_remote_protocol").set_value(protocol).run()
    at.sidebar.text_input(key="_w_remote_url").input(url).run()
    return at


def test_picking_a_remote_endpoint_sets_the_model_and_home_shows_its_info(chat_server):
    at = make_app(HOME, device="cuda")
    at.run()
    pick_remote(at, chat_server.url, "openai-chat")
    assert not at.exception, exceptions(at)
    assert at.session_state["model"] == f"openai-chat+{chat_server.url}"
    assert any("not connected yet" in i.value for i in at.info)
    at.button(key="home_load").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at), errors(at)  # device "cuda" from the session does not reach a remote model
    captions = [c.value for c in at.caption]
    assert any(
        f"Remote model over the `openai-chat` protocol at `{chat_server.url}`: the server serves `lychee-rerank-mm`"
        in c
        for c in captions
    ), captions
    assert any(m.label == "Device" and m.value == "remote" for m in at.metric)


def test_a_pasted_protocol_prefix_picks_the_protocol(chat_server):
    at = make_app(HOME)
    at.run()
    pick_remote(at, f"openai-chat+{chat_server.url}", "rerank")
    assert at.session_state["model"] == f"openai-chat+{chat_server.url}"
    assert at.sidebar.selectbox(key="_w_remote_protocol").value == "openai-chat"
    assert at.sidebar.text_input(key="_w_remote_url").value == chat_server.url


def test_a_malformed_url_says_why_and_keeps_the_default():
    at = make_app(HOME)
    at.run()
    pick_remote(at, "gpu-1:8000", "rerank")
    assert not at.exception, exceptions(at)
    assert at.session_state["model"] == "default"
    # the library's message, under the page's heading that says what to do meanwhile
    assert any("remote URL 'gpu-1:8000': expected http(s)://host:port[/path]" in e for e in errors(at)), errors(at)
    assert any("embedded default model is used" in (h or "") for h in error_headings(at)), error_headings(at)


def test_a_dead_endpoint_is_a_clear_message_on_load():
    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    at = make_app(HOME)
    at.run()
    pick_remote(at, url, "rerank")
    at.button(key="home_load").click().run()
    assert not at.exception, exceptions(at)
    assert any(f"remote model {url}: no usable answer. Tried: GET {url}/api/model" in e for e in errors(at)), errors(at)


def test_single_pair_scores_through_the_remote_model(chat_server):
    at = make_app(SINGLE, model=f"openai-chat+{chat_server.url}")
    at.run()
    assert at.sidebar.radio(key="_w_model_source").value == "remote"
    at.text_area(key="_w_single_query_text").set_value("red running shoes")
    at.text_area(key="_w_single_document_text").set_value("Nike red running shoe")
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at), errors(at)
    # the load-time probe's 2 pairs, then 1 pair + 3 + 4 occlusion variants (one per word), then the deletion curve's
    # distinct variants and the modality shares' 3 subsets (query only, document only, nothing), each a chat completion
    requests = chat_server.chat_requests()
    assert {_document_text(r) for r in requests[:2]} == {PROBE_QUERY, PROBE_UNRELATED}
    result = at.session_state["single_result"]
    curve = result.explanation.faithfulness.n_evaluations
    assert result.shares.n_evaluations == 3  # the pair itself is not scored again
    assert len(requests) == 2 + 8 + curve + 3
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["P(yes)"] == "0.700"


def test_a_served_model_that_does_not_rank_is_a_warning_on_home_and_in_the_sidebar():
    # a stand-in answering 0.5 for every pair (vLLM's Qwen3-reranker bug): it loads, and says it does not separate
    with StandinRerankServer(constant_scores(0.5)) as server:
        at = make_app(HOME, model=server.url)
        at.run()
        at.button(key="home_load").click().run()
        assert not at.exception, exceptions(at)
        assert not errors(at), errors(at)
        expected = f"{server.url} answers, but not like a reranker: the load-time probe scored the query"
        # the library's warning, under the page's heading that says what to do about it
        heading = f"**{MODEL_WARNING_HEADING}**\n\n"
        assert any(shown(w.value).startswith(heading + expected) for w in at.main.warning), [
            w.value for w in at.main.warning
        ]
        assert any(shown(w.value).startswith(heading + expected) for w in at.sidebar.warning), [
            w.value for w in at.sidebar.warning
        ]
        assert any(m.label == "Device" and m.value == "remote" for m in at.metric)  # loaded all the same


def test_a_model_that_ranks_shows_no_such_warning():
    at = make_app(HOME)
    at.run()
    assert not at.exception, exceptions(at)
    assert not [w.value for w in at.warning if "not like a reranker" in w.value]
