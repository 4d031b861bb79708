"""Every page in English and in Chinese (AppTest): no exceptions, the text in the session's language, and the sidebar's
language switch kept across pages. The browser's locale is the browser test's (test_browser_languages.py).

AppTest replays widget values from the test's own thread, through the widgets' ``format_func`` (a translated label),
while the page runs in a script thread bound to the session's language; so a test that interacts with a page in
Chinese runs under ``language_scope("zh")`` too, as the browser would hold the Chinese labels.
"""

from __future__ import annotations

import re

import pytest
from apphelpers import (
    BATCH,
    HOME,
    JUDGE,
    ROOT,
    SINGLE,
    error_headings,
    errors,
    exceptions,
    make_app,
    page_text,
    shown_texts,
)

from eval.engine.evaluate import evaluate_set
from eval.history.store import RunStore
from eval.sets.labelled import shipped_set_path
from eval.sets.loader import load_labelled_set
from lychee.ui.batch import titles as batch_titles
from lychee.ui.i18n import language_scope
from lychee.ui.shell.settings import PRESETS
from lychee.ui.single import logic as single_logic

EVALUATION = ROOT / "pages" / "3_Evaluation.py"
RUNS = ROOT / "pages" / "4_Runs.py"
PAGES = {
    HOME: "Lychee 重排序 — 分析师看板",
    SINGLE: "单对分析",
    BATCH: "批量重排序",
    EVALUATION: "评测",
    RUNS: "运行记录",
    JUDGE: "人工评审",
}
ENGLISH_TITLES = {
    HOME: "Lychee rerank — analyst dashboard",
    SINGLE: "Single-pair analysis",
    BATCH: "Batch rerank",
    EVALUATION: "Evaluation",
    RUNS: "Runs",
    JUDGE: "Judge",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _workspace(tmp_path, monkeypatch):
    """Runs and saved sets of these tests in a temporary workspace; no LYCHEE_LANG from the caller's shell."""
    monkeypatch.setenv("LYCHEE_RUNS_DB", str(tmp_path / "runs.sqlite"))
    monkeypatch.setenv("LYCHEE_SETS_DIR", str(tmp_path / "sets"))
    monkeypatch.delenv("LYCHEE_LANG", raising=False)


def _title(at) -> str:
    return at.title[0].value


def _sidebar_labels(at) -> list[str]:
    return [w.label for w in (*at.sidebar.radio, *at.sidebar.selectbox, *at.sidebar.slider, *at.sidebar.text_area)]


@pytest.mark.parametrize("page", list(PAGES), ids=lambda p: p.stem)
def test_every_page_in_chinese_and_english(page):
    at = make_app(page, lang="zh")
    at.run()
    assert not at.exception, exceptions(at)
    assert PAGES[page] in _title(at)
    labels = _sidebar_labels(at)
    assert "指令文本" in labels and "中档和强档阈值" in labels, labels
    assert all(CJK.search(label) for label in labels), labels

    at = make_app(page, lang="en")
    at.run()
    assert not at.exception, exceptions(at)
    assert ENGLISH_TITLES[page] in _title(at)
    assert not CJK.search(" ".join(_sidebar_labels(at)))


def test_the_judge_page_in_chinese_with_a_saved_set(tmp_path):
    sets = tmp_path / "sets"
    sets.mkdir()
    (sets / "shoes.jsonl").write_text(
        '{"qid": "q1", "query": {"text": "跑鞋"}, "candidates": [{"docid": "d1", "text": "男子跑步鞋", "label": 2}]}\n',
        encoding="utf-8",
    )
    at = make_app(JUDGE, lang="zh", judge_rater="alice")
    at.run()
    assert not at.exception, exceptions(at)
    assert "人工评审" in _title(at)
    assert [t.label for t in at.tabs] == ["标注", "一致性", "分歧", "标注规范与规则"]
    assert "保存我的标注" in [b.label for b in at.button]


def test_lychee_lang_sets_the_default_and_the_switch_overrides_it(monkeypatch):
    monkeypatch.setenv("LYCHEE_LANG", "zh")
    at = make_app(BATCH)
    at.run()
    assert not at.exception, exceptions(at)
    assert "批量重排序" in _title(at)
    switch = at.sidebar.segmented_control(key="_w_lang")
    assert switch.value == "zh" and switch.options == ["English", "中文"]
    switch.set_value("en").run()
    assert not at.exception, exceptions(at)
    assert "Batch rerank" in _title(at)
    assert at.session_state["lang"] == "en"


@language_scope("zh")
def test_batch_rerank_results_in_chinese():
    at = make_app(BATCH, lang="zh")
    at.run()
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    text = page_text(at)
    for shown in ("排名第一", "各分档的分数", "标题数", "🟢 强", "下载 CSV", "按 P(yes) 的新排名。", "标注这些结果"):
        assert shown in text, shown
    assert "Top result" not in text and "Scores by band" not in text
    # the table keeps its machine columns (and the CSV download its English header); only the labels are translated
    assert list(at.dataframe[0].value.columns)[:3] == ["rank", "original_rank", "change"]


@language_scope("zh")
def test_a_library_error_comes_under_a_translated_heading():
    at = make_app(BATCH, lang="zh", batch_titles="\n\n")
    at.run()
    at.button(key="batch_submit").click().run()
    assert not at.exception, exceptions(at)
    assert error_headings(at) == ["这些标题无法重排序。请按提示修改后再点击重排序。"]
    assert errors(at) and not CJK.search(errors(at)[0])  # the library's own message stays English


@language_scope("zh")
def test_evaluation_segments_in_chinese():
    at = make_app(EVALUATION, lang="zh")
    at.run()
    at.selectbox(key="_w_eval_set").set_value("ecommerce_zh.jsonl").run()
    at.button(key="eval_run").click().run()
    assert not at.exception, exceptions(at)
    text = page_text(at)
    for shown in ("**分组结果**", "相对输入顺序的提升 (%)", "场景化描述", "已记入运行记录", "**所有系统**"):
        assert shown in text, shown
    assert "Per segment" not in text
    # the embedded default reads English: the language warning is the dashboard's, in Chinese
    assert any("大部分是中文" in w.value for w in at.warning), [w.value for w in at.warning]


def test_the_sidebar_switch_holds_across_pages(via_home):
    at = via_home(SINGLE)
    assert "Single-pair analysis" in _title(at)
    at.sidebar.segmented_control(key="_w_lang").set_value("zh").run()
    assert "单对分析" in _title(at)
    with language_scope("zh"):
        at.switch_page("pages/2_Batch_rerank.py").run()
        assert not at.exception, exceptions(at)
        assert "批量重排序" in _title(at)
        assert at.sidebar.segmented_control(key="_w_lang").value == "zh"
        at.switch_page("pages/3_Evaluation.py").run()
        assert "评测" in _title(at)
        at.sidebar.segmented_control(key="_w_lang").set_value("en").run()
    assert "Evaluation" in _title(at)
    at.switch_page("pages/1_Single_pair.py").run()
    assert not at.exception, exceptions(at)
    assert "Single-pair analysis" in _title(at)


def test_the_navigation_is_translated():
    at = make_app(HOME, lang="zh")
    at.run()
    assert not at.exception, exceptions(at)
    links = [link.proto.label for link in at.get("page_link")]
    assert links == ["单对分析", "批量重排序", "评测", "运行记录", "人工评审"], links


#: English words a Chinese page may show: what the user typed or the example typed for them (queries, titles, the
#: instructions sent to the model), names (the models ``default`` and ``word-overlap``, the language switch's "English")
#: and values (``sdpa``).
DATA_WORDS = {
    w.lower()
    for text in (
        single_logic.EXAMPLE_QUERY,
        single_logic.EXAMPLE_DOCUMENT,
        batch_titles.EXAMPLE_QUERY,
        batch_titles.EXAMPLE_TITLES,
        *PRESETS.values(),
        "default English sdpa word-overlap",
    )
    for w in re.findall(r"[A-Za-z]+", text)
}
ENGLISH_WORD = re.compile(r"(?<![\w/.@`'])[A-Za-z][a-z]{3,}(?![\w/.@`'])")


def english_left(at) -> list[str]:
    """The texts of a page that hold no Chinese but an English word that is not the user's data: untranslated text."""
    return sorted(
        {
            text
            for text in shown_texts(at)
            if not CJK.search(text) and any(w.lower() not in DATA_WORDS for w in ENGLISH_WORD.findall(text))
        }
    )


def test_the_english_left_check_finds_untranslated_text():
    at = make_app(HOME, lang="en")
    at.run()
    assert {"Batch rerank", "Attention"} <= set(english_left(at))  # in English, the interface is all "left"
    assert not any("Given a web search query" in t for t in english_left(at))  # data is not


def _two_runs() -> None:
    """Two evaluations of the passages set in the run store (LYCHEE_RUNS_DB), so Runs draws its table, its trend and
    its comparison."""
    from tests.eval.conftest import WordOverlapScorer

    passages = shipped_set_path("passages.csv")
    labelled = load_labelled_set(passages, name="eval/data/passages.csv")
    store = RunStore()
    for instruction in ("plain", "other"):
        metrics = evaluate_set(labelled, WordOverlapScorer(), instruction=instruction, k=10).metrics
        store.record(metrics, set_name="eval/data/passages.csv", set_path=passages, output_dir=None, source="page")


def _a_set_two_raters_disagree_on() -> None:
    """A saved set (LYCHEE_SETS_DIR) whose query two raters graded, 2 apart on one title: Judge draws its agreement,
    its disagreement queue and its adjudication."""
    from eval.history.labelling import make_record, save_query, set_path
    from lychee.roles import local_actor

    titles = ["男子防水登山鞋", "陶瓷马克杯", "儿童雨靴", "越野跑鞋"]
    for rater, grades in (("ann", [3, 0, 1, 2]), ("bob", [2, 0, 3, 2])):
        record = make_record(qid="boots", text="防水登山鞋", titles=titles, grades=grades, rater=rater,
                             docids=["d1", "d2", "d3", "d4"])  # fmt: skip
        save_query(record, set_file=set_path("hiking"), actor=local_actor())


#: Each page in the states that draw the most of it: (page, session state set first, buttons clicked in turn).
SCENARIOS = {
    "home": (HOME, {}, []),
    "home_bm25": (HOME, {"model": "bm25"}, []),
    "single_pair": (SINGLE, {}, ["single_score"]),
    "batch": (BATCH, {"batch_shares": True}, ["batch_submit"]),
    "batch_bm25": (BATCH, {"model": "bm25"}, ["batch_submit"]),
    "batch_ab_and_a_vs_b": (BATCH, {"batch_ab": True}, ["batch_submit", "batch_contrast_go"]),
    "batch_judge_mode": (BATCH, {"batch_judge": True, "judge_rater": "alice"}, ["batch_submit"]),
    "evaluation_segments": (EVALUATION, {"eval_set": "ecommerce_zh.jsonl"}, ["eval_run"]),
    "evaluation_ab": (
        EVALUATION,
        {"eval_compare": True, "eval_instruction_b": "给定商品搜索查询，找出匹配的商品。"},
        ["eval_run"],
    ),
    "runs": (RUNS, {}, []),
    "judge": (JUDGE, {"judge_rater": "alice"}, []),
}


@language_scope("zh")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_english_interface_text_is_left_in_chinese(scenario):
    page, state, clicks = SCENARIOS[scenario]
    if page == RUNS:
        _two_runs()
    if page == JUDGE:
        _a_set_two_raters_disagree_on()
    at = make_app(page, lang="zh", **state)
    at.run()
    for key in clicks:  # the results too: tables, charts, captions
        at.button(key=key).click().run()
        assert not at.exception, exceptions(at)
    assert not at.exception, exceptions(at)
    assert english_left(at) == []
