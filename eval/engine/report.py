"""The evaluation report as typed objects, and the ``metrics.json`` object built from them.

* :class:`SystemReport` — one system's per-query metric values, their means and 95% bootstrap intervals.
* :class:`Comparison` — A against B per metric: means, delta, paired randomization p-value, wins/ties/losses.
* :class:`CalibrationReport` — a model system's reliability bins, best-F1 threshold and the bands' precision/recall/F1.
* :class:`Report` — all of it for one run; :meth:`Report.as_dict` is the ``metrics.json`` object.

Every number is computed from rankings and score bins (never from timings or output paths), so an interrupted and
resumed run reports the same bytes as an uninterrupted one.

* :class:`SegmentReport` — every system restricted to one segment's queries (:mod:`eval.sets.segments`): per-segment
  means are the means of those queries' per-query values, with their own bootstrap intervals.

Per-query groupings plug in through :meth:`SystemReport.restricted` (means and intervals recomputed over a subset of
the queries) and :func:`compare` of two restricted reports.

When the set has unjudged candidates (a first-stage run retrieved documents the qrels never judged), the metrics gain
``judged@k`` (:func:`eval.measures.metrics.judged_at_k`), and calibration uses the judged pairs only: an unjudged pair's
label 0 is a convention for ranking metrics, not an observation of relevance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from eval.engine.baselines import baseline_descriptions
from eval.engine.scored_system import System
from eval.measures import calibration, stats
from eval.measures.metrics import default_metrics, evaluate, mean, trec_order, unjudged_at_k
from eval.sets.labelled import LabelledSet
from eval.sets.segments import NO_SEGMENT, segment_groups
from lychee.bands import MEDIUM, STRONG

PerQuery = dict[str, dict[str, float]]
"""metric -> qid -> value."""
Run = dict[str, dict[str, float]]
"""qid -> docid -> score."""

RELEVANCE = "graded label is the NDCG gain (ndcg_exp: 2**label - 1); label >= 1 is relevant for mrr, hit, recall, F1"
RANKING = "score descending, ties by docid descending (trec_eval)"
CALIBRATION_BINS = 10


@dataclass(frozen=True)
class SystemReport:
    """One system's metrics over a set of queries.

    Attributes:
        key: ``model``, ``model_b``, ``input_order`` or ``bm25``.
        description: what the system is (model, scorer, instruction; or the baseline), as metrics.json records it.
        qids: the queries the means and intervals are over, in file order.
        means: metric -> mean over ``qids``.
        ci95: metric -> ``(low, high)``, percentile bootstrap over queries.
        per_query: metric -> qid -> value.
    """

    key: str
    description: Mapping[str, Any]
    qids: tuple[str, ...]
    means: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    per_query: PerQuery

    @property
    def metric_names(self) -> list[str]:
        return list(self.means)

    def values(self, metric: str, qids: Sequence[str] | None = None) -> list[float]:
        """Per-query values of ``metric`` in the order of ``qids`` (default: this report's queries)."""
        by_qid = self.per_query[metric]
        return [by_qid[q] for q in (self.qids if qids is None else qids)]

    def restricted(self, qids: Sequence[str]) -> SystemReport:
        """This system over a subset of its queries (a segment): per-query values kept, means and CI recomputed.

        Raises:
            ValueError: a qid this report does not have.
        """
        unknown = [q for q in qids if q not in self.per_query[self.metric_names[0]]]
        if unknown:
            raise ValueError(f"qids {unknown[:5]} are not in the report of {self.key!r}; expected qids of the set.")
        per_query = {m: {q: by_qid[q] for q in qids} for m, by_qid in self.per_query.items()}
        return summarize(self.key, self.description, per_query, qids)

    def as_dict(self) -> dict[str, Any]:
        """``{"description", "means", "ci95", "per_query"}`` as in metrics.json."""
        return {
            "description": dict(self.description),
            "means": dict(self.means),
            "ci95": {m: list(ci) for m, ci in self.ci95.items()},
            "per_query": self.per_query,
        }


def summarize(key: str, description: Mapping[str, Any], per_query: PerQuery, qids: Sequence[str]) -> SystemReport:
    """Means (``math.fsum``) and bootstrap intervals of per-query values over ``qids``."""
    means = {m: mean([by_qid[q] for q in qids]) for m, by_qid in per_query.items()}
    ci = {m: stats.bootstrap_ci([by_qid[q] for q in qids]) for m, by_qid in per_query.items()}
    return SystemReport(key, description, tuple(qids), means, ci, per_query)


def system_report(
    key: str,
    description: Mapping[str, Any],
    qrels: dict[str, dict[str, int]],
    run: Run,
    names: Sequence[str],
    qids: Sequence[str],
) -> SystemReport:
    """Evaluate ``run`` against ``qrels`` (trec_eval conventions) and summarize over ``qids``."""
    return summarize(key, description, evaluate(qrels, run, names), qids)


@dataclass(frozen=True)
class MetricComparison:
    """B against A on one metric; wins/ties/losses count queries where B beats / equals / trails A."""

    mean_a: float
    mean_b: float
    delta: float
    p_value: float
    wins: int
    ties: int
    losses: int


@dataclass(frozen=True)
class Comparison:
    """The A/B comparison: system keys and one :class:`MetricComparison` per metric."""

    a: str
    b: str
    metrics: dict[str, MetricComparison]

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "counts": "b against a",
            "metrics": {m: asdict(c) for m, c in self.metrics.items()},
        }


def compare(a: SystemReport, b: SystemReport) -> Comparison:
    """B against A over A's queries: delta = mean(B) - mean(A), paired randomization test, wins/ties/losses.

    Raises:
        ValueError: the two reports are over different queries.
    """
    if a.qids != b.qids:
        raise ValueError(f"cannot compare {a.key!r} and {b.key!r}: they cover different queries; restrict both alike.")
    metrics = {}
    for m in a.metric_names:
        va, vb = a.values(m), b.values(m)
        counts = stats.wins_ties_losses(vb, va)
        metrics[m] = MetricComparison(
            mean_a=a.means[m],
            mean_b=b.means[m],
            delta=b.means[m] - a.means[m],
            p_value=stats.randomization_test(va, vb),
            wins=counts["wins"],
            ties=counts["ties"],
            losses=counts["losses"],
        )
    return Comparison(a.key, b.key, metrics)


@dataclass(frozen=True)
class ThresholdStats:
    """Precision, recall and F1 of "score >= threshold means relevant (label >= 1)"; ``threshold`` None: undefined."""

    threshold: float | None
    precision: float
    recall: float
    f1: float
    n_predicted: int


@dataclass(frozen=True)
class CalibrationBin:
    """One score bin ``[low, high)``: its pair count, mean label and fraction relevant (None when empty)."""

    low: float
    high: float
    n: int
    mean_label: float | None
    fraction_relevant: float | None


@dataclass(frozen=True)
class CalibrationReport:
    """Score versus label for one model system (see :mod:`eval.measures.calibration`)."""

    bins: tuple[CalibrationBin, ...]
    best_f1: ThresholdStats
    bands: dict[str, ThresholdStats]

    @property
    def best_f1_is_trivial(self) -> bool:
        """The best-F1 threshold calls every pair relevant (it sits below the lowest score): no operating point, just
        the F1 of "everything is relevant", which a set with mostly relevant candidates makes the best."""
        return self.best_f1.threshold is not None and self.best_f1.n_predicted >= sum(b.n for b in self.bins)

    @classmethod
    def of(
        cls, scores: Sequence[float], labels: Sequence[int], *, medium: float, strong: float, bins: int
    ) -> CalibrationReport:
        """Reliability bins, best-F1 threshold and the bands' precision/recall/F1 of these scores."""
        summary = calibration.calibration_summary(scores, labels, medium=medium, strong=strong, bins=bins)
        return cls(
            bins=tuple(CalibrationBin(**b) for b in summary["bins"]),
            best_f1=ThresholdStats(**summary["best_f1"]),
            bands={name: ThresholdStats(**r) for name, r in summary["bands"].items()},
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "bins": [asdict(b) for b in self.bins],
            "best_f1": asdict(self.best_f1),
            "bands": {name: asdict(r) for name, r in self.bands.items()},
        }


@dataclass(frozen=True)
class SegmentReport:
    """Every system over one segment's queries.

    Attributes:
        name: the segment (:data:`eval.sets.segments.NO_SEGMENT` for queries without one).
        qids: its queries, in file order.
        systems: system key -> that system's report restricted to ``qids``.
    """

    name: str
    qids: tuple[str, ...]
    systems: dict[str, SystemReport]

    def entry(self, key: str) -> dict[str, Any]:
        """``{"n": queries, "<metric>": mean, ..., "ci95": {metric: [low, high]}}`` of one system, as in metrics.json."""
        system = self.systems[key]
        return {"n": len(self.qids), **system.means, "ci95": {m: list(ci) for m, ci in system.ci95.items()}}


def report_metrics(k: int, labelled: LabelledSet) -> list[str]:
    """``default_metrics(k)``, plus ``judged@k`` when some candidate of the set is unjudged or extra judgments were
    added (to show the coverage they brought)."""
    names = default_metrics(k)
    return names + [f"judged@{k}"] if labelled.has_unjudged or labelled.extra_judgments else names


@dataclass(frozen=True)
class Report:
    """Everything one evaluation measured.

    Attributes:
        k: the cutoff of ``ndcg@k``/``recall@k``.
        metric_names: :func:`report_metrics`; the first is the headline metric.
        systems: key -> report, model systems first, then the baselines.
        n_queries, n_pairs: size of the set.
        n_queries_without_relevant: queries with no label >= 1 (they score 0 and count in the means).
        comparison: B against A, when there is a B.
        calibration: model system key -> calibration.
        settings: data, models, instructions and conventions, as metrics.json records them.
        segments: one report per segment, when the set's queries have segments.
        holes: qid -> the unjudged documents in any system's top k (best rank first), when the set has unjudged
            candidates: what to judge next (``python -m eval.judgments holes``).
    """

    k: int
    metric_names: tuple[str, ...]
    systems: dict[str, SystemReport]
    n_queries: int
    n_pairs: int
    n_queries_without_relevant: int
    comparison: Comparison | None
    calibration: dict[str, CalibrationReport]
    settings: dict[str, Any]
    segments: tuple[SegmentReport, ...] = ()
    holes: dict[str, list[str]] | None = None

    @property
    def primary(self) -> SystemReport:
        """System A (``model``), whose means metrics.json puts at the top level."""
        return self.systems["model"]

    @property
    def bands(self) -> dict[str, float]:
        """The band thresholds the calibration was computed at: ``{"medium": ..., "strong": ...}``."""
        return dict(self.settings["bands"])

    def as_dict(self) -> dict[str, Any]:
        """The ``metrics.json`` object (layout in ``eval/README.md``)."""
        a = self.primary
        main = self.metric_names[0]
        out: dict[str, Any] = {main: a.means[main], "per_query": a.per_query[main]}
        for m in self.metric_names[1:]:
            out[m] = a.means[m]
        out["ci95"] = {m: list(ci) for m, ci in a.ci95.items()}
        out["n_queries"] = self.n_queries
        out["n_pairs"] = self.n_pairs
        out["n_queries_without_relevant"] = self.n_queries_without_relevant
        if self.segments:
            out["segments"] = {s.name: s.entry(a.key) for s in self.segments}
        out["systems"] = {key: r.as_dict() for key, r in self.systems.items()}
        if self.segments:
            for key, system in out["systems"].items():
                system["segments"] = {s.name: s.entry(key) for s in self.segments}
        if self.comparison is not None:
            out["comparison"] = self.comparison.as_dict()
        out["calibration"] = {key: c.as_dict() for key, c in self.calibration.items()}
        out["settings"] = self.settings
        if self.holes is not None:
            out["holes"] = {"k": self.k, "queries": self.holes}
        return out


def build_report(
    labelled: LabelledSet,
    runs: Mapping[str, Run],
    systems: Sequence[System],
    *,
    k: int = 10,
    strong: float = STRONG,
    medium: float = MEDIUM,
    bins: int = CALIBRATION_BINS,
) -> Report:
    """The report of the model systems' runs and the baselines' (``runs`` holds both, by system key).

    Args:
        labelled: the evaluated set (its qrels, and query order).
        runs: system key -> run, for every system of ``systems`` and every baseline of :mod:`eval.engine.baselines`.
        systems: the model systems, A first; a second one is compared against A.
        k: cutoff of ``ndcg@k``, ``ndcg_exp@k``, ``recall@k`` (and ``judged@k``).
        strong, medium: band thresholds whose precision/recall/F1 the calibration reports.
        bins: calibration bins over [0, 1].
    """
    names = report_metrics(k, labelled)
    qrels = labelled.qrels
    qids = labelled.qids
    reports = {s.key: system_report(s.key, s.describe(), qrels, runs[s.key], names, qids) for s in systems}
    for key, description in baseline_descriptions(labelled).items():
        reports[key] = system_report(key, description, qrels, runs[key], names, qids)
    comparison = compare(reports[systems[0].key], reports[systems[1].key]) if len(systems) > 1 else None
    cal = {}
    judged_pairs = [(q.qid, c) for q in labelled.queries for c in q.candidates if c.judged]
    for s in systems:
        scores = [runs[s.key][qid][c.docid] for qid, c in judged_pairs]
        labels = [c.label for _, c in judged_pairs]
        cal[s.key] = CalibrationReport.of(scores, labels, medium=medium, strong=strong, bins=bins)
    segments = tuple(
        SegmentReport(name, tuple(members), {key: r.restricted(members) for key, r in reports.items()})
        for name, members in segment_groups(labelled).items()
    )
    return Report(
        k=k,
        metric_names=tuple(names),
        systems=reports,
        n_queries=len(qids),
        n_pairs=labelled.n_pairs,
        n_queries_without_relevant=sum(1 for q in labelled.queries if q.n_relevant == 0),
        comparison=comparison,
        calibration=cal,
        settings=_settings(labelled, systems, k=k, strong=strong, medium=medium, bins=bins),
        segments=segments,
        holes=unjudged_at_k(qrels, [runs[key] for key in reports], k) if labelled.has_unjudged else None,
    )


def _settings(
    labelled: LabelledSet, systems: Sequence[System], *, k: int, strong: float, medium: float, bins: int
) -> dict[str, Any]:
    return {
        "data": labelled.name,
        "data_sha256": labelled.content_hash,
        "k": k,
        "systems": {s.key: s.describe() for s in systems},
        "relevance": RELEVANCE,
        "ranking": RANKING,
        "bootstrap": {"resamples": stats.BOOTSTRAP_RESAMPLES, "confidence": 0.95, "seed": stats.SEED, "unit": "query"},
        "randomization_test": {
            "permutations": stats.PERMUTATIONS,
            "seed": stats.SEED,
            "two_sided": True,
            "statistic": "mean paired difference b - a, signs flipped per query",
        },
        "bands": {"medium": medium, "strong": strong},
        "calibration_bins": bins,
        # Only sets read from a first-stage run have these; the shipped JSONL/CSV sets' metrics.json is unchanged.
        **({"first_stage": labelled.first_stage} if labelled.first_stage else {}),
        **({"notes": list(labelled.notes)} if labelled.notes else {}),
        # Only sets with several raters' grades say how their labels were made; a plain-label set's is unchanged.
        **({"aggregate": labelled.aggregate} if labelled.has_grades else {}),
    }


ALL_QUERIES = "all"
"""The row of :func:`segment_rows` over every query."""


def lift_percent(value: float, baseline: float) -> float | None:
    """``(value - baseline) / baseline * 100``, the seed's "lift"; ``None`` when the baseline is 0."""
    return (value - baseline) / baseline * 100.0 if baseline else None


def segment_rows(report: Report, metric: str | None = None) -> list[dict[str, Any]]:
    """The seed's table: per segment (then ``"all"``), each system's mean of ``metric`` and the model's lift.

    Args:
        report: a report with segments (without, only the ``"all"`` row).
        metric: default the headline metric (``ndcg@k``).

    Returns:
        Rows ``{"segment", "n", "<system key>": mean, ..., "lift_vs_input_order", "lift_vs_bm25"}`` (lifts of system A
        in percent, ``None`` where the baseline is 0; with a B system also ``"lift_b_vs_input_order"``).
    """
    metric = metric or report.metric_names[0]
    groups = [(s.name, len(s.qids), s.systems) for s in report.segments]
    groups.append((ALL_QUERIES, report.n_queries, report.systems))
    rows = []
    for name, n, systems in groups:
        row: dict[str, Any] = {"segment": name, "n": n}
        row.update({key: system.means[metric] for key, system in systems.items()})
        for baseline in ("input_order", "bm25"):
            row[f"lift_vs_{baseline}"] = lift_percent(row["model"], row[baseline])
        if "model_b" in row:
            row["lift_b_vs_input_order"] = lift_percent(row["model_b"], row["input_order"])
        rows.append(row)
    return rows


def per_query_rows(labelled: LabelledSet, report: Report) -> list[dict[str, Any]]:
    """One row per query: ``qid, query`` (``segment`` when the set has segments), ``n_candidates, n_relevant`` and
    ``<system>:<metric>`` for each system."""
    rows = []
    with_segments = labelled.has_segments
    for q in labelled.queries:
        row: dict[str, Any] = {"qid": q.qid, "query": q.text or ""}
        if with_segments:
            row["segment"] = q.segment if q.segment is not None else NO_SEGMENT
        row["n_candidates"] = len(q.candidates)
        row["n_relevant"] = q.n_relevant
        for key, system in report.systems.items():
            for m in report.metric_names:
                row[f"{key}:{m}"] = system.per_query[m][q.qid]
        rows.append(row)
    return rows


def pair_rows(labelled: LabelledSet, runs: Mapping[str, Run], keys: Sequence[str]) -> list[dict[str, Any]]:
    """One row per (system, query, candidate): score, label (0 for an unjudged candidate), judged, and trec rank."""
    rows = []
    for key in keys:
        for q in labelled.queries:
            run = runs[key][q.qid]
            rank = {d: r for r, d in enumerate(trec_order(run), start=1)}
            for c in q.candidates:
                rows.append(
                    {
                        "system": key,
                        "qid": q.qid,
                        "docid": c.docid,
                        "label": c.label,
                        "judged": c.judged,
                        "score": run[c.docid],
                        "rank": rank[c.docid],
                    }
                )
    return rows


__all__ = [
    "ALL_QUERIES",
    "CALIBRATION_BINS",
    "CalibrationBin",
    "CalibrationReport",
    "Comparison",
    "MetricComparison",
    "PerQuery",
    "Report",
    "Run",
    "SegmentReport",
    "SystemReport",
    "ThresholdStats",
    "build_report",
    "compare",
    "lift_percent",
    "pair_rows",
    "per_query_rows",
    "report_metrics",
    "segment_rows",
    "summarize",
    "system_report",
]
