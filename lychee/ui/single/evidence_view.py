"""How far to trust the highlights, and where the score comes from, on the page: the deletion curve beside its
numbers and sentence, and the modality-shares bar (data and words from :mod:`lychee.ui.single.evidence`)."""

from __future__ import annotations

import streamlit as st

from lychee.explanation import Faithfulness, ModalityShares
from lychee.ui.i18n import _
from lychee.ui.single.evidence import (
    curve_chart,
    faithfulness_sentence,
    faithfulness_verdict,
    gap_sentence,
    shares_chart,
    shares_note,
    shares_sentence,
)


def faithfulness_section(f: Faithfulness | None, *, gap: bool = False, key: str = "single") -> None:
    """The deletion curve (top-k removed vs random) beside comprehensiveness, sufficiency and a plain sentence."""
    st.markdown(_("**How far to trust the highlights**"))
    if f is None:
        st.caption(_("No words to remove, so no deletion curve: the faithfulness check works on text."))
        return
    chart_col, numbers_col = st.columns([3, 2])
    with chart_col:
        st.altair_chart(curve_chart(f, gap=gap), width="stretch", key=f"{key}_curve")
    with numbers_col:
        m1, m2 = st.columns(2)
        m1.metric(
            _("Comprehensiveness"),
            f"{f.comprehensiveness:+.2f}",
            delta=_("{value:+.2f} vs random").format(value=f.comprehensiveness - f.random_comprehensiveness),
            help=_(
                "Mean log-odds lost when the top 1, 5, 10, 20 and 50% of the units are removed (higher = the "
                "highlighted units carry the score). The delta compares with removing random units."
            ),
        )
        m2.metric(
            _("Sufficiency"),
            f"{f.sufficiency:+.2f}",
            delta=_("{value:+.2f} vs random").format(value=f.sufficiency - f.random_sufficiency),
            delta_color="inverse",
            help=_(
                "Mean log-odds lost when ONLY the top 1, 5, 10, 20 and 50% of the units are kept (lower = the "
                "highlighted units alone keep the score). The delta compares with keeping random units."
            ),
        )
        st.caption(gap_sentence(f) if gap else faithfulness_sentence(f))
        st.caption(faithfulness_verdict(f))


def shares_section(shares: ModalityShares | None) -> None:
    """The bar of each part's share of the log-odds, with its sentence; nothing for a pair of one part."""
    if shares is None:
        return
    st.markdown(_("**Where the score comes from**"))
    st.altair_chart(shares_chart(shares), width="stretch", key="single_shares_chart")
    st.caption(shares_sentence(shares))
    note = shares_note(shares)
    if note:
        st.caption(note)


__all__ = ["faithfulness_section", "shares_section"]
