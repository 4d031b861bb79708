"""Could this model pre-grade? The model checked as a judge against the people's grades of a set.

Two mappings of the model's score to a grade, each compared with the people's label of every judged candidate:

* **bands** — the model's band (weak / medium / strong at the thresholds → 0 / 1 / 2) against the grades bucketed
  0 / 1–2 / 3 (→ 0 / 1 / 2);
* **fitted thresholds** — three cut points on the score placed so that the model gives as many 0s, 1s, 2s and 3s as
  the people did (the candidates sorted by score, cut at the people's cumulative grade counts; fitted on the same
  candidates it is checked on, so an optimistic estimate) → grades 0–3 against the people's labels.

Each gets Cohen's κ with quadratic weights and its confusion matrix (rows: people, columns: model); and
Krippendorff's α (ordinal) of the people alone beside α with the model's fitted grade as one more rater — if adding
the model lowers α little, it grades about as consistently as another person would. All of it per segment too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eval.measures.agreement import cohen_kappa_quadratic, confusion_matrix, krippendorff_alpha_ordinal
from eval.sets.labelled import LabelledQuery, LabelledSet
from eval.sets.segments import segment_groups

BAND_GRADES = {"weak": 0, "medium": 1, "strong": 2}
BUCKETS = ("0", "1-2", "3")
GRADES = (0, 1, 2, 3)


def bucket(grade: int) -> int:
    """A grade bucketed like the bands: 0 → 0, 1–2 → 1, 3 (and above) → 2."""
    return 0 if grade <= 0 else (1 if grade <= 2 else 2)


def band_grade(score: float, *, medium: float, strong: float) -> int:
    """The model's band as a grade: weak 0, medium 1, strong 2."""
    return 2 if score >= strong else (1 if score >= medium else 0)


def fit_thresholds(scores: Sequence[float], labels: Sequence[int]) -> tuple[float, float, float]:
    """Cut points ``(t1, t2, t3)``: score ≥ t_g means grade ≥ g, placed so the model's grade counts match the
    people's (labels above 3 count as 3); a grade nobody gave gets an empty range (``t = inf`` when none above it)."""
    ordered = sorted(scores)
    counts = [sum(1 for label in labels if min(label, 3) == g) for g in GRADES]
    cuts, total = [], 0
    for g in GRADES[:-1]:
        total += counts[g]
        cuts.append(ordered[total] if total < len(ordered) else float("inf"))
    return cuts[0], cuts[1], cuts[2]


def fitted_grade(score: float, thresholds: Sequence[float]) -> int:
    """The grade of ``score`` under fitted ``thresholds``: how many cut points it reaches."""
    return sum(1 for t in thresholds if score >= t)


@dataclass(frozen=True)
class JudgeCheck:
    """The model against the people on some candidates (a set, or one segment of it).

    Attributes:
        n: judged candidates compared.
        kappa_bands, confusion_bands: bands (0/1/2) against bucketed grades (0 / 1-2 / 3).
        thresholds: the fitted cut points (t1, t2, t3).
        kappa_fitted, confusion_fitted: fitted grades (0-3) against the people's labels.
        alpha_people, alpha_with_model: Krippendorff's α (ordinal) of the people's grades, and with the model's fitted
            grade as one more rater (``None`` where undefined: one person and no model, a single grade...).
        raters: the people whose grades the α values use.
    """

    n: int
    kappa_bands: float | None
    confusion_bands: list[list[int]]
    thresholds: tuple[float, float, float]
    kappa_fitted: float | None
    confusion_fitted: list[list[int]]
    alpha_people: float | None
    alpha_with_model: float | None
    raters: tuple[str, ...] = field(default_factory=tuple)


def check(
    queries: Sequence[LabelledQuery],
    scores: Mapping[tuple[str, str], float],
    *,
    medium: float,
    strong: float,
    thresholds: Sequence[float] | None = None,
) -> JudgeCheck:
    """The model (``scores``: ``(qid, docid) -> P(yes)``) against the people's grades of ``queries``' judged
    candidates.

    Args:
        thresholds: fitted cut points to use (a segment uses the whole set's); default fitted on these candidates.

    Raises:
        ValueError: a judged candidate without a score.
    """
    judged = [(q.qid, c) for q in queries for c in q.candidates if c.judged]
    missing = [f"{qid}/{c.docid}" for qid, c in judged if (qid, c.docid) not in scores]
    if missing:
        raise ValueError(f"no model score for {len(missing)} judged candidate(s) ({', '.join(missing[:5])}).")
    labels = [c.label for _, c in judged]
    model = [scores[qid, c.docid] for qid, c in judged]
    cuts = tuple(thresholds) if thresholds is not None else fit_thresholds(model, labels)
    bands = [band_grade(s, medium=medium, strong=strong) for s in model]
    buckets = [bucket(label) for label in labels]
    fitted = [fitted_grade(s, cuts) for s in model]
    people = [min(label, 3) for label in labels]
    units = [list(c.ratings.values()) for _, c in judged]
    return JudgeCheck(
        n=len(judged),
        kappa_bands=cohen_kappa_quadratic(buckets, bands, labels=[0, 1, 2]),
        confusion_bands=confusion_matrix(buckets, bands, [0, 1, 2]),
        thresholds=(cuts[0], cuts[1], cuts[2]),
        kappa_fitted=cohen_kappa_quadratic(people, fitted, labels=list(GRADES)),
        confusion_fitted=confusion_matrix(people, fitted, list(GRADES)),
        alpha_people=krippendorff_alpha_ordinal(units),
        alpha_with_model=krippendorff_alpha_ordinal([u + [g] for u, g in zip(units, fitted)]),
        raters=tuple(sorted({r for _, c in judged for r in c.ratings})),
    )


def check_by_segment(
    labelled: LabelledSet, scores: Mapping[tuple[str, str], float], *, medium: float, strong: float
) -> tuple[JudgeCheck, dict[str, JudgeCheck]]:
    """:func:`check` over the whole set, and per segment with the whole set's fitted thresholds (no segments: an
    empty dict)."""
    overall = check(labelled.queries, scores, medium=medium, strong=strong)
    if not labelled.has_segments:
        return overall, {}
    by_qid = {q.qid: q for q in labelled.queries}
    segments = {
        name: check([by_qid[qid] for qid in qids], scores, medium=medium, strong=strong, thresholds=overall.thresholds)
        for name, qids in segment_groups(labelled).items()
    }
    return overall, segments


__all__ = [
    "BAND_GRADES",
    "BUCKETS",
    "JudgeCheck",
    "band_grade",
    "bucket",
    "check",
    "check_by_segment",
    "fit_thresholds",
    "fitted_grade",
]
