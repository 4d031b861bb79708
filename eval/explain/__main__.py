"""``python -m eval.explain --data SET --model M [--methods occlusion,shapley,gradient,ig] [--pairs N] [--seed S]
[--json]``: how faithful each explanation method is on a labelled set (see :mod:`eval.explain`).

Prints a table (one row per method and the random floor) and, with ``--json``, ends with ONE line of JSON::

    {"pairs": n, "methods": {"occlusion": {"comprehensiveness": x, "sufficiency": y, "seconds_per_pair": s, ...},
     "random": {...}, ...}, "model": ..., "set": ..., "seed": ...}
"""

from __future__ import annotations

import argparse
from lychee.validation import non_negative_int_option, positive_int_option
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from eval.engine.scoring import language_warnings
from eval.explain.measures import explain_all, summarize
from eval.explain.pairs import pick_pairs
from eval.sets.loader import load_labelled_set

ALL_METHODS = ("occlusion", "shapley", "gradient", "ig")
DEFAULT_PAIRS = 50


def _methods(value: str) -> tuple[str, ...]:
    names = tuple(m.strip() for m in value.split(",") if m.strip())
    unknown = [m for m in names if m not in ALL_METHODS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(ALL_METHODS)}, got {value!r}"
            + (f" ({', '.join(unknown)} unknown)" if unknown else "")
        )
    return tuple(dict.fromkeys(names))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.explain", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", required=True, help="labelled set (.jsonl, .csv or .zip), as for python -m eval")
    parser.add_argument("--model", default="default", help="'default', a checkpoint folder, a hub id or a URL")
    parser.add_argument(
        "--methods", type=_methods, default=None, help="comma-separated (default: every method the model offers)"
    )
    parser.add_argument(
        "--pairs",
        type=positive_int_option,
        default=DEFAULT_PAIRS,
        help=f"at most this many pairs (default {DEFAULT_PAIRS})",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int_option,
        default=0,
        help="Shapley's permutations and the random floor (default 0)",
    )
    parser.add_argument("--n-samples", type=positive_int_option, default=25, help="Shapley permutations (default 25)")
    parser.add_argument("--steps", type=positive_int_option, default=32, help="integrated-gradients steps (default 32)")
    parser.add_argument(
        "--max-units", type=positive_int_option, default=64, help="most word units per text (default 64)"
    )
    parser.add_argument("--instruction", default=None, help="instruction for the model (default: the model's own)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 ... (default: CUDA when available)")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def _fmt(value: float | None, ci: Sequence[float] | None = None, digits: int = 3) -> str:
    if value is None:
        return "-"
    text = f"{value:+.{digits}f}"
    return text + (f" [{ci[0]:+.{digits}f}, {ci[1]:+.{digits}f}]" if ci else "")


def table_lines(summary: dict[str, dict[str, Any]], methods: Sequence[str]) -> list[str]:
    """The printed table: one row per method, then the random floor (pandas aligns the columns)."""
    import pandas as pd

    header = ["method", "comprehensiveness", "sufficiency", "NAOPC", "LOO tau", "evals/pair", "s/pair"]
    rows = []
    for name in (*methods, "random"):
        m = summary[name]
        rows.append(
            [
                name,
                _fmt(m["comprehensiveness"], m["comprehensiveness_ci95"]),
                _fmt(m["sufficiency"], m["sufficiency_ci95"]),
                _fmt(m["naopc"]),
                _fmt(m.get("loo_kendall_tau")),
                f"{m['evaluations_per_pair']:.0f}" if m.get("evaluations_per_pair") is not None else "-",
                f"{m['seconds_per_pair']:.3f}" if m.get("seconds_per_pair") is not None else "-",
            ]
        )
    return pd.DataFrame(rows, columns=header).to_string(index=False).splitlines()


def _choose_methods(requested: tuple[str, ...] | None, scorer: Any) -> tuple[str, ...]:
    offered = tuple(scorer.capabilities.explain_methods)
    if requested is None:
        return offered
    missing = [m for m in requested if m not in offered]
    if missing:
        raise ValueError(
            f"--methods: the model '{scorer.name}' offers {', '.join(offered)}; {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not among them (gradient and ig need a Qwen2.5-VL / Qwen3-VL "
            "checkpoint). Leave --methods out to run every method the model offers."
        )
    return requested


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m eval.explain`` with ``argv``; returns the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        labelled = load_labelled_set(args.data)
        pairs = pick_pairs(labelled, args.pairs)
        if not pairs:
            raise ValueError(f"--data {args.data}: no query has a candidate with text; nothing to explain.")
        from lychee import load_scorer
        from lychee.scorers.remote import is_remote

        scorer = load_scorer(args.model) if is_remote(args.model) else load_scorer(args.model, device=args.device)
        methods = _choose_methods(args.methods, scorer)
    except (ValueError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in language_warnings(labelled, [scorer]):
        print(f"warning: {note}", file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"explained {done}/{total} pairs", file=sys.stderr, flush=True)

    results = explain_all(
        scorer,
        pairs,
        methods,
        on_pair=progress,
        instruction=args.instruction,
        seed=args.seed,
        n_samples=args.n_samples,
        steps=args.steps,
        max_units=args.max_units,
    )
    if not results:
        print(
            f"error: --data {args.data}: none of the {len(pairs)} chosen documents has words to remove.",
            file=sys.stderr,
        )
        return 2
    summary = summarize(results, methods)
    print(
        f"{len(results)} pairs of {labelled.name} (the best-labelled candidate with text per query), model {scorer.name}"
    )
    print("\n".join(table_lines(summary, methods)))
    if args.json:
        doc = {"pairs": len(results), "methods": summary, "model": scorer.name, "set": labelled.name, "seed": args.seed}
        print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
