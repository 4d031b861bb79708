"""The per-pair numbers of ``python -m eval.explain`` and their means over the pairs.

Per pair and method: the explanation of the document's words (occlusion and Shapley take away the document's words
only; the gradient methods attribute everything and keep the document's words), its deletion curve (one batched
call), the seconds and scored pairs the method itself took (the curve not included), and the leave-one-out Kendall
tau: tau-b between the method's word weights and each word's leave-one-out effect (occlusion's weights, so occlusion's
own tau is 1 by construction; ferret's ``taucorr_loo``). Per pair once: the random floor (the curve's seeded random
orders) and the greedy AOPC bounds of normalized AOPC (:mod:`eval.explain.bounds`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eval.explain.bounds import greedy_aopc_bounds, normalized_aopc
from eval.explain.pairs import ExplainedPair
from eval.measures.stats import bootstrap_ci
from lychee.contract import Scorer
from lychee.explanation import Faithfulness
from lychee.salience import faithfulness_of

PERTURBATION_METHODS = ("occlusion", "shapley")


@dataclass
class MethodResult:
    """One method on one pair."""

    comprehensiveness: float
    sufficiency: float
    seconds: float
    evaluations: int
    weights: list[float]
    convergence_delta: float | None = None
    loo_tau: float | None = None
    naopc: float | None = None


@dataclass
class PairResult:
    """Every method on one pair, its random floor and AOPC bounds."""

    qid: str
    docid: str
    n_units: int
    random_comprehensiveness: float
    random_sufficiency: float
    aopc_low: float
    aopc_high: float
    methods: dict[str, MethodResult] = field(default_factory=dict)
    random_naopc: float | None = None


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b of two paired sequences (ties in either count as neither concordant nor discordant, and shrink
    the denominator); ``None`` when either sequence is constant or shorter than 2."""
    n = len(x)
    concordant = discordant = ties_x = ties_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                ties_x += 1
            elif dy == 0:
                ties_y += 1
            elif dx == dy:
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + ties_x) * (concordant + discordant + ties_y))
    return None if denominator == 0 else (concordant - discordant) / denominator


def method_options(method: str, *, seed: int, n_samples: int, steps: int, max_units: int | None) -> dict[str, Any]:
    """The ``explain`` options a method runs with here (no deletion curve: it is computed apart, untimed)."""
    options: dict[str, Any] = {"max_units": max_units, "faithfulness": False, "seed": seed}
    if method in PERTURBATION_METHODS:
        options["parts"] = {"document_text"}
    if method == "shapley":
        options["n_samples"] = n_samples
    if method == "ig":
        options["steps"] = steps
    return options


def explain_pair(
    scorer: Scorer,
    pair: ExplainedPair,
    methods: Sequence[str],
    *,
    instruction: str | None,
    seed: int,
    n_samples: int,
    steps: int,
    max_units: int | None,
) -> PairResult | None:
    """Every method on one pair (see the module docstring); ``None`` when the document has no words to remove."""
    query, document = pair.query.item(), pair.candidate.item()
    results: dict[str, MethodResult] = {}
    curve: Faithfulness | None = None
    explanations = {}
    needed = list(methods) if "occlusion" in methods else ["occlusion", *methods]  # occlusion is the LOO reference
    for method in needed:
        options = method_options(method, seed=seed, n_samples=n_samples, steps=steps, max_units=max_units)
        start = time.perf_counter()
        explanation = scorer.explain(query, document, instruction, method=method, **options)
        seconds = time.perf_counter() - start
        curve = faithfulness_of(scorer, query, document, explanation, seed=seed)
        if curve is None or curve.side != "document":
            return None
        explanations[method] = explanation
        results[method] = MethodResult(
            comprehensiveness=curve.comprehensiveness,
            sufficiency=curve.sufficiency,
            seconds=seconds,
            evaluations=explanation.n_evaluations,
            weights=[t.weight for t in explanation.document_tokens],
            convergence_delta=explanation.convergence_delta,
        )
    loo = results["occlusion"].weights
    for result in results.values():
        result.loo_tau = kendall_tau_b(result.weights, loo)
    reference = explanations["occlusion"]
    low, high, _ = greedy_aopc_bounds(
        scorer,
        query,
        document,
        reference.instruction,
        spans=[(t.start, t.end) for t in reference.document_tokens],
        base=reference.log_odds,
        ks=curve.ks,
    )
    observed = [r.comprehensiveness for r in results.values()] + [curve.random_comprehensiveness]
    low, high = min(low, *observed), max(high, *observed)
    for result in results.values():
        result.naopc = normalized_aopc(result.comprehensiveness, low, high)
    return PairResult(
        qid=pair.query.qid,
        docid=pair.candidate.docid,
        n_units=curve.n_units,
        random_comprehensiveness=curve.random_comprehensiveness,
        random_sufficiency=curve.random_sufficiency,
        aopc_low=low,
        aopc_high=high,
        methods={m: results[m] for m in methods},
        random_naopc=normalized_aopc(curve.random_comprehensiveness, low, high),
    )


def _mean_ci(values: Sequence[float | None]) -> tuple[float | None, list[float] | None]:
    kept = [float(v) for v in values if v is not None]
    if not kept:
        return None, None
    return float(np.mean(kept)), list(bootstrap_ci(kept))


def summarize(results: Sequence[PairResult], methods: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per method (and ``"random"``): means over the pairs, bootstrap 95% intervals (queries resampled)."""
    out: dict[str, dict[str, Any]] = {}
    for method in methods:
        rows = [r.methods[method] for r in results]
        entry: dict[str, Any] = {}
        for key in ("comprehensiveness", "sufficiency", "naopc", "loo_tau"):
            entry[key], entry[f"{key}_ci95"] = _mean_ci([getattr(row, key) for row in rows])
        entry["loo_kendall_tau"] = entry.pop("loo_tau")
        entry["loo_kendall_tau_ci95"] = entry.pop("loo_tau_ci95")
        entry["evaluations_per_pair"] = float(np.mean([row.evaluations for row in rows])) if rows else None
        entry["seconds_per_pair"] = float(np.mean([row.seconds for row in rows])) if rows else None
        deltas = [abs(row.convergence_delta) for row in rows if row.convergence_delta is not None]
        if deltas:
            entry["mean_abs_convergence_delta"] = float(np.mean(deltas))
        out[method] = entry
    random: dict[str, Any] = {}
    for key, values in (
        ("comprehensiveness", [r.random_comprehensiveness for r in results]),
        ("sufficiency", [r.random_sufficiency for r in results]),
        ("naopc", [r.random_naopc for r in results]),
    ):
        random[key], random[f"{key}_ci95"] = _mean_ci(values)
    out["random"] = random
    return out


def explain_all(
    scorer: Scorer,
    pairs: Sequence[ExplainedPair],
    methods: Sequence[str],
    *,
    on_pair: Callable[[int, int], None] | None = None,
    **options: Any,
) -> list[PairResult]:
    """:func:`explain_pair` for each pair (those without words skipped); ``on_pair(done, total)`` after each. The
    model scores one pair first, so no method's seconds include the model's lazy start-up."""
    if pairs:
        scorer.predict(pairs[0].query.item(), [pairs[0].candidate.item()], options.get("instruction"))
    out = []
    for i, pair in enumerate(pairs, start=1):
        result = explain_pair(scorer, pair, methods, **options)
        if result is not None:
            out.append(result)
        if on_pair is not None:
            on_pair(i, len(pairs))
    return out


__all__ = ["MethodResult", "PairResult", "explain_all", "explain_pair", "kendall_tau_b", "method_options", "summarize"]
