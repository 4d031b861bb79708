"""A set's trend over time: one metric of every recorded run of the set, oldest first, with its 95% interval, the
model and instruction that produced it, and — for gated runs (``python -m eval --gate``) — whether the run passed.

What ``python -m eval.runs trend`` prints and the Runs page draws. Only system A (``model``) of each run is on the
trend: the B system of an A/B run is a comparison inside that run, not a step of the set's history.

Example:
    >>> trend = set_trend(RunStore(), resolve_set("eval/data/ecommerce.jsonl"), metric="ndcg@10")
    >>> [(p.run_id, p.mean, p.gate) for p in trend.points]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eval.history.store import MAIN_METRIC, RunStore


@dataclass(frozen=True)
class TrendPoint:
    """One run on the trend.

    Attributes:
        run_id, created: the run's id and when it was recorded (ISO 8601, UTC).
        model, instruction: what system A was.
        mean: the metric's mean over the run's queries; ``ci95`` its percentile bootstrap interval.
        gate: ``"pass"``/``"fail"`` for a gated run, ``None`` otherwise.
        n_queries, set_hash: the run's size and the set's content hash (a set that grew has a new hash).
        source: ``cli`` or ``page``.
    """

    run_id: int
    created: str
    model: str
    instruction: str
    mean: float
    ci95: tuple[float, float]
    gate: str | None
    n_queries: int
    set_hash: str
    source: str


@dataclass(frozen=True)
class Trend:
    """A set's runs on one metric, oldest first.

    Attributes:
        set: the set's key (:attr:`eval.history.store.RunRecord.set`).
        metric: e.g. ``"ndcg@10"``.
        points: one per run that has the metric.
        without_metric: ids of the set's runs that lack it (evaluated with another k), left off the trend.
    """

    set: str
    metric: str
    points: tuple[TrendPoint, ...]
    without_metric: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON object of ``python -m eval.runs trend --json``."""
        return {
            "set": self.set,
            "metric": self.metric,
            "system": "model",
            "points": [{**asdict(p), "ci95": list(p.ci95)} for p in self.points],
            "without_metric": list(self.without_metric),
        }


def resolve_set(text: str) -> str:
    """The set key a user's ``--set`` names: an existing file or folder as its absolute path (how runs record it),
    anything else (an upload's name) as typed."""
    path = Path(text).expanduser()
    return str(path.resolve()) if path.exists() else text


def set_trend(store: RunStore, set_key: str, *, metric: str = MAIN_METRIC) -> Trend:
    """``metric`` of system A for every run of ``set_key``, oldest first.

    Args:
        store: the run store.
        set_key: the set (:func:`resolve_set` of what the user typed).
        metric: a recorded metric, e.g. ``"ndcg@10"``, ``"mrr@10"``.

    Raises:
        ValueError: no run of that set is recorded (the message lists the sets that are), or none of its runs has
            ``metric`` (the message lists the metrics they have).
        RunStoreError: the store cannot be read.
    """
    runs = store.list(of_set=set_key)
    if not runs:
        known = store.sets()
        listed = "; ".join(known[:10]) + ("; ..." if len(known) > 10 else "") if known else "none yet"
        raise ValueError(
            f"no run of set {set_key!r} is recorded in {store.path}. Sets with runs: {listed}. Give a set's path as "
            "it was evaluated (or an upload's name); `python -m eval.runs list` shows them."
        )
    values = store.metric_of_runs(metric, of_set=set_key)
    if not values:
        newest = store.get(runs[0].id)
        have = list(newest.metrics.get("model", {}))
        raise ValueError(
            f"no run of set {set_key!r} has the metric {metric!r}; its newest run (#{newest.id}) has {have}. "
            "Pick one of those with --metric."
        )
    points = []
    for run in reversed(runs):  # the store lists newest first
        if run.id not in values:
            continue
        mean, low, high = values[run.id]
        points.append(
            TrendPoint(
                run_id=run.id,
                created=run.created,
                model=run.model,
                instruction=run.instruction,
                mean=mean,
                ci95=(low, high),
                gate=run.gate,
                n_queries=run.n_queries,
                set_hash=run.set_hash,
                source=run.source,
            )
        )
    missing = tuple(r.id for r in reversed(runs) if r.id not in values)
    return Trend(set=set_key, metric=metric, points=tuple(points), without_metric=missing)


__all__ = ["Trend", "TrendPoint", "resolve_set", "set_trend"]
