"""The load-time probe of a remote model (lychee.scorers.remote.probe): this project's own server separates an identical
text from an unrelated one and loads without a warning; CONTRACT TESTS against stand-in rerank servers (answering 0.5
for everything, or reversed scores, or raw logits) load too, but declare a warning on the scorer."""

from __future__ import annotations

import pytest

import lychee
from lychee.scorers.remote.probe import MIN_GAP, PROBE_QUERY, PROBE_UNRELATED, ProbeResult
from tests.lychee.scorers.remote.rerank_contract_server import (
    StandinRerankServer,
    constant_scores,
    reversed_scores,
)


def test_this_projects_server_separates_the_probe_pairs(project_server, default_scorer):
    remote = lychee.load_scorer(project_server)
    probe = remote.info.details["probe"]
    same, unrelated = default_scorer.score(PROBE_QUERY, [PROBE_QUERY, PROBE_UNRELATED])
    assert probe["score_same"] == pytest.approx(same, abs=1e-6) and probe["score_same"] > 0.9
    assert probe["score_unrelated"] == pytest.approx(unrelated, abs=1e-6) and probe["score_unrelated"] < 0.1
    assert (probe["separates"], probe["error"]) == (True, None)
    assert remote.info.warnings == ()
    assert remote.info.as_dict()["warnings"] == []


def test_a_server_answering_one_half_loads_with_a_warning():
    with StandinRerankServer(constant_scores(0.5)) as server:
        remote = lychee.load_scorer(server.url)
        assert len(server.rerank_requests) == 1  # one request: the query with its two documents
        assert server.rerank_requests[0]["query"] == PROBE_QUERY
        assert server.rerank_requests[0]["documents"] == [PROBE_QUERY, PROBE_UNRELATED]
        assert remote.score("red shoes", ["Nike shoe"]) == [0.5]  # loaded all the same
    probe = remote.info.details["probe"]
    assert (probe["score_same"], probe["score_unrelated"], probe["separates"]) == (0.5, 0.5, False)
    (warning,) = remote.info.warnings
    assert warning.startswith(f"{server.url} answers, but not like a reranker: the load-time probe scored the query")
    assert "'red running shoes' 0.500 against the identical text and 0.500 against an unrelated one" in warning
    assert "python -m eval.parity --model URL --reference CHECKPOINT --data SET" in warning


def test_reversed_scores_are_caught_too(default_scorer):
    with StandinRerankServer(reversed_scores(default_scorer)) as server:
        remote = lychee.load_scorer(server.url)
    probe = remote.info.details["probe"]
    assert probe["score_same"] < 0.1 < 0.9 < probe["score_unrelated"] and probe["separates"] is False
    assert len(remote.info.warnings) == 1


def test_a_probe_that_cannot_score_is_a_warning_not_a_failed_load():
    with StandinRerankServer(lambda query, documents: [3.2] * len(documents)) as server:  # raw logits
        remote = lychee.load_scorer(server.url, retries=0)
    probe = remote.info.details["probe"]
    assert probe["separates"] is None and "is outside [0, 1]: the server returns raw scores" in probe["error"]
    (warning,) = remote.info.warnings
    assert warning.startswith(f"The load-time probe could not score two text pairs on {server.url}: ")
    assert warning.endswith("The endpoint answered discovery, so it was loaded, but scoring it may fail the same way.")


@pytest.mark.parametrize(
    ("same", "unrelated", "separates"),
    [(0.9, 0.9 - MIN_GAP - 1e-9, True), (0.9, 0.9 - MIN_GAP + 1e-9, False), (0.2, 0.8, False), (0.99, 0.01, True)],
)
def test_separation_needs_the_identical_text_higher_by_min_gap(same, unrelated, separates):
    result = ProbeResult(same, unrelated)
    assert result.separates is separates
    assert (result.warning("m") is None) is separates
