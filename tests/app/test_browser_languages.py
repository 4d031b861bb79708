"""The dashboard in a real Chromium with a Chinese and an English browser locale: the sidebar, the navigation and the
page's title are in the browser's language, and the sidebar's switch overrides it on every page of the session.

Uses Debian's /usr/bin/chromium through the playwright package (never ``playwright install``); Chinese needs a CJK font
(``./start.sh test`` installs Debian's fonts-noto-cjk). Skips when either is missing, unless LYCHEE_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import re

import browser
import pytest

pytestmark = pytest.mark.browser

CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def cjk_share(text: str) -> float:
    """The share of CJK characters among the letters of ``text`` (Han characters and Latin letters)."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return cjk / max(1, cjk + latin)


def test_the_cjk_share_tells_the_languages_apart():
    assert cjk_share("批量重排序 · 模型 · 指令") == 1.0
    assert cjk_share("Batch rerank · Model · Instruction") == 0.0
    assert 0.3 < cjk_share("模型 all-MiniLM-L6-v2 已加载") < 0.6


#: The interface text of an element: without its Material icons, whose ligature names ("format_list_numbered") are
#: text too, and without what is typed in its text boxes (the instruction: the user's data, not the interface's).
_INTERFACE_TEXT = """(element) => {
    const copy = element.cloneNode(true);
    const icons = '[data-testid="stIconMaterial"], span[role="img"][translate="no"]';
    copy.querySelectorAll(icons + ', textarea, input').forEach((node) => node.remove());
    return copy.textContent;
}"""


def _visible(page) -> dict[str, str]:
    """The interface text of the navigation, the sidebar and the page's title."""
    return {
        "nav": page.get_by_test_id("stSidebarNav").evaluate(_INTERFACE_TEXT),
        "sidebar": page.get_by_test_id("stSidebarUserContent").evaluate(_INTERFACE_TEXT),
        "title": page.locator("h1").first.evaluate(_INTERFACE_TEXT),
    }


def test_the_browser_locale_picks_the_language_and_the_switch_overrides_it():
    browser.require_browser()
    browser.require_cjk_font()
    artifacts = browser.ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with browser.serve(log_path=artifacts / "browser_languages_server.log", env={"LYCHEE_LANG": None}) as url:
        with browser.chromium(locale="zh-CN") as page:
            page.goto(f"{url}/Batch_rerank")
            page.get_by_role("button", name="重排序").wait_for()
            browser.wait_idle(page)
            shown = _visible(page)
            for part, text in shown.items():
                assert cjk_share(text) > 0.5, (part, text)
            assert "批量重排序" in shown["title"] and "首页" in shown["nav"], shown
            # A font covers it: the title's five characters are drawn with a CJK font, not as boxes.
            fonts = browser.drawn_fonts(page, "h1")
            assert any("CJK" in family and glyphs >= 5 for family, glyphs in fonts.items()), fonts

            # The switch: English for this session, on every page, over the browser's Chinese.
            switch = page.get_by_role("radiogroup", name="语言 / Language")
            assert switch.get_by_role("radio", name="中文").get_attribute("aria-checked") == "true"
            switch.get_by_role("radio", name="English").click()
            page.get_by_role("button", name="Rerank").wait_for()
            browser.wait_idle(page)
            assert cjk_share(_visible(page)["sidebar"]) < 0.1
            page.get_by_test_id("stSidebarNav").get_by_text("Evaluation").click()
            page.get_by_role("button", name="Run evaluation").wait_for()
            browser.wait_idle(page)
            shown = _visible(page)
            assert cjk_share(shown["sidebar"]) < 0.1 and cjk_share(shown["nav"]) == 0.0, shown
            assert page.get_by_test_id("stException").count() == 0

        with browser.chromium(locale="en-US") as page:
            page.goto(f"{url}/Batch_rerank")
            page.get_by_role("button", name="Rerank").wait_for()
            browser.wait_idle(page)
            shown = _visible(page)
            for part, text in shown.items():
                assert cjk_share(text) < 0.1, (part, text)
            assert "Batch rerank" in shown["title"] and "Home" in shown["nav"], shown
