"""Shared helpers for the dashboard's AppTest tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest, element_tree

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "streamlit_app.py"
SINGLE = ROOT / "pages" / "1_Single_pair.py"
BATCH = ROOT / "pages" / "2_Batch_rerank.py"
JUDGE = ROOT / "pages" / "5_Judge.py"


def make_app(script: Path, **state) -> AppTest:
    """An AppTest for ``script`` on the embedded default model, with extra session ``state`` set before the first run."""
    at = AppTest.from_file(str(script), default_timeout=90)
    at.session_state["model"] = "default"
    for key, value in state.items():
        at.session_state[key] = value
    return at


def shown(markdown: str) -> str:
    """What a reader sees of a markdown text that escapes user-written parts (``lychee.formatting.escape_markdown``):
    the backslash escapes removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


#: A library message on a page comes under a bold heading in the session's language (lychee.ui.shell.notices).
_HEADING = re.compile(r"\A\*\*(?P<heading>[^*\n]+)\*\*\n\n")


def errors(at: AppTest) -> list[str]:
    """The page's error messages as shown (escapes removed: messages quote user input, escaped), without the
    translated heading a library message comes under (:func:`error_headings` has those)."""
    return [_HEADING.sub("", shown(e.value), count=1) for e in at.error]


def error_headings(at: AppTest) -> list[str | None]:
    """The heading of each error message (what to do, in the session's language), ``None`` for one without."""
    found = [_HEADING.match(shown(e.value)) for e in at.error]
    return [m["heading"] if m else None for m in found]


def exceptions(at: AppTest) -> list[str]:
    return [e.message for e in at.exception]


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The one dataframe on the page that has ``column`` (e.g. the results among the CSV preview and others)."""
    tables = [df.value for df in at.dataframe if column in df.value.columns]
    assert len(tables) == 1, f"expected one table with a {column!r} column, got {len(tables)}"
    return tables[0]


def html_blocks(at: AppTest) -> list[str]:
    """The bodies of every st.markdown(..., unsafe_allow_html=True) element, sidebar included."""
    return [m.value for m in at.markdown if m.proto.allow_html]


def page_text(at: AppTest) -> str:
    """Everything the page sent, as text: every element's protobuf (labels, values, help texts, options, captions,
    hidden widgets included, sidebar included), every table's cells as CSV and its column labels and help texts (a
    JSON field of the protobuf, whose non-ASCII characters are ``\\u`` escapes: decoded here)."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if isinstance(node, (element_tree.Dataframe,)):
            parts.append(node.value.to_csv())
            if proto is not None and proto.columns:
                parts.append(json.dumps(json.loads(proto.columns), ensure_ascii=False))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def shown_texts(at: AppTest) -> list[str]:
    """The texts a reader sees on the page, one per piece: labels, bodies, help texts, placeholders and options of
    every element (sidebar included), the column labels and help texts of every table and the titles of every chart
    (axes, legends, tooltips)."""
    out: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            for field in ("label", "body", "help", "placeholder", "caption", "text"):
                value = getattr(proto, field, None)
                if isinstance(value, str) and value:
                    out.append(value)
            options = getattr(proto, "options", None)
            if options is not None and not isinstance(options, str):
                out.extend(o if isinstance(o, str) else str(getattr(o, "content", o)) for o in options)
            if isinstance(node, element_tree.Dataframe) and proto.columns:
                for config in json.loads(proto.columns).values():
                    out.extend(str(config[key]) for key in ("label", "help") if config.get(key))
            spec = getattr(proto, "spec", None)
            if isinstance(spec, str) and spec:
                out.extend(_chart_titles(json.loads(spec)))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def _chart_titles(spec: object) -> list[str]:
    """Every ``title`` of a Vega-Lite spec (chart, axes, legends, tooltips)."""
    if isinstance(spec, dict):
        found = [spec["title"]] if isinstance(spec.get("title"), str) else []
        return found + [t for value in spec.values() for t in _chart_titles(value)]
    if isinstance(spec, list):
        return [t for value in spec for t in _chart_titles(value)]
    return []


__all__ = [
    "BATCH",
    "HOME",
    "JUDGE",
    "ROOT",
    "SINGLE",
    "error_headings",
    "errors",
    "exceptions",
    "html_blocks",
    "make_app",
    "page_text",
    "shown",
    "shown_texts",
    "table_with",
]
