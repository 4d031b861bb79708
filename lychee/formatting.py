"""How numbers and long texts are written for people: byte sizes, parameter counts, one truncation rule, and
user-written text made safe to show inside Streamlit markdown.

A leaf module (it imports nothing of the project's), so the dashboard and the command lines write them alike.
"""

from __future__ import annotations

import re
from typing import Any

#: What stands in for a value that is not known.
UNKNOWN = "—"


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with ``…`` when something was cut.

    Example:
        >>> shorten("Given a web search query, retrieve relevant passages", 20)
        'Given a web search …'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Every ASCII punctuation character: CommonMark lets a backslash escape any of them, and between them they start every
# markdown construct Streamlit renders (emphasis, links, images, HTML, tables, math, :color[...] directives, autolinks).
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: str) -> str:
    r"""``text`` as literal characters inside Streamlit markdown (``st.markdown``, ``st.caption``, labels...): every
    ASCII punctuation character backslash-escaped and line breaks made spaces, so user-written text (an instruction,
    a model name, a set or run name) is shown as typed, never as a link, image, heading, colour or formatting.

    Example:
        >>> print(escape_markdown("see [here](http://x)"))
        see \[here\]\(http\:\/\/x\)
    """
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).splitlines()))


def markdown_code(text: str) -> str:
    """``text`` as an inline code span, whatever backticks it holds (the fence is longer than any run inside it)."""
    flat = " ".join(str(text).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {flat} {fence}" if longest else f"`{flat}`"


def format_bytes(n: int | None) -> str:
    """``1536`` -> ``'1.5 KiB'``; ``None`` -> ``'—'``."""
    if n is None:
        return UNKNOWN
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def format_count(n: Any) -> str:
    """Parameter counts: ``22713216`` -> ``'22.7 M'``, ``8.3e9`` -> ``'8.30 B'``; not a number -> ``'—'``."""
    if not isinstance(n, (int, float)) or isinstance(n, bool):
        return UNKNOWN
    if n >= 1e9:
        return f"{n / 1e9:.2f} B"
    if n >= 1e6:
        return f"{n / 1e6:.1f} M"
    if n >= 1e3:
        return f"{n / 1e3:.1f} K"
    return str(int(n))


def counted(n: int, one: str, many: str) -> str:
    """``one`` or ``many`` (each a whole phrase with ``{n}``, as gettext's ngettext takes them) filled in with ``n``.

    Example:
        >>> counted(1, "{n} query", "{n} queries"), counted(3, "{n} query", "{n} queries")
        ('1 query', '3 queries')
    """
    return (one if n == 1 else many).format(n=n)


def signed(value: float, digits: int = 4) -> str:
    """A difference with its sign, ``±`` when it rounds to zero at ``digits`` decimals (no direction to show).

    Example:
        >>> signed(0.01234), signed(-0.00001), signed(0.0)
        ('+0.0123', '±0.0000', '±0.0000')
    """
    if round(value, digits) == 0:
        return f"±{0:.{digits}f}"
    return f"{value:+.{digits}f}"


__all__ = [
    "UNKNOWN",
    "counted",
    "escape_markdown",
    "format_bytes",
    "format_count",
    "markdown_code",
    "shorten",
    "signed",
]
