"""One colour per system, for every chart and legend of the dashboard: model A is always blue, BM25 always purple.

The systems are an evaluation's (``model``, ``model_b``, ``input_order``, ``bm25``; ``input_order`` is called the
*first stage* when the set comes with a first-stage run) and the two runs of a comparison (A, B). None of them shares
a hue with the score bands (green / amber / red). Pure: no streamlit.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt

from lychee.ui.i18n import N_, _

#: Colour of each system key. ``first_stage`` is ``input_order`` when the set has a first-stage run.
SYSTEM_COLORS: dict[str, str] = {
    "model": "#1565c0",  # model A: blue
    "model_b": "#ef6c00",  # model B: orange
    "input_order": "#757575",  # the file's order: grey
    "first_stage": "#6d4c41",  # a first-stage retriever's order: brown
    "bm25": "#8e24aa",  # BM25: purple
}
#: What the charts and tables call each system.
SYSTEM_NAMES: dict[str, str] = {
    "model": N_("model (A)"),
    "model_b": N_("model (B)"),
    "input_order": N_("input order"),
    "first_stage": N_("first stage"),
    "bm25": "BM25",
}
#: A colour for a system this table does not know (never one of the above).
OTHER_COLOR = "#455a64"


def system_key(key: str, *, first_stage: bool = False) -> str:
    """The palette key of report system ``key``: ``input_order`` is ``first_stage`` when the set has one."""
    return "first_stage" if first_stage and key == "input_order" else key


def system_name(key: str, *, first_stage: bool = False) -> str:
    """A report's system key as the charts and tables name it (``model`` -> ``model (A)``)."""
    key = system_key(key, first_stage=first_stage)
    return _(SYSTEM_NAMES[key]) if key in SYSTEM_NAMES else key


def color_of(key: str) -> str:
    """The colour of palette key ``key`` (:data:`OTHER_COLOR` for an unknown one)."""
    return SYSTEM_COLORS.get(key, OTHER_COLOR)


def system_scale(keys: Sequence[str], *, first_stage: bool = False) -> alt.Scale:
    """An Altair colour scale over the names of ``keys`` (report system keys), each in its palette colour, so a
    chart's legend lists the systems in this order and every chart colours a system alike."""
    palette_keys = [system_key(k, first_stage=first_stage) for k in keys]
    return alt.Scale(domain=[system_name(k) for k in palette_keys], range=[color_of(k) for k in palette_keys])


__all__ = [
    "OTHER_COLOR",
    "SYSTEM_COLORS",
    "SYSTEM_NAMES",
    "color_of",
    "system_key",
    "system_name",
    "system_scale",
]
