"""Shared helpers for the dashboard's AppTest tests."""

from __future__ import annotations

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


def errors(at: AppTest) -> list[str]:
    """The page's error messages as shown (escapes removed: messages quote user input, escaped)."""
    return [shown(e.value) for e in at.error]


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
    hidden widgets included, sidebar included) and every table's cells as CSV."""
    parts: list[str] = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if isinstance(node, (element_tree.Dataframe,)):
            parts.append(node.value.to_csv())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


__all__ = [
    "BATCH",
    "HOME",
    "JUDGE",
    "ROOT",
    "SINGLE",
    "errors",
    "exceptions",
    "html_blocks",
    "make_app",
    "page_text",
    "shown",
    "table_with",
]
