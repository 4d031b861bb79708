"""Language detection by script and the warning pages show when the model does not read the texts' language."""

from __future__ import annotations

import pytest

from lychee.language import dominant_language, language_warning


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["办公室绿植", "龟背竹 盆栽 大号 室内 客厅"], "zh"),
        (["iPhone 15 手机壳 透明 防摔"], "zh"),  # Latin brand names inside Chinese titles
        (["red running shoes", "Nike Pegasus 40"], None),
        (["ランニングシューズ 赤"], "ja"),  # kana with Han: Japanese
        (["빨간 운동화"], "ko"),
        (["красные кроссовки"], "ru"),
        ([None, "", "  ", "123 !!"], None),
        (["Nike Air Zoom Pegasus 40 running shoe 跑鞋"], None),  # mostly Latin, a Chinese word: not dominant
    ],
)
def test_dominant_language(texts, expected):
    assert dominant_language(texts) == expected


def test_warning_names_the_language_the_model_and_what_to_load():
    note = language_warning(("en",), "all-MiniLM-L6-v2", ["办公室绿植", "机械键盘 青轴", "龟背竹 盆栽"])
    assert note is not None
    assert "Chinese" in note and "'all-MiniLM-L6-v2'" in note and "English" in note
    assert "Lychee-rerank-mm" in note and "Qwen3-VL-Reranker" in note


def test_no_warning_for_a_language_the_model_reads_or_a_multilingual_model():
    assert language_warning(("en",), "m", ["red running shoes", "teapot"]) is None
    assert language_warning((), "lychee", ["办公室绿植", "龟背竹 盆栽"]) is None
    assert language_warning(("en", "zh"), "m", ["办公室绿植"]) is None


def test_the_default_model_declares_english(default_scorer):
    assert default_scorer.capabilities.languages == ("en",)
    assert language_warning(default_scorer.capabilities.languages, default_scorer.name, ["办公室绿植"]) is not None
