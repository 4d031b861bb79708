"""Bands that mean nothing are greyed, with the reason: titles in a language the model does not read, and BM25 (whose
scores are not probabilities), which the sidebar offers as a model."""

from __future__ import annotations

from apphelpers import BATCH, SINGLE, errors, exceptions, html_blocks, make_app, table_with

import lychee

ZH_QUERY = "通勤用无线降噪耳机"
ZH_TITLES = [
    "无线蓝牙降噪耳机 头戴式 通勤",
    "有线儿童耳机 可爱卡通",
    "降噪耳机 主动降噪 入耳式 无线",
    "办公室绿植 龟背竹",
    "机械键盘 青轴",
]


def _rerank(at, query: str, titles: list[str]) -> None:
    at.text_area(key="_w_batch_query_text").set_value(query)
    at.text_area(key="_w_batch_titles").set_value("\n".join(titles))
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert not errors(at)


def test_chinese_titles_on_the_default_grey_the_bands_and_the_top_card():
    at = make_app(BATCH)
    at.run()
    _rerank(at, ZH_QUERY, ZH_TITLES)
    shown = table_with(at, "band")
    assert set(shown["band"].str[0]) == {"⚪"}
    card = next(h for h in html_blocks(at) if "Top result" in h)
    assert "Band not meaningful: all-MiniLM-L6-v2 does not read Chinese" in card
    assert 'data-greyed="1"' in card
    assert [m.label for m in at.metric][1:4] == ["⚪ Strong", "⚪ Medium", "⚪ Weak"]
    # The warning above says the same, and points to what reads Chinese (BM25 included).
    assert any("bm25" in w.value for w in at.warning)


def test_english_titles_keep_their_band_colours():
    at = make_app(BATCH)
    at.run()
    at.button(key="batch_submit").click().run()
    shown = table_with(at, "band")
    assert "⚪" not in set(shown["band"].str[0])
    card = next(h for h in html_blocks(at) if "Top result" in h)
    assert "Band not meaningful" not in card


def test_bm25_from_the_sidebar_ranks_the_batch_and_says_what_it_is():
    at = make_app(BATCH)
    at.run()
    at.sidebar.radio(key="_w_model_source").set_value("bm25").run()
    assert at.session_state["model"] == "bm25"
    _rerank(at, ZH_QUERY, ZH_TITLES)
    result = at.session_state["batch_result"]
    expected = lychee.load_scorer("bm25").predict(ZH_QUERY, ZH_TITLES)
    assert result.scores == [p.score for p in expected]
    assert result.model == "bm25"
    # No language warning (BM25 reads any script lexically), but the bands are greyed: not probabilities.
    assert not [w for w in at.warning if "Chinese" in w.value]
    assert any("BM25 is a lexical ranking, not a model" in i.value for i in at.info)
    card = next(h for h in html_blocks(at) if "Top result" in h)
    assert "Band not meaningful: bm25 scores rank titles but are not probabilities" in card
    best = max(range(len(ZH_TITLES)), key=lambda i: expected[i].score)
    assert table_with(at, "band")["title"].iloc[0] == ZH_TITLES[best] != "有线儿童耳机 可爱卡通"


def test_single_pair_in_chinese_greys_the_band():
    at = make_app(SINGLE)
    at.run()
    at.text_area(key="_w_single_query_text").set_value(ZH_QUERY)
    at.text_area(key="_w_single_document_text").set_value(ZH_TITLES[1])
    at.button(key="single_score").click().run()
    assert not at.exception, exceptions(at)
    badge = next(h for h in html_blocks(at) if "letter-spacing" in h and "border-radius:1em" in h)
    assert 'data-greyed="1"' in badge and "does not read Chinese" in badge
    assert any("The band is greyed" in c.value for c in at.caption)


def test_home_shows_bm25_at_once_and_says_what_it_is():
    from apphelpers import HOME

    at = make_app(HOME, model="bm25")
    at.run()
    assert not at.exception, exceptions(at)
    assert not [b for b in at.button if b.key == "home_load"]  # nothing to load
    assert {m.label: m.value for m in at.metric}["Parameters"] == "0"
    assert any("BM25 is a lexical ranking, not a model" in i.value for i in at.info)
    assert any("sigmoid(BM25 - 1)" in c.value for c in at.caption)
