"""Parity of a served model with a local reference on the same pairs, and the degenerate-score alarm.

Numbers, over the scored pairs (reference vs served):

* ``max_abs_diff`` / ``mean_abs_diff``: of P(yes);
* ``max_abs_log_odds_diff`` / ``mean_abs_log_odds_diff``: of the log-odds, over the pairs where both are finite (a
  P of exactly 0 or 1 has infinite log-odds; those pairs are counted in ``infinite_log_odds``);
* ``spearman``: Spearman's rho of the two score lists pooled over every pair (``None`` when either is constant);
* per query: the same differences, rho, and **top-10 agreement** — the share of the reference's top 10 (by the
  library's rank order) that the served model also ranks in its top 10 (:func:`lychee.compare.top_k_overlap`).

Verdicts: ``degenerate`` when the served scores carry no ranking — standard deviation below :data:`MIN_STD`, or more
than :data:`NEAR_HALF_SHARE` of them within 0.5 ± :data:`NEAR_HALF` (vLLM served Qwen3 rerankers that answered 0.5 for
everything, vllm-project/vllm#27857; Qwen3-VL image documents near 0.5, #33885) — else ``mismatch`` when
``max_abs_diff`` exceeds the tolerance (default :data:`DEFAULT_TOLERANCE`; vLLM's own parity tests accept about 0.01
against transformers), else ``ok``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from eval.measures.correlation import spearman
from eval.parity.pairs import ParityQuery
from lychee.compare import OVERLAP_K, ranks_from_order, top_k_overlap
from lychee.results import Prediction, rank_order

DEFAULT_TOLERANCE = 0.02
MIN_STD = 0.01
NEAR_HALF = 0.01
NEAR_HALF_SHARE = 0.9
VERDICTS = ("ok", "mismatch", "degenerate")


@dataclass(frozen=True)
class PairParity:
    """One pair scored by both models."""

    qid: str
    docid: str
    query: str
    document: str
    reference: float
    served: float
    reference_log_odds: float
    served_log_odds: float

    @property
    def abs_diff(self) -> float:
        return abs(self.served - self.reference)


@dataclass(frozen=True)
class QueryParity:
    """One query's agreement: differences, rho (``None`` when undefined) and top-10 agreement in [0, 1]."""

    qid: str
    n: int
    max_abs_diff: float
    mean_abs_diff: float
    spearman: float | None
    top10: float


@dataclass(frozen=True)
class ParityReport:
    """Everything the parity check measured (see the module docstring)."""

    pairs: tuple[PairParity, ...]
    queries: tuple[QueryParity, ...]
    tolerance: float
    max_abs_diff: float
    mean_abs_diff: float
    max_abs_log_odds_diff: float | None
    mean_abs_log_odds_diff: float | None
    infinite_log_odds: int
    spearman: float | None
    top10: float
    served_std: float
    near_half_share: float
    degenerate_reasons: tuple[str, ...]

    @property
    def degenerate(self) -> bool:
        return bool(self.degenerate_reasons)

    @property
    def verdict(self) -> str:
        """``"degenerate"``, ``"mismatch"`` or ``"ok"`` (in that precedence)."""
        if self.degenerate:
            return "degenerate"
        return "mismatch" if self.max_abs_diff > self.tolerance else "ok"

    def worst(self, n: int = 5) -> list[PairParity]:
        """The ``n`` pairs with the largest score difference."""
        return sorted(self.pairs, key=lambda p: -p.abs_diff)[:n]

    def summary(self) -> dict[str, object]:
        """The one JSON line of ``--json``: the issue's keys first, then the other figures."""
        return {
            "pairs": len(self.pairs),
            "max_abs_diff": self.max_abs_diff,
            "mean_abs_diff": self.mean_abs_diff,
            "spearman": self.spearman,
            "degenerate": self.degenerate,
            "verdict": self.verdict,
            "max_abs_log_odds_diff": self.max_abs_log_odds_diff,
            "mean_abs_log_odds_diff": self.mean_abs_log_odds_diff,
            "infinite_log_odds": self.infinite_log_odds,
            "top10_agreement": self.top10,
            "tolerance": self.tolerance,
            "served_std": self.served_std,
            "served_near_half_share": self.near_half_share,
            "degenerate_reasons": list(self.degenerate_reasons),
        }


def degenerate_reasons(scores: Sequence[float]) -> tuple[tuple[str, ...], float, float]:
    """Why ``scores`` (the served model's) are degenerate, with their standard deviation and the share near 0.5.

    Returns:
        ``(reasons, std, share)``; ``reasons`` is empty when the scores are not degenerate.
    """
    arr = np.asarray(scores, dtype=np.float64)
    std = float(arr.std()) if arr.size else 0.0
    share = float(np.mean(np.abs(arr - 0.5) <= NEAR_HALF)) if arr.size else 0.0
    reasons = []
    if arr.size and std < MIN_STD:
        reasons.append(
            f"the standard deviation of the served scores is {std:.4g} over {arr.size} pairs, below {MIN_STD}: "
            "they carry no ranking"
        )
    if arr.size and share > NEAR_HALF_SHARE:
        reasons.append(
            f"{share:.1%} of the served scores are within 0.5 ± {NEAR_HALF} (more than {NEAR_HALF_SHARE:.0%}): the "
            "model answers 'undecided' for nearly every pair"
        )
    return tuple(reasons), std, share


def _log_odds_diffs(pairs: Sequence[PairParity]) -> tuple[list[float], int]:
    """|Δlog-odds| over the pairs where both are finite, and how many pairs had an infinite one."""
    diffs, infinite = [], 0
    for p in pairs:
        if math.isfinite(p.reference_log_odds) and math.isfinite(p.served_log_odds):
            diffs.append(abs(p.served_log_odds - p.reference_log_odds))
        else:
            infinite += 1
    return diffs, infinite


def _query_parity(qid: str, pairs: Sequence[PairParity]) -> QueryParity:
    ref = [p.reference for p in pairs]
    srv = [p.served for p in pairs]
    ref_order = rank_order(ref, [p.reference_log_odds for p in pairs])
    srv_order = rank_order(srv, [p.served_log_odds for p in pairs])
    overlap = top_k_overlap(ranks_from_order(ref_order), ranks_from_order(srv_order), k=OVERLAP_K)
    diffs = [p.abs_diff for p in pairs]
    return QueryParity(
        qid=qid,
        n=len(pairs),
        max_abs_diff=max(diffs),
        mean_abs_diff=math.fsum(diffs) / len(diffs),
        spearman=spearman(ref, srv),
        top10=overlap.fraction,
    )


def compare_predictions(
    queries: Sequence[ParityQuery],
    reference: Sequence[Prediction],
    served: Sequence[Prediction],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ParityReport:
    """The parity report of two models' predictions of the same pairs (in the order of ``queries``' pairs).

    Raises:
        ValueError: the prediction lists do not hold one prediction per pair, there is no pair, or a bad tolerance.
    """
    n = sum(len(q.documents) for q in queries)
    if not (len(reference) == len(served) == n) or n == 0:
        raise ValueError(
            f"parity needs one reference and one served prediction per pair: {n} pairs, {len(reference)} and "
            f"{len(served)} predictions."
        )
    if isinstance(tolerance, bool) or not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        raise ValueError(f"tolerance must be a number >= 0 (a P(yes) difference), got {tolerance!r}.")
    pairs: list[PairParity] = []
    per_query = []
    position = 0
    for q in queries:
        mine = []
        for i, docid in enumerate(q.docids):
            ref, srv = reference[position], served[position]
            position += 1
            mine.append(
                PairParity(
                    qid=q.qid,
                    docid=docid,
                    query=q.query_text,
                    document=q.document_text(i),
                    reference=ref.score,
                    served=srv.score,
                    reference_log_odds=ref.log_odds,
                    served_log_odds=srv.log_odds,
                )
            )
        pairs += mine
        per_query.append(_query_parity(q.qid, mine))
    diffs = [p.abs_diff for p in pairs]
    log_diffs, infinite = _log_odds_diffs(pairs)
    reasons, std, share = degenerate_reasons([p.served for p in pairs])
    return ParityReport(
        pairs=tuple(pairs),
        queries=tuple(per_query),
        tolerance=float(tolerance),
        max_abs_diff=max(diffs),
        mean_abs_diff=math.fsum(diffs) / len(diffs),
        max_abs_log_odds_diff=max(log_diffs) if log_diffs else None,
        mean_abs_log_odds_diff=math.fsum(log_diffs) / len(log_diffs) if log_diffs else None,
        infinite_log_odds=infinite,
        spearman=spearman([p.reference for p in pairs], [p.served for p in pairs]),
        top10=math.fsum(q.top10 for q in per_query) / len(per_query),
        served_std=std,
        near_half_share=share,
        degenerate_reasons=reasons,
    )


__all__ = [
    "DEFAULT_TOLERANCE",
    "MIN_STD",
    "NEAR_HALF",
    "NEAR_HALF_SHARE",
    "VERDICTS",
    "PairParity",
    "ParityReport",
    "QueryParity",
    "compare_predictions",
    "degenerate_reasons",
]
