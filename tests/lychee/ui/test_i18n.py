"""The dashboard's languages without a browser: the catalogs cover every interface string the code has (and nothing
it no longer has), placeholders survive translation, the glossary's terms are used, and lychee.ui.i18n picks and
formats per language."""

from __future__ import annotations

import csv
import re
import string
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from lychee.scorers.embedding import ENGLISH_ONLY_NOTE
from lychee.scorers.lexical import BM25_NOTE, BM25Scorer
from lychee.ui import i18n
from lychee.ui.i18n import _, format_number, format_percent, language_scope, ngettext
from lychee.ui.model_notes import TRANSLATED_NOTES, model_note
from tests.servers import ROOT

TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE_LANGUAGE]
GLOSSARY_DIR = i18n.CATALOG_DIR / "zh" / "LC_MESSAGES"


def extracted() -> dict[str, str | tuple[str, str]]:
    """Every message the code marks (``_``, ``ngettext``, ``N_``) in the files babel.cfg names: msgid -> the msgid,
    or ``(singular, plural)``."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str | tuple[str, str]] = {}
    for _path, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map):
        key = message[0] if isinstance(message, tuple) else message
        found[key] = message
    return found


def load_catalog(lang: str) -> Catalog:
    with i18n.catalog_path(lang).open("rb") as po:
        return read_po(po, locale=i18n.LOCALES[lang])


def catalog_problems(code: Mapping[str, str | tuple[str, str]], catalog: Catalog) -> list[str]:
    """What is wrong between the code's messages and a catalog: untranslated, fuzzy, stale (no longer in the code),
    a plural form missing, or a placeholder the translation drops or invents (``.format`` would raise or lose it)."""
    problems = []
    entries = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id}
    for key, message in code.items():
        entry = entries.get(key)
        if entry is None:
            problems.append(f"untranslated (not in the catalog): {key!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy:
            problems.append(f"fuzzy (needs review): {key!r}")
        if not all(strings):
            problems.append(f"no translation: {key!r}")
        if isinstance(message, tuple) != isinstance(entry.id, tuple):
            problems.append(f"plural in one and not the other: {key!r}")
        wanted = _fields(message if isinstance(message, tuple) else [message])
        for text in strings:
            if text and _fields([text]) != wanted:
                problems.append(f"placeholders {sorted(_fields([text]))} instead of {sorted(wanted)}: {key!r}")
    for key in entries:
        if key not in code:
            problems.append(f"stale (no longer in the code): {key!r}")
    return problems


def _fields(texts: Iterable[str]) -> set[str]:
    """The ``str.format`` fields of ``texts`` with their conversions and specs (``{n}``, ``{score:.2f}``)."""
    out = set()
    for text in texts:
        for _literal, name, spec, conversion in string.Formatter().parse(text):
            if name is not None:
                out.add(f"{name}!{conversion or ''}:{spec or ''}")
    return out


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


#: What the glossary check leaves out of a msgid: placeholders, `code`, "quoted names", file names, URLs, paths,
#: comma lists (CSV columns) and model ids (three or more hyphenated parts: lychee-rerank-mm, Qwen3-VL-Reranker).
_NOT_WORDS = re.compile(r"\{[^}]*\}|`[^`]*`|\"[^\"]*\"|\S*[./_,]\S*|\b\w+(?:-\w+){2,}\b")


def glossary_violations(
    catalog: Catalog, glossary: list[dict[str, str]], exceptions: list[dict[str, str]]
) -> list[str]:
    """The msgids that use a glossary term whose translation lacks the term's Chinese, less the listed exceptions."""
    excused = {(e["english"], e["msgid_start"]) for e in exceptions}
    found = []
    for entry in catalog:
        if not entry.id:
            continue
        msgid = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        text = entry.string[0] if isinstance(entry.string, tuple) else entry.string
        words = _NOT_WORDS.sub(" ", msgid)
        for term in glossary:
            if not re.search(term["pattern"], words, flags=re.IGNORECASE) or term["chinese"] in text:
                continue
            if any(term["english"] == english and msgid.startswith(start) for english, start in excused):
                continue
            found.append(f"{term['english']} → {term['chinese']}: {msgid[:70]!r} is translated {text[:40]!r}")
    return found


# --- the catalogs ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_interface_string_is_translated_and_none_is_stale(lang):
    code = extracted()
    assert len(code) > 500, f"extraction found only {len(code)} messages; is babel.cfg reading the pages?"
    problems = catalog_problems(code, load_catalog(lang))
    assert problems == [], f"{len(problems)} catalog problems (README, 'Languages', says how to update):\n" + "\n".join(
        problems
    )


def test_the_catalog_check_finds_missing_stale_fuzzy_and_broken_placeholders():
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Rerank", "重排序")
    catalog.add("Old label", "旧标签")
    catalog.add("Scoring {n} titles", "正在打分", flags=["fuzzy"])
    catalog.add(("{n} query", "{n} queries"), ("{count} 个查询",))
    code = {
        "Rerank": "Rerank",
        "Scoring {n} titles": "Scoring {n} titles",
        "{n} query": ("{n} query", "{n} queries"),
        "Load model": "Load model",
    }
    assert sorted(catalog_problems(code, catalog)) == sorted(
        [
            "untranslated (not in the catalog): 'Load model'",
            "fuzzy (needs review): 'Scoring {n} titles'",
            "placeholders [] instead of ['n!:']: 'Scoring {n} titles'",
            "placeholders ['count!:'] instead of ['n!:']: '{n} query'",
            "stale (no longer in the code): 'Old label'",
        ]
    )


def test_the_glossary_terms_are_used_consistently():
    glossary = read_tsv(GLOSSARY_DIR / "glossary.tsv")
    assert {"query", "rerank", "candidate", "relevant", "recall", "segment"} <= {g["english"] for g in glossary}
    exceptions = read_tsv(GLOSSARY_DIR / "glossary-exceptions.tsv")
    violations = glossary_violations(load_catalog("zh"), glossary, exceptions)
    assert violations == [], "\n".join(violations)


def test_the_glossary_check_flags_a_term_left_out_unless_excused():
    glossary = [{"english": "query", "pattern": r"\bquer(y|ies)\b", "chinese": "查询"}]
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Query text", "搜索词")
    catalog.add("The {query} box", "输入框")  # a placeholder is not the word
    catalog.add("See queries.jsonl", "见文件")  # nor is a file name
    catalog.add("query: the protocol", "协议")
    assert glossary_violations(catalog, glossary, []) == [
        "query → 查询: 'Query text' is translated '搜索词'",
        "query → 查询: 'query: the protocol' is translated '协议'",
    ]
    excused = [{"english": "query", "msgid_start": "query: the"}]
    assert glossary_violations(catalog, glossary, excused) == ["query → 查询: 'Query text' is translated '搜索词'"]


def test_every_exception_names_a_message_of_the_catalog():
    msgids = [m.id[0] if isinstance(m.id, tuple) else m.id for m in load_catalog("zh") if m.id]
    for exception in read_tsv(GLOSSARY_DIR / "glossary-exceptions.tsv"):
        assert any(m.startswith(exception["msgid_start"]) for m in msgids), exception


def test_the_library_notes_the_pages_translate_are_the_librarys_own():
    # the message ids are copies of the library's notes (extraction reads lychee/ui only): a changed note shows up here
    assert TRANSLATED_NOTES and all(note == msgid for note, msgid in TRANSLATED_NOTES.items())
    assert TRANSLATED_NOTES.keys() == {BM25Scorer.load().info.notes[0], ENGLISH_ONLY_NOTE}
    with language_scope("zh"):
        assert model_note(BM25_NOTE).startswith("BM25 是词法排序，不是模型")
        # a note the catalog does not carry stays English, under a translated heading
        assert model_note("Served by vLLM 0.11.") == "**关于该模型：**\n\nServed by vLLM 0.11."
    assert model_note(BM25_NOTE) == BM25_NOTE


# --- picking and formatting -------------------------------------------------------------------------------------------
def test_translations_follow_the_language_in_scope():
    assert _("Rerank") == "Rerank"
    with language_scope("zh"):
        assert _("Rerank") == "重排序"
        assert _("Evaluation") == "评测"
        assert i18n.band_name("strong") == "强"
        assert i18n.grade_meaning(0) == "不相关"
        with language_scope("en"):
            assert _("Rerank") == "Rerank"
        assert _("Rerank") == "重排序"
    assert _("Rerank") == "Rerank"
    assert _("a message no catalog has") == "a message no catalog has"


def test_plurals_and_numbers_per_language():
    assert ngettext("{n} query", "{n} queries", 1).format(n=1) == "1 query"
    assert ngettext("{n} query", "{n} queries", 3).format(n=3) == "3 queries"
    assert format_number(12345.678, 2) == "12,345.68"
    assert format_percent(0.256, 1) == "25.6%"
    with language_scope("zh"):
        assert ngettext("{n} query", "{n} queries", 1).format(n=1) == "1 个查询"
        assert ngettext("{n} query", "{n} queries", 3).format(n=3) == "3 个查询"
        assert i18n.locale().plural_form(3) == "other"
        assert format_number(1234567, 0) == "1,234,567"
        assert format_percent(0.5) == "50%"


@pytest.mark.parametrize(
    ("tag", "lang"),
    [("zh-CN", "zh"), ("zh_TW", "zh"), ("zh-Hans", "zh"), ("en-US", "en"), ("EN", "en"), ("fr-FR", None), ("", None)],
)
def test_browser_locales_map_to_dashboard_languages(tag, lang):
    assert i18n.normalize(tag) == lang


def test_lychee_lang_sets_the_servers_default(monkeypatch, caplog):
    monkeypatch.delenv("LYCHEE_LANG", raising=False)
    assert i18n.server_language() == "en"
    monkeypatch.setenv("LYCHEE_LANG", "zh")
    assert i18n.server_language() == "zh" and i18n.language() == "zh"
    assert _("Rerank") == "重排序"  # no session has chosen: the server's default
    monkeypatch.setenv("LYCHEE_LANG", "zh_CN.UTF-8")
    assert i18n.server_language() == "zh"
    monkeypatch.setenv("LYCHEE_LANG", "klingon")
    assert i18n.server_language() == "en"
    assert "LYCHEE_LANG='klingon' is not a dashboard language" in caplog.text


def test_an_unknown_language_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=re.escape("language must be one of ['en', 'zh'], got 'fr'.")):
        i18n.use_language("fr")
    with pytest.raises(ValueError, match="got 'fr'"):
        with language_scope("fr"):
            pass


def test_catalogs_compile_from_po_without_fuzzy_entries(tmp_path, monkeypatch):
    po = tmp_path / "zh" / "LC_MESSAGES" / "lychee.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Rerank"\nmsgstr "重排序"\n\n#, fuzzy\nmsgid "Evaluation"\nmsgstr "评估"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "CATALOG_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        with language_scope("zh"):
            assert _("Rerank") == "重排序"
            assert _("Evaluation") == "Evaluation"  # fuzzy: shown in English until a translator confirms it
    finally:
        i18n.translations.cache_clear()
