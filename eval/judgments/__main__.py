"""Command line over judgments: agreement between raters, the disagreement queue, the holes of a run, TREC export.

Usage::

    python -m eval.judgments agreement --data SET [--json] [--per-query]
    python -m eval.judgments disagreements --data SET [--min-span 2] [--json]
    python -m eval.judgments holes --run ID --out queue.jsonl       # unjudged documents of run ID's top k, to grade
    python -m eval.judgments export --data SET --qrels FILE [--aggregate median]

``agreement --json`` prints ONE line: ``{"raters": [...], "items": n, "krippendorff_alpha_ordinal": a,
"fleiss_kappa": f, "fleiss_items": m, "cohen_kappa_quadratic": {"<r1>|<r2>": k, ...}, "exact_agreement": e}`` (rater
pairs in sorted order; a measure undefined on the data is null). ``items`` counts candidates graded by at least two
raters, ``fleiss_items`` those graded by every rater. ``disagreements --json`` prints one line: a JSON list.

Exit status: 0 success, 1 the run store cannot be read, 2 bad input (the message names the file and line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from eval.history.store import RunStore, RunStoreError
from eval.judgments.holes import holes_queue, run_holes, write_queue
from eval.judgments.ratings import MIN_SPAN, disagreements, query_agreements, set_agreement
from eval.measures.agreement import Agreement
from eval.sets.atomic import write_atomically
from eval.sets.grades import AGGREGATES
from eval.sets.labelled import LabelledSet
from eval.sets.loader import load_labelled_set
from eval.sets.trec import qrels_text
from lychee.validation import positive_int_option
from lychee.formatting import shorten


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.judgments",
        description="Judgments of labelled sets: agreement between raters, disagreements, the holes of a run's top k "
        "to grade, and export as TREC qrels.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="{agreement,disagreements,holes,export}")
    agreement = commands.add_parser("agreement", help="Krippendorff's alpha, Fleiss' kappa, Cohen's kappa, exact")
    disagree = commands.add_parser("disagreements", help="candidates whose grades spread by --min-span or more")
    export = commands.add_parser("export", help="the set's labels (aggregated) as TREC qrels")
    for sub in (agreement, disagree, export):
        sub.add_argument("--data", required=True, help="a labelled set (.jsonl, .csv or .zip)")
        sub.add_argument(
            "--aggregate", choices=AGGREGATES, default=None, help="how grades become labels (default: the set's rule)"
        )
    agreement.add_argument("--json", action="store_true", help="print ONE line of JSON")
    agreement.add_argument("--per-query", action="store_true", help="also print each query's agreement")
    disagree.add_argument(
        "--min-span",
        type=positive_int_option,
        default=MIN_SPAN,
        help=f"highest minus lowest grade (default {MIN_SPAN})",
    )
    disagree.add_argument("--json", action="store_true", help="print one line: a JSON list")
    export.add_argument("--qrels", required=True, help="the TREC qrels file to write (qid 0 docid label)")
    holes = commands.add_parser("holes", help="the unjudged documents of a recorded run's top k, as a queue to grade")
    holes.add_argument("--run", type=positive_int_option, required=True, help="the run id (python -m eval.runs list)")
    holes.add_argument("--out", required=True, help="the queue to write (.jsonl; an existing queue is added to)")
    holes.add_argument("--db", default=None, help="the run store (default: $LYCHEE_RUNS_DB or data/runs.sqlite)")
    return parser


def _number(value: float | None, form: str = ".3f") -> str:
    return "n/a" if value is None else format(value, form)


def agreement_text(result: Agreement) -> list[str]:
    """The printed form of one :class:`~eval.measures.agreement.Agreement`."""
    n = len(result.raters)
    lines = [
        f"raters: {', '.join(result.raters) or '(none)'}",
        f"candidates graded by 2+ raters: {result.items}",
        f"Krippendorff's alpha (ordinal): {_number(result.krippendorff_alpha_ordinal)}",
        f"Fleiss' kappa (on the {result.fleiss_items} candidates graded by all {n} raters): "
        f"{_number(result.fleiss_kappa)}",
        f"exact agreement (every grade the same): {_number(result.exact_agreement, '.1%')}",
    ]
    for pair, kappa in result.cohen_kappa_quadratic.items():
        lines.append(f"Cohen's kappa, quadratic, {pair}: {_number(kappa)} ({result.pair_items[pair]} candidates)")
    return lines


def _agreement(labelled: LabelledSet, args: argparse.Namespace) -> int:
    result = set_agreement(labelled)
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return 0
    print("\n".join(agreement_text(result)))
    if len(result.raters) < 2:
        print(f"note: {labelled.name} has one rater; agreement needs grades from at least two.")
    if args.per_query:
        for query, per in query_agreements(labelled):
            print(f"\nquery {query.qid} ({shorten(query.text or '', 60)}):")
            print("\n".join(f"  {line}" for line in agreement_text(per)))
    return 0


def _disagreements(labelled: LabelledSet, args: argparse.Namespace) -> int:
    found = disagreements(labelled, min_span=args.min_span)
    if args.json:
        print(json.dumps([d.as_json() for d in found], ensure_ascii=False))
        return 0
    print(f"{len(found)} candidate(s) of {labelled.name} whose grades span {args.min_span} or more:")
    for d in found:
        grades = ", ".join(f"{rater}={grade}" for rater, grade in d.grades.items())
        final = f"; adjudicated {d.adjudicated} by {d.adjudicated_by}" if d.adjudicated is not None else ""
        print(f"  {d.qid} {d.docid} span {d.span}: {grades} -> label {d.label}{final} | {shorten(d.text or '', 70)}")
    return 0


def _export(labelled: LabelledSet, args: argparse.Namespace) -> int:
    text = qrels_text(labelled)
    path = Path(args.qrels)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)
    n = text.count("\n")
    rule = labelled.aggregate
    print(f"wrote {n} judgment(s) of {len(labelled.queries)} queries to {path} (labels by the rule {rule!r})")
    return 0


def _holes(args: argparse.Namespace) -> int:
    labelled, holes = run_holes(args.run, RunStore(args.db) if args.db else None)
    result = write_queue(args.out, holes_queue(labelled, holes))
    print(
        f"{sum(len(d) for d in holes.values())} unjudged document(s) in the top k of run {args.run}, over "
        f"{len(holes)} queries; {result.added} added to {result.path} ({result.n_queries} queries, "
        f"{result.n_documents} documents in the queue). Grade them on the Judge page, then evaluate with "
        f"--qrels-extra {result.path}."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m eval.judgments`` with ``argv``; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "holes":
            return _holes(args)
        labelled = load_labelled_set(args.data, aggregate=args.aggregate)
        return {"agreement": _agreement, "disagreements": _disagreements, "export": _export}[args.command](
            labelled, args
        )
    except RunStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


__all__ = ["agreement_text", "build_parser", "main"]


if __name__ == "__main__":
    sys.exit(main())
