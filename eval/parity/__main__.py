"""Command line: does a served model score the same pairs as a local reference, and are its scores a ranking at all?

Usage::

    python -m eval.parity --model http://gpu-1:8000 --reference /ckpt/Qwen3-VL-Reranker-2B \\
        --data eval/data/ecommerce.jsonl [--pairs 200] [--tolerance 0.02] [--json]
    python -m eval.parity --model http://127.0.0.1:8080 --reference default --data eval/data/ecommerce.jsonl --json

Scores the set's pairs (all, or the first ``--pairs`` query by query) through both models with each model's default
instruction (or ``--instruction``), and prints max and mean |Δscore| and |Δlog-odds|, Spearman's rho, top-10
agreement per query (the queries that differ most) and the verdict — ``ok``, ``mismatch`` (max |Δscore| above
``--tolerance``, default 0.02) or ``degenerate`` (the served scores' standard deviation is below 0.01, or more than 90%
of them are within 0.5 ± 0.01), naming the reason with example pairs. ``--json`` adds ONE last line:
``{"pairs", "max_abs_diff", "mean_abs_diff", "spearman", "degenerate", "verdict", ...}``.

Exit status: 0 ok, 1 mismatch or degenerate, 2 bad input (options, set, a model that cannot be loaded or cannot read
the set), 3 the served model stopped answering.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.parity.check import DEFAULT_TOLERANCE, ParityReport, compare_predictions
from eval.parity.pairs import Selection, choose_pairs, predict
from eval.sets.beir import DEFAULT_SPLIT, load_beir
from eval.sets.labelled import LabelledSet
from eval.sets.loader import load_labelled_set
from lychee.validation import positive_int_option
from lychee.compare import OVERLAP_K
from lychee.formatting import shorten
from lychee.scorers.remote import RemoteUnavailableError, is_remote

logger = logging.getLogger("eval.parity")
#: Per-query rows printed: the queries whose scores differ most.
SHOWN_QUERIES = 10


def _tolerance(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a P(yes) difference >= 0, e.g. 0.02, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.parity",
        description="Score the same pairs through a served model and a local reference: differences, rank agreement, "
        "and whether the served scores are degenerate (all ~0.5, or constant).",
    )
    parser.add_argument("--model", required=True, help="the served model: its URL (replicas comma-separated)")
    parser.add_argument("--reference", required=True, help="the local reference: a checkpoint folder, or 'default'")
    parser.add_argument("--data", required=True, help="a labelled set (.jsonl, .csv, .zip) or a BEIR folder")
    parser.add_argument("--split", default=DEFAULT_SPLIT, help=f"BEIR qrels split (default {DEFAULT_SPLIT})")
    parser.add_argument("--pairs", type=positive_int_option, default=None, help="score at most N pairs (default: all)")
    parser.add_argument(
        "--tolerance",
        type=_tolerance,
        default=DEFAULT_TOLERANCE,
        help=f"largest accepted |score difference| (default {DEFAULT_TOLERANCE})",
    )
    parser.add_argument("--instruction", default=None, help="instruction for both (default: each model's own)")
    parser.add_argument("--device", default=None, help="the reference's device (default: CUDA when available)")
    parser.add_argument("--batch-size", type=positive_int_option, default=None, help="pairs per forward pass / request")
    parser.add_argument(
        "--concurrency", type=positive_int_option, default=None, help="served model: requests in flight"
    )
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures and the verdict")
    return parser


def _read_set(args: argparse.Namespace) -> LabelledSet:
    if Path(args.data).is_dir():
        return load_beir(args.data, split=args.split)
    return load_labelled_set(args.data)


def _load_models(args: argparse.Namespace) -> tuple[Any, Any]:
    from lychee import load_scorer

    if is_remote(args.reference):
        raise ValueError(
            f"--reference must be a local model (a checkpoint folder or 'default'), got the URL {args.reference!r}."
        )
    served_options = {"batch_size": args.batch_size}
    if is_remote(args.model):
        served_options["max_concurrency"] = args.concurrency
    served = load_scorer(args.model, **served_options)
    reference = load_scorer(args.reference, device=args.device, batch_size=args.batch_size)
    return served, reference


def _figures(report: ParityReport) -> list[str]:
    def num(value: float | None, fmt: str = ".3g") -> str:
        return "undefined" if value is None else format(value, fmt)

    infinite = ""
    if report.infinite_log_odds:
        infinite = f" ({report.infinite_log_odds} pairs with an infinite log-odds left out)"
    return [
        f"  max |Δscore|        {num(report.max_abs_diff)}   (tolerance {report.tolerance:g})",
        f"  mean |Δscore|       {num(report.mean_abs_diff)}",
        f"  max |Δlog-odds|     {num(report.max_abs_log_odds_diff)}{infinite}",
        f"  mean |Δlog-odds|    {num(report.mean_abs_log_odds_diff)}",
        f"  Spearman ρ          {num(report.spearman, '.4f')}   (all pairs pooled)",
        f"  top-10 agreement    {report.top10:.3f}   (mean over queries)",
        f"  served scores       std {report.served_std:.4f}, {report.near_half_share:.1%} within 0.5 ± 0.01",
    ] + (
        [f"  (every query has at most {OVERLAP_K} candidates, so top-10 agreement is 1 by construction)"]
        if all(q.n <= OVERLAP_K for q in report.queries)
        else []
    )


def _query_lines(report: ParityReport) -> list[str]:
    worst = sorted(report.queries, key=lambda q: -q.max_abs_diff)[:SHOWN_QUERIES]
    shown = "every query" if len(worst) == len(report.queries) else f"the {len(worst)} that differ most"
    lines = [f"per query ({shown} of {len(report.queries)}):"]
    lines.append(f"  {'qid':<24} {'pairs':>5} {'max |Δ|':>9} {'mean |Δ|':>9} {'ρ':>8} {'top-10':>7}")
    for q in worst:
        rho = "n/a" if q.spearman is None else f"{q.spearman:.3f}"
        lines.append(
            f"  {shorten(q.qid, 24):<24} {q.n:>5} {q.max_abs_diff:>9.3g} {q.mean_abs_diff:>9.3g} {rho:>8} "
            f"{q.top10:>7.2f}"
        )
    return lines


def _example(pair: Any) -> str:
    return (
        f"  {pair.qid} / {pair.docid}: served {pair.served:.4f}, reference {pair.reference:.4f} — "
        f"'{shorten(pair.query, 40)}' vs '{shorten(pair.document, 50)}'"
    )


def _verdict_lines(report: ParityReport) -> list[str]:
    if report.verdict == "degenerate":
        lines = ["verdict: degenerate — " + "; and ".join(report.degenerate_reasons) + ". For example:"]
        return lines + [_example(p) for p in report.pairs[:5]]
    if report.verdict == "mismatch":
        lines = [
            f"verdict: mismatch — max |Δscore| {report.max_abs_diff:.4g} exceeds the tolerance "
            f"{report.tolerance:g}. The largest differences:"
        ]
        return lines + [_example(p) for p in report.worst(5)]
    return [
        f"verdict: ok — max |Δscore| {report.max_abs_diff:.3g} is within the tolerance {report.tolerance:g}, and "
        f"the served scores vary (std {report.served_std:.3f})."
    ]


def report_text(report: ParityReport, *, model: str, reference: str, data: str, selection: Selection) -> str:
    """The printed report: what was compared, the figures, the queries that differ most, and the verdict."""
    head = [
        f"parity of {model} against {reference} on {data}: {selection.n_pairs} pairs from "
        f"{len(selection.queries)} queries"
    ]
    if selection.note:
        head.append(selection.note)
    return "\n".join([*head, "", *_figures(report), "", *_query_lines(report), "", *_verdict_lines(report)])


def _score(args: argparse.Namespace, served: Any, reference: Any, selection: Selection) -> ParityReport | int:
    """Both models' predictions and the report; an exit status after printing why scoring failed."""
    try:
        logger.info("scoring %d pairs with the reference %s", selection.n_pairs, args.reference)
        ref = predict(reference, selection.queries, args.instruction)
        logger.info("scoring %d pairs with the served model %s", selection.n_pairs, args.model)
        srv = predict(served, selection.queries, args.instruction)
    except RemoteUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return compare_predictions(selection.queries, ref, srv, tolerance=args.tolerance)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m eval.parity`` with ``argv``; returns the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    logger.setLevel(logging.INFO)
    args = build_parser().parse_args(argv)
    try:
        selection = choose_pairs(_read_set(args), args.pairs)
        served, reference = _load_models(args)
    except (ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in served.info.warnings:  # the load-time probe's verdict on a served model
        logger.warning("warning: %s", warning)
    if args.instruction is None and served.default_instruction != reference.default_instruction:
        logger.warning(
            "note: the two models' default instructions differ (served: %r, reference: %r); pass --instruction to "
            "score both with the same one.",
            served.default_instruction,
            reference.default_instruction,
        )
    report = _score(args, served, reference, selection)
    if isinstance(report, int):
        return report
    print(report_text(report, model=args.model, reference=args.reference, data=args.data, selection=selection))
    if args.json:
        print(json.dumps(report.summary(), ensure_ascii=False))
    return 0 if report.verdict == "ok" else 1


__all__ = ["build_parser", "main", "report_text"]

if __name__ == "__main__":
    sys.exit(main())
