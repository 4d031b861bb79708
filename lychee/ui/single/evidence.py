"""How far to trust a highlight, and where the score comes from, without Streamlit: the deletion curve's chart and
sentence, and the modality shares' bar and sentence (Single pair; the contrast of Batch rerank reuses the curve).

:mod:`lychee.ui.single.view` draws them; everything here is plain data in, data out, so tests call it directly.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from lychee.explanation import Faithfulness, ModalityShares
from lychee.results import sigmoid
from lychee.ui.i18n import N_, _, format_percent

#: How each part of a pair is named on the page.
PART_LABELS = {
    "query_text": N_("query text"),
    "query_image": N_("query image"),
    "query_video": N_("query clip"),
    "document_text": N_("document text"),
    "document_image": N_("document image"),
    "document_video": N_("document clip"),
}
#: One colour per part, the same on every chart (query parts blue-ish, document parts green/orange).
PART_COLORS = {
    "query_text": "#1f77b4",
    "query_image": "#6baed6",
    "query_video": "#9ecae1",
    "document_text": "#2ca02c",
    "document_image": "#ff7f0e",
    "document_video": "#fdae6b",
}
#: The order of the deletion curve's two lines.
CURVE_ORDERS = (N_("most highlighted first"), N_("random order"))
#: The bin whose k the sentence talks about: 20% of the units (the fourth bin).
SENTENCE_BIN = 3
FAITHFULNESS_COLUMNS = ["units_removed", "share_removed", "order", "log_odds", "p_yes"]


def curve_frame(f: Faithfulness) -> pd.DataFrame:
    """The deletion curve as rows ``units_removed, share_removed, order, log_odds, p_yes`` (``k = 0`` is the full
    input; bins that share a k are drawn once)."""
    rows = []
    for order, values in ((_(CURVE_ORDERS[0]), f.removed), (_(CURVE_ORDERS[1]), f.random_removed)):
        seen = {0: f.base}
        for k, value in zip(f.ks, values):
            seen.setdefault(k, value)
        for k, value in sorted(seen.items()):
            rows.append(
                {
                    "units_removed": k,
                    "share_removed": k / f.n_units,
                    "order": order,
                    "log_odds": value,
                    "p_yes": sigmoid(value),
                }
            )
    return pd.DataFrame(rows, columns=FAITHFULNESS_COLUMNS)


def curve_chart(f: Faithfulness, *, gap: bool = False) -> alt.Chart:
    """Lines of the score as the top k units are removed, the explanation's order against the random one: P(yes)
    for a pair, the log-odds gap for a contrast."""
    data = curve_frame(f)
    y_field, y_title = ("log_odds", _("gap lo(A) − lo(B)")) if gap else ("p_yes", _("P(yes)"))
    scale = alt.Scale() if gap else alt.Scale(domain=[0, 1])
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X("units_removed:Q", title=_("units removed"), axis=alt.Axis(tickMinStep=1)),
            y=alt.Y(f"{y_field}:Q", title=y_title, scale=scale),
            color=alt.Color(
                "order:N",
                scale=alt.Scale(domain=[_(o) for o in CURVE_ORDERS], range=["#c62828", "#757575"]),
                legend=alt.Legend(title=None, orient="bottom"),
            ),
            strokeDash=alt.StrokeDash(
                "order:N", scale=alt.Scale(domain=[_(o) for o in CURVE_ORDERS], range=[[1, 0], [4, 4]])
            ),
            tooltip=[
                alt.Tooltip("order:N", title=_("Order")),
                alt.Tooltip("units_removed:Q", title=_("Units removed")),
                alt.Tooltip(f"{y_field}:Q", title=y_title, format=".3f"),
            ],
        )
        .properties(height=220)
    )


def faithfulness_sentence(f: Faithfulness) -> str:
    """The curve in words at the 20% bin, e.g. "Removing the 3 most highlighted words drops P(yes) from 0.94 to 0.31;
    removing 3 random words: to 0.88 (mean of 5 random orders)."."""
    k = f.ks[SENTENCE_BIN]
    before, top, rand = sigmoid(f.base), sigmoid(f.removed[SENTENCE_BIN]), sigmoid(f.random_removed[SENTENCE_BIN])
    if k == 1:
        return _(
            "Removing the most highlighted word drops P(yes) from {before:.2f} to {top:.2f}; removing 1 "
            "random word: to {rand:.2f} (mean of 5 random orders)."
        ).format(before=before, top=top, rand=rand)
    return _(
        "Removing the {k} most highlighted words drops P(yes) from {before:.2f} to {top:.2f}; removing "
        "{k} random words: to {rand:.2f} (mean of 5 random orders)."
    ).format(k=k, before=before, top=top, rand=rand)


def gap_sentence(f: Faithfulness) -> str:
    """The contrast's curve in words at the 20% bin: how much of the gap the top units carry."""
    k = f.ks[SENTENCE_BIN]
    return _(
        "Removing the {k} units that favour A most moves the gap from {base:+.2f} to {removed:+.2f}; "
        "removing {k} random units: to {random_removed:+.2f} (mean of 5 random orders)."
    ).format(k=k, base=f.base, removed=f.removed[SENTENCE_BIN], random_removed=f.random_removed[SENTENCE_BIN])


def faithfulness_verdict(f: Faithfulness) -> str:
    """Whether the highlights beat the random floor, in one line."""
    if f.comprehensiveness > f.random_comprehensiveness and f.sufficiency < f.random_sufficiency:
        return _(
            "The highlights beat a random order on both measures: removing them costs more, keeping them keeps more."
        )
    if f.comprehensiveness > f.random_comprehensiveness:
        return _(
            "Removing the highlighted units costs more than removing random ones, but keeping only them keeps less."
        )
    return _("The highlights do no better than a random order here: read them with care.")


def shares_frame(shares: ModalityShares) -> pd.DataFrame:
    """One row per part: ``part, label, share, log_odds`` (largest share first)."""
    rows = [
        {"part": part, "label": _(PART_LABELS[part]), "share": share, "log_odds": value}
        for (part, share), value in zip(shares.shares().items(), shares.values)
    ]
    frame = pd.DataFrame(rows, columns=["part", "label", "share", "log_odds"])
    return frame.reindex(frame["share"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def shares_sentence(shares: ModalityShares) -> str:
    """E.g. "72% document image, 20% query text, 8% document text (of the log-odds above an empty pair)"."""
    frame = shares_frame(shares)
    parts = _(", ").join(f"{format_percent(row.share)} {row.label}" for row in frame.itertuples())
    return _(
        "{parts} — each part's exact Shapley value on the log-odds ({full_log_odds:+.2f} for the pair, "
        "{empty_log_odds:+.2f} with every part removed)."
    ).format(parts=parts, full_log_odds=shares.full_log_odds, empty_log_odds=shares.empty_log_odds)


def shares_note(shares: ModalityShares) -> str | None:
    """A note when the shares are negative overall: the model scores the empty pair above the pair itself."""
    if shares.empty_log_odds <= shares.full_log_odds:
        return None
    return _(
        "With every part removed this model scores higher than the pair itself ({empty_log_odds:+.2f} vs "
        "{full_log_odds:+.2f} log-odds), so the shares are negative: each part lowers the score from "
        "what the model gives an empty pair (a bi-encoder, for one, finds two empty texts identical)."
    ).format(empty_log_odds=shares.empty_log_odds, full_log_odds=shares.full_log_odds)


def shares_chart(shares: ModalityShares) -> alt.Chart:
    """One horizontal bar per part, its signed share of the log-odds, coloured by part."""
    data = shares_frame(shares)
    parts = list(data["part"])
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title=_("share of the log-odds"), axis=alt.Axis(format="%")),
            y=alt.Y("label:N", sort=list(data["label"]), title=None),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=parts, range=[PART_COLORS[p] for p in parts]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_("Part")),
                alt.Tooltip("share:Q", title=_("Share"), format=".1%"),
                alt.Tooltip("log_odds:Q", title=_("Shapley value (log-odds)"), format="+.3f"),
            ],
        )
        .properties(height=alt.Step(26))
    )


def faithfulness_json(f: Faithfulness | None) -> dict | None:
    """The curve and its numbers for the JSON download."""
    if f is None:
        return None
    return {
        "side": f.side,
        "n_units": f.n_units,
        "bins": list(f.bins),
        "ks": list(f.ks),
        "base_log_odds": f.base,
        "removed_log_odds": list(f.removed),
        "kept_log_odds": list(f.kept),
        "random_removed_log_odds": list(f.random_removed),
        "random_kept_log_odds": list(f.random_kept),
        "comprehensiveness": f.comprehensiveness,
        "sufficiency": f.sufficiency,
        "random_comprehensiveness": f.random_comprehensiveness,
        "random_sufficiency": f.random_sufficiency,
        "top_units": list(f.top_units),
        "seed": f.seed,
        "n_evaluations": f.n_evaluations,
    }


def shares_json(shares: ModalityShares | None) -> dict | None:
    """The modality shares for the JSON download."""
    if shares is None:
        return None
    return {
        "parts": {p: {"share": s, "log_odds": v} for (p, s), v in zip(shares.shares().items(), shares.values)},
        "full_log_odds": shares.full_log_odds,
        "empty_log_odds": shares.empty_log_odds,
        "n_evaluations": shares.n_evaluations,
    }


__all__ = [
    "CURVE_ORDERS",
    "PART_COLORS",
    "PART_LABELS",
    "curve_chart",
    "curve_frame",
    "faithfulness_json",
    "faithfulness_sentence",
    "faithfulness_verdict",
    "gap_sentence",
    "shares_chart",
    "shares_frame",
    "shares_json",
    "shares_note",
    "shares_sentence",
]
