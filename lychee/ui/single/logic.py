"""Single-pair analysis without Streamlit: the stored result, its tables, its downloads and the words shown with it.

:mod:`lychee.ui.single.view` scores and draws; everything here is plain data in, data out, so tests call it directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from PIL import Image

from lychee.explanation import Explanation, ImageSalience, ModalityShares, TokenWeight, VideoSalience
from lychee.formatting import escape_markdown, markdown_code, shorten
from lychee.ui.i18n import N_, _, side_name
from lychee.ui.shell.settings import Settings
from lychee.ui.single.evidence import faithfulness_json, shares_json

#: Session key of the last result (a non-widget key, so it survives reruns and page switches).
RESULT_KEY = "single_result"

EXAMPLE_QUERY = "red running shoes for women"
EXAMPLE_DOCUMENT = "Nike Women's Air Zoom Pegasus 40 road running shoes in crimson red, breathable mesh upper"

METHOD_LABELS = {
    "occlusion": N_("Occlusion"),
    "shapley": N_("Shapley (sampled)"),
    "gradient": N_("Gradient × input"),
    "ig": N_("Integrated gradients"),
}
#: What the colour legend says a weight is, per method (only occlusion's weights are measured changes).
LEGEND_LABELS = {
    "occlusion": N_("log-odds change when the unit is removed"),
    "shapley": N_("Shapley value in log-odds (the unit's average effect over sampled orders)"),
    "gradient": N_("gradient × input in log-odds units (a linear estimate, not a measured change)"),
    "ig": N_("integrated gradients in log-odds units (they add up to the change from the padding baseline)"),
}
TOKEN_COLUMNS = ["side", "position", "token", "start", "end", "weight"]
FRAME_COLUMNS = ["side", "frame", "time_s", "unit", "weight"]
#: The most characters of the instruction shown under the score (the JSON download has it all).
INSTRUCTION_CHARS = 138
#: The most characters of each text in the note over a result whose inputs changed.
STALE_TEXT_CHARS = 60


@dataclass(frozen=True)
class PairInputs:
    """What the page's inputs said when a pair was scored: both texts (blank = none) and each upload as
    ``(file name, size in bytes)``; two equal ``PairInputs`` describe the same pair."""

    query_text: str | None = None
    document_text: str | None = None
    query_image: tuple[str, int] | None = None
    document_image: tuple[str, int] | None = None
    query_video: tuple[str, int] | None = None
    document_video: tuple[str, int] | None = None

    @classmethod
    def of(cls, *, query_text: str | None, document_text: str | None, **uploads: tuple[str, int] | None) -> PairInputs:
        """Inputs as the page has them, blank texts counted as none (as scoring does)."""
        return cls(query_text=_text(query_text), document_text=_text(document_text), **uploads)

    def describe(self) -> str:
        """The pair in a few words, for the note over a result that belongs to other inputs."""
        parts = []
        for side, text, image, video in (
            ("query", self.query_text, self.query_image, self.query_video),
            ("document", self.document_text, self.document_image, self.document_video),
        ):
            what = [f"“{shorten(text, STALE_TEXT_CHARS)}”"] if text else []
            what += [_("image `{image}`").format(image=image[0])] if image else []
            what += [_("clip `{video}`").format(video=video[0])] if video else []
            parts.append(f"{side} {' + '.join(what) or '(empty)'}")
        return "; ".join(parts)


def _text(text: str | None) -> str | None:
    return text if text is not None and text.strip() else None


def upload_key(data: bytes | None, name: str | None) -> tuple[str, int] | None:
    """An upload as :class:`PairInputs` keeps it: ``(file name, size)``, ``None`` for no file."""
    return None if data is None else (name or "upload", len(data))


def stale_note(result: SingleResult, current: PairInputs) -> str | None:
    """A note for a stored result whose inputs are not those on the page now, else ``None``."""
    if result.inputs is None or result.inputs == current:
        return None
    return _(
        "This is the last result, for {describe}. The inputs above have changed since: click **Score and "
        "explain** to score them."
    ).format(describe=result.inputs.describe())


@dataclass
class SingleResult:
    """One scored and explained pair, as kept in session state."""

    explanation: Explanation
    model: str
    instruction: str | None  # as chosen (None = model default)
    seconds: float
    query_image: Image.Image | None = None
    document_image: Image.Image | None = None
    query_image_name: str | None = None
    document_image_name: str | None = None
    #: A warning when the texts are mostly in a language the model does not read well.
    language_note: str | None = None
    query_video_name: str | None = None
    document_video_name: str | None = None
    #: Why the band means nothing for this pair (:func:`lychee.ui.caveats.band_caveat`); it is greyed then.
    band_caveat: str | None = None
    #: The page's inputs this result was scored from (a different pair on the page marks it as the last result).
    inputs: PairInputs | None = None
    #: Where the score comes from (modality shares), when asked for and the pair has more than one part.
    shares: ModalityShares | None = None

    def outdated(self, settings: Settings) -> bool:
        """Whether the sidebar's model or instruction changed since this result was computed."""
        return self.model != settings.model or self.instruction != settings.instruction


def token_table(explanation: Explanation) -> pd.DataFrame:
    """One row per text unit: ``side, position, token, start, end, weight`` (weight in log-odds)."""
    rows = []
    for side, tokens in (("query", explanation.query_tokens), ("document", explanation.document_tokens)):
        for i, tok in enumerate(tokens, start=1):
            rows.append(
                {
                    "side": side,
                    "position": i,
                    "token": tok.text,
                    "start": tok.start,
                    "end": tok.end,
                    "weight": tok.weight,
                }
            )
    return pd.DataFrame(rows, columns=TOKEN_COLUMNS)


def frame_rows(side: str, salience: VideoSalience | None) -> list[dict[str, Any]]:
    """One row per sampled frame: ``side, frame, time_s, unit, weight`` (the weight of the unit covering it)."""
    if salience is None:
        return []
    unit_of = {k: u for u, frames in enumerate(salience.units) for k in frames}
    weights = salience.frame_weights()
    return [
        {"side": side, "frame": k + 1, "time_s": t, "unit": unit_of.get(k, -1) + 1, "weight": weights[k]}
        for k, t in enumerate(salience.timestamps)
    ]


def frame_table(explanation: Explanation) -> pd.DataFrame:
    """Every sampled frame of both clips with its weight (log-odds), for the table and the CSV download."""
    rows = frame_rows("query", explanation.query_video) + frame_rows("document", explanation.document_video)
    return pd.DataFrame(rows, columns=FRAME_COLUMNS)


def _grid_dict(grid: ImageSalience | None) -> dict[str, Any] | None:
    """An image's cell weights as JSON-ready data."""
    if grid is None:
        return None
    return {"rows": grid.rows, "cols": grid.cols, "size": list(grid.size), "weights": grid.weights.tolist()}


def explanation_json(result: SingleResult) -> bytes:
    """The whole explanation as JSON: score, log-odds, instruction, model, token weights, image grids and frame
    weights."""
    e = result.explanation
    doc = {
        "model": result.model,
        "instruction": e.instruction,
        "score": e.score,
        "log_odds": e.log_odds,
        "method": e.method,
        "grouped": e.grouped,
        "n_evaluations": e.n_evaluations,
        "n_samples": e.n_samples,
        "steps": e.steps,
        "convergence_delta": e.convergence_delta,
        "seed": e.seed,
        "faithfulness": faithfulness_json(e.faithfulness),
        "modality_shares": shares_json(result.shares),
        "query": {
            "text": e.query_text,
            "image": result.query_image_name,
            "tokens": [vars(t) for t in e.query_tokens],
            "image_grid": _grid_dict(e.query_image),
            "video": result.query_video_name,
            "frames": frame_rows("query", e.query_video),
        },
        "document": {
            "text": e.document_text,
            "image": result.document_image_name,
            "tokens": [vars(t) for t in e.document_tokens],
            "image_grid": _grid_dict(e.document_image),
            "video": result.document_video_name,
            "frames": frame_rows("document", e.document_video),
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def explanation_csv(explanation: Explanation) -> bytes:
    """The token weights as CSV (``side, position, token, start, end, weight``)."""
    return token_table(explanation).to_csv(index=False).encode("utf-8")


def frame_weights_csv(explanation: Explanation) -> bytes:
    """The frame weights of both clips as CSV (``side, frame, time_s, unit, weight``)."""
    return frame_table(explanation).to_csv(index=False).encode("utf-8")


def progress_label(method: str) -> str:
    """What the progress bar says while ``method`` explains the pair."""
    labels = {
        "occlusion": _("Scoring the pair and its occlusion variants"),
        "shapley": _("Scoring the sampled coalitions (Shapley)"),
        "gradient": _("Explaining (gradient × input)"),
        "ig": _("Explaining (integrated gradients)"),
    }
    return labels.get(method, labels["occlusion"])


def salience_name(explanation: Explanation) -> str:
    """The salience method as the page names it."""
    return method_label(explanation.method)


def method_label(method: str) -> str:
    """A salience method (``"occlusion"``...) as the pickers and captions name it, in the session's language."""
    return _(METHOD_LABELS[method]) if method in METHOD_LABELS else method


def legend_label(explanation: Explanation) -> str:
    """What a weight is under the colour legend, for this explanation's method."""
    return _(LEGEND_LABELS.get(explanation.method, LEGEND_LABELS["occlusion"]))


def salience_how(explanation: Explanation) -> str:
    """How the weights were computed, in words (the metric's help and the caption under the score)."""
    e = explanation
    if e.method == "occlusion":
        return _(
            "each word removed / each image cell or clip frame greyed: {n_evaluations} scored variants in one batch"
        ).format(n_evaluations=e.n_evaluations)
    if e.method == "shapley":
        return _(
            "Shapley value sampling (Captum), {n_samples} permutations, seed {seed}: {n_evaluations} scored "
            "coalitions in one batch"
        ).format(n_samples=e.n_samples, seed=e.seed, n_evaluations=e.n_evaluations)
    if e.method == "ig":
        return _(
            "integrated gradients (Captum) on the input embeddings, {steps} steps: convergence delta "
            "{convergence_delta:+.4f}"
        ).format(steps=e.steps, convergence_delta=e.convergence_delta)
    return _("gradient × input on the input embeddings: one forward and one backward pass")


def result_caption(result: SingleResult) -> str:
    """The line under the score: model, instruction (shortened), how the weights were computed, the time taken."""
    e = result.explanation
    instruction = escape_markdown(shorten(e.instruction, INSTRUCTION_CHARS))
    return _("Model {model} · instruction: “{instruction}” · {how} · {seconds:.1f} s").format(
        model=markdown_code(result.model), instruction=instruction, how=salience_how(e), seconds=result.seconds
    )


def biggest_effects(explanation: Explanation, n: int = 3) -> list[tuple[str, TokenWeight]]:
    """The ``n`` words or spans of either text whose weight is largest in size, largest first, each with its side
    (``"query"`` or ``"document"``)."""
    sided = [("query", t) for t in explanation.query_tokens] + [("document", t) for t in explanation.document_tokens]
    return sorted(sided, key=lambda st: -abs(st[1].weight))[:n]


def biggest_effects_line(explanation: Explanation, n: int = 3) -> str | None:
    """The caption under the highlights, naming each word's side: "Biggest effects: query “boots” +1.60, document
    “waterproof” +0.97" (the words escaped for markdown); ``None`` when there are no words."""
    effects = biggest_effects(explanation, n)
    if not effects:
        return None
    listed = ", ".join(f"{side_name(side)} “{escape_markdown(t.text)}” {t.weight:+.2f}" for side, t in effects)
    return _("Biggest effects: {listed}").format(listed=listed)


def tab_names(explanation: Explanation) -> list[str]:
    """The result's tabs: text highlights, image heatmaps and clip frames when there are any, the weights table
    (English names: the view translates them for the labels)."""
    has_images = explanation.query_image is not None or explanation.document_image is not None
    has_clips = explanation.query_video is not None or explanation.document_video is not None
    return [
        N_("Text highlights"),
        *([N_("Image heatmaps")] if has_images else []),
        *([N_("Clip frames")] if has_clips else []),
        N_("Weights table & download"),
    ]


__all__ = [
    "EXAMPLE_DOCUMENT",
    "PairInputs",
    "EXAMPLE_QUERY",
    "FRAME_COLUMNS",
    "LEGEND_LABELS",
    "METHOD_LABELS",
    "RESULT_KEY",
    "SingleResult",
    "biggest_effects",
    "biggest_effects_line",
    "explanation_csv",
    "explanation_json",
    "frame_rows",
    "frame_table",
    "frame_weights_csv",
    "legend_label",
    "method_label",
    "progress_label",
    "result_caption",
    "salience_how",
    "salience_name",
    "stale_note",
    "tab_names",
    "token_table",
    "upload_key",
]
