"""The dashboard's languages: gettext catalogs (Babel) for English and Simplified Chinese, bound per session.

Every piece of interface text goes through :func:`_` (or :func:`ngettext` when it counts something), and numbers the
pages print go through :func:`format_number` / :func:`format_percent`. The catalog of a language is
``lychee/ui/locales/<lang>/LC_MESSAGES/lychee.po``; it is compiled in memory with Babel the first time a session uses
the language (no ``.mo`` in the repository, so no stale binaries). English is the source language: its "catalog" is
the message ids themselves. README, "Languages", says how to extract, translate and check.

Which language a call uses is this module's :class:`~contextvars.ContextVar`, set at the start of every script run by
:mod:`lychee.ui.shell.language` (browser locale, ``LYCHEE_LANG``, the sidebar switch); code outside a run (tests,
module constants) uses :func:`language_scope` or the server's default. Module-level constants are marked with
:func:`N_` and translated where they are shown. Pure: no streamlit, so the pages' logic modules use it too.

Library, CLI and HTTP API messages stay English (they are developer conventions); a page shows such a message under
a translated heading.
"""

from __future__ import annotations

import gettext
import io
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_format_percent
from babel.support import Translations

logger = logging.getLogger(__name__)

#: The languages the dashboard speaks: code -> its own name (what the sidebar switch shows).
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
#: The source language: message ids are English.
SOURCE_LANGUAGE = "en"
#: The Babel locale used for numbers and plurals of each language.
LOCALES: dict[str, str] = {"en": "en_US", "zh": "zh_Hans_CN"}
DOMAIN = "lychee"
CATALOG_DIR = Path(__file__).parent / "locales"
#: The environment variable that sets the server's default language.
ENV_VAR = "LYCHEE_LANG"

_language: ContextVar[str | None] = ContextVar("lychee_ui_language", default=None)
_fallback: Callable[[], str | None] | None = None


def normalize(locale: str | None) -> str | None:
    """The dashboard language of a locale tag, or ``None`` when it speaks none of :data:`LANGUAGES`.

    Example:
        >>> normalize("zh-CN"), normalize("zh_Hans_TW"), normalize("en-US"), normalize("fr-FR"), normalize(None)
        ('zh', 'zh', 'en', None, None)
    """
    if not locale or not isinstance(locale, str):
        return None
    code = locale.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def server_language() -> str:
    """The server's default language: ``LYCHEE_LANG`` (``zh`` or ``en``; a locale like ``zh_CN.UTF-8`` works too),
    else English. A value naming no language of the dashboard is logged and ignored."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return SOURCE_LANGUAGE
    lang = normalize(raw.split(".")[0])
    if lang is None:
        logger.warning(
            "%s=%r is not a dashboard language; expected one of %s. Using English.", ENV_VAR, raw, ", ".join(LANGUAGES)
        )
        return SOURCE_LANGUAGE
    return lang


def set_fallback(resolve: Callable[[], str | None]) -> None:
    """Where :func:`language` looks when no run has set the language in this context (a widget callback runs before
    the script sets it): the Streamlit layer passes a function that reads the session's choice."""
    global _fallback
    _fallback = resolve


def language() -> str:
    """The language of the current session (its script run), else the server's default."""
    lang = _language.get()
    if lang is None and _fallback is not None:
        lang = _fallback()
    return lang if lang in LANGUAGES else server_language()


def _checked(lang: str) -> str:
    """``lang`` when it is one of :data:`LANGUAGES`.

    Raises:
        ValueError: naming the languages there are.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {sorted(LANGUAGES)}, got {lang!r}.")
    return lang


def use_language(lang: str) -> None:
    """Make ``lang`` the language of everything that follows in this context (a script run).

    Raises:
        ValueError: ``lang`` is not one of :data:`LANGUAGES`.
    """
    _language.set(_checked(lang))


@contextmanager
def language_scope(lang: str) -> Iterator[None]:
    """Use ``lang`` inside the ``with`` block, then the previous language again.

    Example:
        >>> with language_scope("zh"):
        ...     _("Rerank")
        '重排序'
    """
    token = _language.set(_checked(lang))
    try:
        yield
    finally:
        _language.reset(token)


def catalog_path(lang: str) -> Path:
    """The ``.po`` catalog of ``lang``."""
    return CATALOG_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (compiled once per process from its ``.po``; fuzzy entries are left out, so
    they show in English until a translator confirms them). English, and a missing catalog, translate nothing."""
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    path = catalog_path(lang)
    if not path.is_file():
        logger.warning("no catalog for language %r at %s; showing English", lang, path)
        return gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=LOCALES[lang], domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def _(message: str) -> str:
    """``message`` (English) in the session's language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` that fits ``n`` in the session's language (one form in Chinese), not yet
    formatted: call ``.format(n=...)`` on it.

    Example:
        >>> ngettext("{n} title", "{n} titles", 3).format(n=3)
        '3 titles'
    """
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (a module constant, translated where it is shown)."""
    return message


#: The words every page shares, translated where shown: bands, the two sides of a pair, what a model reads.
BAND_NAMES = {"strong": N_("strong"), "medium": N_("medium"), "weak": N_("weak")}
SIDE_NAMES = {"query": N_("query"), "document": N_("document")}
MODALITY_NAMES = {"text": N_("text"), "image": N_("image"), "video": N_("video")}
#: The 0-3 relevance grades (eval.history.labelling.GRADE_MEANING, which the set files and the CLI keep in English).
GRADE_NAMES = {0: N_("not relevant"), 1: N_("marginal"), 2: N_("relevant"), 3: N_("exactly what was asked")}


def grade_meaning(grade: int) -> str:
    """What relevance grade ``grade`` (0-3) means, in the session's language."""
    return _(GRADE_NAMES[grade]) if grade in GRADE_NAMES else str(grade)


def band_name(band: str) -> str:
    """A band (``"strong"``/``"medium"``/``"weak"``) as the session's language says it."""
    return _(BAND_NAMES[band]) if band in BAND_NAMES else band


def side_name(side: str) -> str:
    """``"query"`` / ``"document"`` in the session's language."""
    return _(SIDE_NAMES[side]) if side in SIDE_NAMES else side


def modalities_name(modalities: str) -> str:
    """A model's ``capabilities.modalities`` (``"text+image"``) in the session's language."""
    return "+".join(_(MODALITY_NAMES[m]) if m in MODALITY_NAMES else m for m in modalities.split("+"))


def locale() -> Locale:
    """The Babel locale of the session's language (numbers, plural rules)."""
    return Locale.parse(LOCALES[language()])


def format_number(value: float | int, digits: int | None = None) -> str:
    """``value`` with the session locale's separators; ``digits`` fixes the decimals (else as many as it has).

    Example:
        >>> format_number(12345.678, 2), format_number(3)
        ('12,345.68', '3')
    """
    if digits is None:
        return format_decimal(value, locale=LOCALES[language()])
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALES[language()])


def format_percent(value: float, digits: int = 0) -> str:
    """``value`` (a share, 0.25) as a percentage in the session's locale: ``"25%"``."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    return babel_format_percent(value, format=pattern, locale=LOCALES[language()])


__all__ = [
    "CATALOG_DIR",
    "DOMAIN",
    "ENV_VAR",
    "LANGUAGES",
    "LOCALES",
    "SOURCE_LANGUAGE",
    "BAND_NAMES",
    "GRADE_NAMES",
    "MODALITY_NAMES",
    "N_",
    "SIDE_NAMES",
    "_",
    "band_name",
    "catalog_path",
    "format_number",
    "format_percent",
    "grade_meaning",
    "language",
    "language_scope",
    "locale",
    "modalities_name",
    "ngettext",
    "normalize",
    "server_language",
    "set_fallback",
    "side_name",
    "translations",
    "use_language",
]
