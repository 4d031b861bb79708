"""The gate's rule and verdict: is the candidate run worse than the baseline, beyond noise?

For each gated metric, over the queries both runs evaluated (and again within each segment of the candidate's set),
the candidate **fails** when its mean is lower than the baseline's by more than ``max_drop`` **and** the paired
randomization test (:func:`eval.measures.stats.randomization_test`, the Runs page's: 10,000 sign flips, two-sided)
gives ``p < alpha``. A small drop that is significant, or a large one that is noise, passes. The gate fails when a row
over all shared queries fails. A segment's row that meets the rule is reported as a warning (so a regression confined
to one query type is seen, not averaged away) and fails the gate too only when the spec gates segments
(``--gate-segments``).

Two runs of a set that changed between them (another content hash: queries added, labels edited) are compared on the
queries both evaluated, with a note saying how many each left out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eval.gate.baseline import Baseline
from eval.measures import stats
from eval.measures.metrics import mean

DEFAULT_METRIC = "ndcg@10"
DEFAULT_MAX_DROP = 0.005
DEFAULT_ALPHA = 0.05
#: The scope of the row over every shared query.
ALL = "all"


@dataclass(frozen=True)
class GateRow:
    """One metric over one scope (every shared query, or one segment's).

    Attributes:
        scope: :data:`ALL` or a segment's name.
        metric: e.g. ``"ndcg@10"``.
        n: shared queries in the scope.
        baseline, candidate: the two means over those queries; ``delta = candidate - baseline``.
        p_value: paired randomization test, two-sided.
        wins, ties, losses: queries where the candidate beats / equals / trails the baseline.
        failed: ``delta < -max_drop`` and ``p_value < alpha``.
    """

    scope: str
    metric: str
    n: int
    baseline: float
    candidate: float
    delta: float
    p_value: float
    wins: int
    ties: int
    losses: int
    failed: bool


@dataclass(frozen=True)
class GateSpec:
    """What to gate on: the baseline, the metrics, the rule's two thresholds, and whether segments' rows decide too."""

    baseline: Baseline
    metrics: tuple[str, ...] = (DEFAULT_METRIC,)
    max_drop: float = DEFAULT_MAX_DROP
    alpha: float = DEFAULT_ALPHA
    segments: bool = False

    def __post_init__(self) -> None:
        if not self.metrics:
            raise ValueError("the gate needs at least one metric, e.g. --gate-metric ndcg@10.")
        if isinstance(self.max_drop, bool) or not (math.isfinite(self.max_drop) and self.max_drop >= 0):
            raise ValueError(f"--max-drop must be a number >= 0 (a drop of the mean), got {self.max_drop!r}.")
        if isinstance(self.alpha, bool) or not (0 < self.alpha <= 1):
            raise ValueError(f"--alpha must be a significance level in (0, 1], e.g. 0.05; got {self.alpha!r}.")

    def check(self, qids: Sequence[str], metrics: Sequence[str]) -> None:
        """Before scoring: the candidate's queries and metrics can be gated against this baseline.

        Raises:
            ValueError: a gated metric the candidate or the baseline lacks, or no query in common.
        """
        for metric in self.metrics:
            if metric not in metrics:
                raise ValueError(
                    f"--gate-metric {metric!r} is not a metric of this run; expected one of {list(metrics)}."
                )
            if metric not in self.baseline.per_query:
                raise ValueError(
                    f"--gate-metric {metric!r} is not in the baseline {self.baseline.label} (k={self.baseline.k}); "
                    f"it has {self.baseline.metrics}. Gate on one of those, or evaluate with the baseline's --k."
                )
        first = self.baseline.per_query[self.metrics[0]]
        if not any(q in first for q in qids):
            raise ValueError(
                f"this run's {len(qids)} queries and the baseline {self.baseline.label}'s {len(first)} share none "
                f"(baseline set: {self.baseline.set_name}); gate against a run of the same set."
            )


@dataclass(frozen=True)
class GateVerdict:
    """The gate's outcome.

    Attributes:
        spec: what was gated.
        rows: per metric, the :data:`ALL` row, then one row per segment (in the set's order).
        shared: the queries both runs evaluated (the comparison's queries).
        only_candidate, only_baseline: queries one run evaluated and the other did not (left out).
        same_set: both runs evaluated the same bytes of the set (content hash).
    """

    spec: GateSpec
    rows: tuple[GateRow, ...]
    shared: int
    only_candidate: tuple[str, ...]
    only_baseline: tuple[str, ...]
    same_set: bool

    def decides(self, row: GateRow) -> bool:
        """Whether ``row`` can fail the gate: a row over all shared queries, or a segment's when segments are gated."""
        return row.scope == ALL or self.spec.segments

    @property
    def passed(self) -> bool:
        return not self.failed_rows

    @property
    def verdict(self) -> str:
        """``"pass"`` or ``"fail"`` (the run store's gate mark)."""
        return "pass" if self.passed else "fail"

    @property
    def failed_rows(self) -> list[GateRow]:
        """The rows that meet the rule and decide the gate."""
        return [row for row in self.rows if row.failed and self.decides(row)]

    @property
    def warned_rows(self) -> list[GateRow]:
        """Segments' rows that meet the rule but do not decide the gate (segments not gated)."""
        return [row for row in self.rows if row.failed and not self.decides(row)]

    @property
    def notes(self) -> list[str]:
        """What the reader should know about how the runs were compared."""
        out = []
        if not self.same_set:
            out.append(
                f"The set changed since the baseline (its content hash differs): compared on the {self.shared} "
                f"queries both runs evaluated; {len(self.only_candidate)} only in this run, "
                f"{len(self.only_baseline)} only in the baseline, and a shared query's labels may differ."
            )
        elif self.only_candidate or self.only_baseline:
            out.append(
                f"Compared on the {self.shared} queries both runs evaluated; {len(self.only_candidate)} only in this "
                f"run, {len(self.only_baseline)} only in the baseline."
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready verdict (recorded in the run store's ``details["gate"]``)."""
        return {
            "verdict": self.verdict,
            "baseline": self.spec.baseline.describe(),
            "metrics": list(self.spec.metrics),
            "max_drop": self.spec.max_drop,
            "alpha": self.spec.alpha,
            "segments_gated": self.spec.segments,
            "shared_queries": self.shared,
            "only_candidate": list(self.only_candidate),
            "only_baseline": list(self.only_baseline),
            "same_set": self.same_set,
            "notes": self.notes,
            "rows": [asdict(row) for row in self.rows],
        }


def _row(scope: str, metric: str, base: list[float], cand: list[float], spec: GateSpec) -> GateRow:
    baseline, candidate = mean(base), mean(cand)
    delta = candidate - baseline
    p_value = stats.randomization_test(base, cand)
    counts = stats.wins_ties_losses(cand, base)
    return GateRow(
        scope=scope,
        metric=metric,
        n=len(base),
        baseline=baseline,
        candidate=candidate,
        delta=delta,
        p_value=p_value,
        wins=counts["wins"],
        ties=counts["ties"],
        losses=counts["losses"],
        failed=delta < -spec.max_drop and p_value < spec.alpha,
    )


def judge(
    spec: GateSpec,
    candidate: Mapping[str, Mapping[str, float]],
    *,
    candidate_hash: str,
    segments: Mapping[str, Sequence[str]] | None = None,
) -> GateVerdict:
    """Gate the candidate's per-query values against the baseline.

    Args:
        spec: the baseline, metrics and thresholds (:meth:`GateSpec.check` them before scoring).
        candidate: metric -> qid -> value of the candidate's system A (metrics.json's ``systems.model.per_query``).
        candidate_hash: the candidate set's content hash.
        segments: segment name -> its qids in the candidate's set (:func:`eval.sets.segments.segment_groups`);
            ``None`` or empty for a set without segments.

    Returns:
        The :class:`GateVerdict`.

    Raises:
        ValueError: a gated metric missing on either side, or no shared query.

    Example:
        >>> spec = GateSpec(load_baseline("3", store=RunStore(), set_key=...), metrics=("ndcg@10",))
        >>> judge(spec, metrics["systems"]["model"]["per_query"], candidate_hash=metrics["settings"]["data_sha256"])
    """
    spec.check(list(candidate.get(spec.metrics[0], {})), list(candidate))
    first_cand, first_base = candidate[spec.metrics[0]], spec.baseline.per_query[spec.metrics[0]]
    shared = [q for q in first_cand if q in first_base]
    rows = []
    for metric in spec.metrics:
        cand, base = candidate[metric], spec.baseline.per_query[metric]
        scopes = [(ALL, shared)]
        scopes += [(name, [q for q in qids if q in base and q in cand]) for name, qids in (segments or {}).items()]
        for scope, qids in scopes:
            if qids:
                rows.append(_row(scope, metric, [base[q] for q in qids], [cand[q] for q in qids], spec))
    return GateVerdict(
        spec=spec,
        rows=tuple(rows),
        shared=len(shared),
        only_candidate=tuple(q for q in first_cand if q not in first_base),
        only_baseline=tuple(q for q in first_base if q not in first_cand),
        same_set=candidate_hash == spec.baseline.set_hash,
    )


__all__ = [
    "ALL",
    "DEFAULT_ALPHA",
    "DEFAULT_MAX_DROP",
    "DEFAULT_METRIC",
    "GateRow",
    "GateSpec",
    "GateVerdict",
    "judge",
]
