"""Compare two recorded runs of the same set query by query, with the paired randomization test of
:mod:`eval.measures.stats`.

A set grows as analysts label more queries, so two runs of one set may not hold the same queries: the comparison uses
the queries both runs evaluated (and says which are left out), and flags a set whose content changed between the runs
(a shared query's labels may differ then). Values of B are compared against A: ``delta = mean(B) - mean(A)``, and
wins/ties/losses count the queries where B beats / equals / trails A.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eval.history.store import RunRecord
from eval.measures import metrics, stats


@dataclass(frozen=True)
class RunComparison:
    """Two runs' per-query values of one metric on their shared queries, with the paired test.

    Attributes:
        run_a, run_b: the runs; ``system_a``/``system_b`` which of their systems (``model``/``model_b``).
        metric: e.g. ``"ndcg@10"``.
        qids: the shared queries, in A's order; ``values_a``/``values_b`` their values.
        only_a, only_b: queries only one run evaluated (left out of the comparison).
        p_value: two-sided paired randomization test (:func:`eval.measures.stats.randomization_test`).
        counts: ``{"wins", "ties", "losses"}`` of B against A.
    """

    run_a: RunRecord
    run_b: RunRecord
    system_a: str
    system_b: str
    metric: str
    qids: list[str]
    values_a: list[float]
    values_b: list[float]
    only_a: list[str]
    only_b: list[str]
    p_value: float
    counts: dict[str, int]

    @property
    def mean_a(self) -> float:
        return metrics.mean(self.values_a)

    @property
    def mean_b(self) -> float:
        return metrics.mean(self.values_b)

    @property
    def delta(self) -> float:
        return self.mean_b - self.mean_a

    @property
    def same_content(self) -> bool:
        """Both runs evaluated the same bytes of the set (and of its images)."""
        return self.run_a.set_hash == self.run_b.set_hash

    def rows(self) -> list[dict[str, Any]]:
        """One row per shared query: ``qid, a, b, b - a``."""
        return [{"qid": q, "a": a, "b": b, "b - a": b - a} for q, a, b in zip(self.qids, self.values_a, self.values_b)]


def shared_metrics(
    run_a: RunRecord, run_b: RunRecord, *, system_a: str = "model", system_b: str = "model"
) -> list[str]:
    """Metrics both systems have per-query values for, in A's order (runs with another k share fewer)."""
    a = run_a.per_query.get(system_a, {})
    b = run_b.per_query.get(system_b, {})
    return [m for m in a if m in b]


def compare_runs(
    run_a: RunRecord,
    run_b: RunRecord,
    *,
    metric: str = "ndcg@10",
    system_a: str = "model",
    system_b: str = "model",
) -> RunComparison:
    """Compare ``metric`` of ``run_a``'s ``system_a`` and ``run_b``'s ``system_b`` over their shared queries.

    Args:
        run_a, run_b: from :meth:`eval.history.store.RunStore.get` (with per-query values).
        metric: a metric both runs hold, e.g. ``"ndcg@10"``.
        system_a, system_b: ``"model"``, or ``"model_b"`` for the B system of an A/B run.

    Returns:
        A :class:`RunComparison`.

    Raises:
        ValueError: the runs are of different sets, a system or the metric is missing, or no query is shared.

    Example:
        >>> store = RunStore()
        >>> comparison = compare_runs(store.get(3), store.get(5))
        >>> comparison.delta, comparison.p_value
    """
    if run_a.set != run_b.set:
        raise ValueError(
            f"run {run_a.id} evaluated {run_a.set!r} and run {run_b.id} evaluated {run_b.set!r}; per-query comparison "
            "needs two runs of the same set. Pick two runs from one set."
        )
    for run, system in ((run_a, system_a), (run_b, system_b)):
        if system not in run.per_query:
            raise ValueError(
                f"run {run.id} has no system {system!r}; expected one of {sorted(run.per_query)} ('model_b' only "
                "exists in A/B runs)."
            )
    values_a = run_a.per_query[system_a].get(metric)
    values_b = run_b.per_query[system_b].get(metric)
    if values_a is None or values_b is None:
        common = shared_metrics(run_a, run_b, system_a=system_a, system_b=system_b)
        raise ValueError(
            f"metric {metric!r} is not in both runs (run {run_a.id} k={run_a.k}, run {run_b.id} k={run_b.k}); "
            f"expected one of {common}."
        )
    qids = [q for q in values_a if q in values_b]
    if not qids:
        raise ValueError(
            f"runs {run_a.id} and {run_b.id} share no query of {run_a.set!r}, so there is nothing to compare per query."
        )
    a = [values_a[q] for q in qids]
    b = [values_b[q] for q in qids]
    return RunComparison(
        run_a=run_a,
        run_b=run_b,
        system_a=system_a,
        system_b=system_b,
        metric=metric,
        qids=qids,
        values_a=a,
        values_b=b,
        only_a=[q for q in values_a if q not in values_b],
        only_b=[q for q in values_b if q not in values_a],
        p_value=stats.randomization_test(a, b),
        counts=stats.wins_ties_losses(b, a),
    )


__all__ = ["RunComparison", "compare_runs", "shared_metrics"]
