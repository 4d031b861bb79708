"""Evaluate a scorer (and optionally a B system) on a labelled set, with the baselines: :func:`evaluate_set`.

:func:`evaluate_set` is what both the CLI (``python -m eval``) and the Evaluation page call, so they report the same
numbers. It scores the set (:mod:`eval.engine.scoring`, resumable through :mod:`eval.engine.resume`), adds the baselines
(:mod:`eval.engine.baselines`) and builds the typed report (:mod:`eval.engine.report`); :mod:`eval.engine.outputs`
writes the files.

``metrics.json`` is built only from rankings and score bins (never from timings or paths of the output folder), so an
interrupted-and-resumed run writes the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from eval.engine.baselines import bm25_run, input_order_run
from eval.engine.report import Report, Run, build_report, pair_rows, per_query_rows
from eval.engine.scored_system import System
from eval.engine.scoring import CHUNK_PAIRS, score_set
from eval.sets.labelled import LabelledSet
from lychee.bands import MEDIUM, STRONG
from lychee.contract import Scorer
from lychee.results import ProgressCallback
from lychee.validation import positive_int


@dataclass
class EvalResult:
    """Everything one evaluation produced.

    Attributes:
        labelled: the evaluated set.
        k: the cutoff of ``ndcg@k``/``recall@k``.
        runs: system key (``model``, ``model_b``, ``input_order``, ``bm25``) -> run (qid -> docid -> score).
        report: the typed report; ``metrics`` is its metrics.json object.
        per_query: one dict per query (the per-query CSV's rows).
        pairs: one dict per (system, query, candidate) of the model systems: score, label, rank.
    """

    labelled: LabelledSet
    k: int
    runs: dict[str, Run]
    report: Report
    per_query: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)

    @cached_property
    def metrics(self) -> dict[str, Any]:
        """The ``metrics.json`` object."""
        return self.report.as_dict()

    @property
    def metric_names(self) -> list[str]:
        return list(self.report.metric_names)

    @property
    def systems(self) -> list[str]:
        return list(self.report.systems)


def evaluate_set(
    labelled: LabelledSet,
    scorer: Scorer,
    *,
    instruction: str | None = None,
    model_id: str = "",
    scorer_b: Scorer | None = None,
    instruction_b: str | None = None,
    model_id_b: str = "",
    compare: bool = False,
    k: int = 10,
    partial_path: str | os.PathLike | None = None,
    progress: ProgressCallback | None = None,
    strong: float = STRONG,
    medium: float = MEDIUM,
    chunk_pairs: int = CHUNK_PAIRS,
) -> EvalResult:
    """Evaluate a scorer (and optionally a B system) on a labelled set, with the baselines.

    Args:
        labelled: the set, from :func:`eval.sets.loader.load_labelled_set`.
        scorer: the A scorer (e.g. ``lychee.load_scorer("default")``).
        instruction: A's instruction; ``None`` for the scorer's default.
        model_id: how A's model was named (recorded in metrics.json and the fingerprint).
        scorer_b: B's scorer; ``None`` with ``compare=True`` reuses ``scorer`` (an instruction A/B).
        instruction_b: B's instruction; ``None`` for B's default.
        model_id_b: how B's model was named.
        compare: evaluate B too (implied by ``scorer_b``).
        k: cutoff of ``ndcg@k``, ``ndcg_exp@k`` and ``recall@k``.
        partial_path: file to resume from / append finished queries to; ``None`` keeps everything in memory.
        progress: ``progress(done_pairs, total_pairs)``.
        strong, medium: band thresholds whose precision/recall/F1 the calibration reports.
        chunk_pairs: pairs per batched scoring call (see :func:`eval.engine.scoring.score_set`); 1 scores query by
            query.

    Returns:
        The :class:`EvalResult`; ``result.report`` holds the typed report, ``result.metrics`` the metrics.json object.

    Raises:
        ValueError: a bad k, a set with images for a text-only model, or a scorer error (naming file, line, query).

    Example:
        >>> from eval.sets.loader import load_labelled_set
        >>> result = evaluate_set(load_labelled_set("eval/data/ecommerce.jsonl"), load_scorer("default"))
        >>> result.report.primary.means["ndcg@10"]
    """
    positive_int(k, "k")
    positive_int(chunk_pairs, "chunk_pairs")
    systems = [System("model", scorer, instruction, model_id)]
    if scorer_b is not None or compare:
        systems.append(
            System("model_b", scorer_b if scorer_b is not None else scorer, instruction_b, model_id_b or model_id)
        )
    runs = score_set(labelled, systems, k=k, partial_path=partial_path, progress=progress, chunk_pairs=chunk_pairs)
    runs["input_order"] = input_order_run(labelled)
    runs["bm25"] = bm25_run(labelled)
    report = build_report(labelled, runs, systems, k=k, strong=strong, medium=medium)
    return EvalResult(
        labelled=labelled,
        k=k,
        runs=runs,
        report=report,
        per_query=per_query_rows(labelled, report),
        pairs=pair_rows(labelled, runs, [s.key for s in systems]),
    )


__all__ = ["EvalResult", "evaluate_set"]
