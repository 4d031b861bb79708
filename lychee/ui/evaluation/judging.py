"""The Evaluation page's judging sections without Streamlit: "Could this model pre-grade?" (the model's bands and
fitted grades against the people's, per segment) and "Judge the holes" (the unjudged documents of the systems' top k
as a queue to grade). :mod:`lychee.ui.evaluation.judging_view` draws them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from eval.engine.evaluate import EvalResult
from eval.history.labelling import set_path
from eval.judgments.pregrade import BUCKETS, JudgeCheck, check_by_segment
from lychee.ui.i18n import _, band_name

BAND_COLUMNS = ("weak", "medium", "strong")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def model_scores(result: EvalResult, system: str = "model") -> dict[tuple[str, str], float]:
    """``(qid, docid) -> P(yes)`` of one model system of the evaluation."""
    return {(row["qid"], row["docid"]): row["score"] for row in result.pairs if row["system"] == system}


def pregrade(
    result: EvalResult, system: str, *, medium: float, strong: float
) -> tuple[JudgeCheck, dict[str, JudgeCheck]]:
    """The model ``system`` against the people: over the set and per segment (:mod:`eval.judgments.pregrade`)."""
    return check_by_segment(result.labelled, model_scores(result, system), medium=medium, strong=strong)


def confusion_frame(check: JudgeCheck, *, fitted: bool) -> pd.DataFrame:
    """A confusion matrix as a table: rows the people's grades (bucketed for the bands), columns the model's."""
    if fitted:
        matrix, rows = check.confusion_fitted, [_("people {g}").format(g=g) for g in range(4)]
        columns = [_("model {g}").format(g=g) for g in range(4)]
    else:
        matrix, rows, columns = (
            check.confusion_bands,
            [_("people {b}").format(b=b) for b in BUCKETS],
            [band_name(b) for b in BAND_COLUMNS],
        )
    return pd.DataFrame(matrix, index=pd.Index(rows, name=_("people \\ model")), columns=columns)


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def segment_frame(overall: JudgeCheck, segments: dict[str, JudgeCheck]) -> pd.DataFrame:
    """One row per segment (then "all"): candidates, κ of the bands and of the fitted grades, α without and with the
    model."""
    rows = [*segments.items(), (_("all"), overall)]
    return pd.DataFrame(
        {
            "segment": [name for name, _ in rows],
            "n": [c.n for _, c in rows],
            "kappa_bands": [_number(c.kappa_bands) for _, c in rows],
            "kappa_fitted": [_number(c.kappa_fitted) for _, c in rows],
            "alpha_people": [_number(c.alpha_people) for _, c in rows],
            "alpha_with_model": [_number(c.alpha_with_model) for _, c in rows],
        }
    )


def thresholds_caption(check: JudgeCheck) -> str:
    """The fitted cut points, as the page says them."""
    cuts = ", ".join("never" if t == float("inf") else f"{t:.3f}" for t in check.thresholds)
    return _(
        "Fitted cut points (grade 1, 2, 3 from P(yes) ≥): {cuts} — placed so the model gives as many of "
        "each grade as the people did, on these same titles (an optimistic estimate)."
    ).format(cuts=cuts)


def verdict(check: JudgeCheck) -> str:
    """One sentence on whether the model could pre-grade, from the fitted κ and the α with and without it."""
    kappa = check.kappa_fitted
    if kappa is None:
        return _("Not enough variety in the grades to tell (κ is undefined).")
    strength = "strong" if kappa >= 0.8 else "moderate" if kappa >= 0.6 else "weak" if kappa >= 0.4 else "poor"
    text = _("Agreement of the model's fitted grades with the people's: quadratic κ {kappa:.3f} ({strength}).").format(
        kappa=kappa, strength=strength
    )
    if check.alpha_people is not None and check.alpha_with_model is not None:
        text += _(
            " Krippendorff's α of the people: {alpha_people:.3f}; with the model as one more rater: "
            "{alpha_with_model:.3f}."
        ).format(alpha_people=check.alpha_people, alpha_with_model=check.alpha_with_model)
    return text


def holes_frame(result: EvalResult) -> pd.DataFrame | None:
    """Per query with holes: qid, query, how many unjudged documents its systems' top k hold, and their ids."""
    holes = result.report.holes
    if not holes:
        return None
    texts = {q.qid: q.text or "" for q in result.labelled.queries}
    return pd.DataFrame(
        {
            "qid": list(holes),
            "query": [texts.get(q, "") for q in holes],
            "unjudged": [len(d) for d in holes.values()],
            "documents": [", ".join(d) for d in holes.values()],
        }
    )


def queue_path(set_name: str) -> Path:
    """Where the holes of a set are queued for grading: ``<sets>/<set name>-holes.jsonl`` (name made safe)."""
    stem = Path(set_name.split(" (split")[0].rstrip("/\\")).stem or "set"
    stem = _UNSAFE.sub("-", stem).strip("-._")[:60] or "set"
    return set_path(f"{stem}-holes")


__all__ = [
    "confusion_frame",
    "holes_frame",
    "model_scores",
    "pregrade",
    "queue_path",
    "segment_frame",
    "thresholds_caption",
    "verdict",
]
