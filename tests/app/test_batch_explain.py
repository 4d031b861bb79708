"""Batch rerank's "Why A above B" and modality-shares column on the embedded default model (AppTest, CPU)."""

from __future__ import annotations

import pytest
from apphelpers import BATCH, errors, exceptions, html_blocks, make_app, table_with

from lychee.ui.batch.explain import CONTRAST_KEY, SHARES_KEY

QUERY = "red running shoes"
TITLES = ["blue ceramic teapot", "Nike red running shoe for road races", "red wool socks", "trail running shoes"]


def _reranked():
    at = make_app(BATCH)
    at.run()
    at.text_area(key="_w_batch_query_text").set_value(QUERY)
    at.text_area(key="_w_batch_titles").set_value("\n".join(TITLES))
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    return at


def test_two_rows_are_explained_side_by_side(default_scorer):
    at = _reranked()
    ranked = default_scorer.rank(QUERY, TITLES)
    # the pickers start on the first two rows of the ranking
    assert at.selectbox(key="_w_batch_contrast_a").value == ranked[0].index
    assert at.selectbox(key="_w_batch_contrast_b").value == ranked[1].index
    at.button(key="batch_contrast_go").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)
    e = at.session_state[CONTRAST_KEY].explanation
    assert e.gap == pytest.approx(ranked[0].log_odds - ranked[1].log_odds, abs=1e-6)
    assert {m.label: m.value for m in at.metric}["Gap lo(A) − lo(B)"] == f"{e.gap:+.2f}"
    assert any(c.value.startswith("A ranks above B: lo(A) − lo(B) = ") for c in at.caption)
    # the query, A and B highlighted, each word with its weight
    highlighted = [b for b in html_blocks(at) if "<span title=" in b]
    assert len(highlighted) == 3
    # the deletion curve on the gap, and its numbers
    assert any('"log_odds"' in c.proto.spec and "gap lo(A)" in c.proto.spec for c in at.get("vega_lite_chart"))
    assert {m.label for m in at.metric} >= {"Comprehensiveness", "Sufficiency"}
    assert e.faithfulness.side == "gap"
    table = table_with(at, "effect_on_gap")
    assert set(table["text"]) == {"query", "A", "B"}


def test_b_above_a_says_so_and_the_same_row_is_refused(default_scorer):
    at = _reranked()
    ranked = default_scorer.rank(QUERY, TITLES)
    at.selectbox(key="_w_batch_contrast_a").set_value(ranked[-1].index)
    at.selectbox(key="_w_batch_contrast_b").set_value(ranked[0].index)
    at.selectbox(key="_w_batch_contrast_method").set_value("shapley")
    at.button(key="batch_contrast_go").click().run()
    assert not at.exception, exceptions(at)
    e = at.session_state[CONTRAST_KEY].explanation
    assert e.method == "shapley" and e.gap < 0
    assert e.gap_effects() == pytest.approx(e.gap, abs=1e-4)  # Shapley effects add up to the gap
    assert any(c.value.startswith("A ranks below B") for c in at.caption)
    at.selectbox(key="_w_batch_contrast_b").set_value(ranked[-1].index)
    at.button(key="batch_contrast_go").click().run()
    assert "Title A and title B are the same row: pick two different titles to compare." in errors(at)


def test_the_shares_column_gives_every_title_its_parts(default_scorer):
    at = _reranked()
    at.toggle(key="_w_batch_shares").set_value(True).run()
    assert not at.exception, exceptions(at)
    table = table_with(at, "query text")
    assert list(table.columns) == ["rank", "title", "score", "query text", "document text"]
    shares = at.session_state[SHARES_KEY].shares
    for row in table.itertuples():
        library = default_scorer.modality_shares(QUERY, row.title).shares()
        assert row._4 == pytest.approx(library["query_text"], abs=1e-6)
        assert row._5 == pytest.approx(library["document_text"], abs=1e-6)
    assert len(shares) == len(TITLES)
    # a new rerank makes the stored shares and contrast stale: they are computed again, not shown for the old batch
    at.text_area(key="_w_batch_titles").set_value("\n".join(TITLES[:2]))
    at.button(key="batch_submit").click().run()
    assert len(table_with(at, "query text")) == 2
