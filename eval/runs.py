"""Command line over the run store: list, show and delete recorded evaluations.

Usage::

    python -m eval.runs list [--set SET] [--json]    # newest first; --json prints one line: a JSON list of runs
    python -m eval.runs show ID [--json]              # one run: settings, every metric with its interval, per query
    python -m eval.runs delete ID                     # remove a run (its output folder is left alone)

``--db PATH`` (before the command) reads another store than ``$LYCHEE_RUNS_DB`` / ``data/runs.sqlite``. Exit status:
0 success, 1 the store cannot be read or written (the message says why), 2 bad input (an unknown run id...).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from eval.history.store import MAIN_METRIC, RunNotFoundError, RunRecord, RunStore, RunStoreError
from eval.tables import table
from lychee.formatting import shorten
from lychee.roles import local_actor


def _run_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a run id (a positive integer from `python -m eval.runs list`), got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a run id (a positive integer from `python -m eval.runs list`), got {text!r}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eval.runs", description="List, show and delete the evaluations recorded in the run store."
    )
    parser.add_argument("--db", default=None, help="the run store file (default: $LYCHEE_RUNS_DB or data/runs.sqlite)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,show,delete}")
    listing = commands.add_parser("list", help="every run, newest first")
    listing.add_argument("--set", default=None, help="only runs of this set (its absolute path, or an upload's name)")
    listing.add_argument("--json", action="store_true", help="print one line: a JSON list of runs")
    show = commands.add_parser("show", help="one run with every metric and per-query value")
    show.add_argument("id", type=_run_id, help="the run id")
    show.add_argument("--json", action="store_true", help="print the run as one JSON object")
    delete = commands.add_parser("delete", help="delete one run from the store")
    delete.add_argument("id", type=_run_id, help="the run id")
    return parser


def _short(text: str | None, limit: int) -> str:
    return "-" if text is None else shorten(text, limit)


def list_text(runs: list[RunRecord]) -> str:
    """The printed table of ``list``: id, created, set, model, instruction, k, ndcg@10, queries."""
    rows = [["id", "created", "set", "model", "instruction", "k", MAIN_METRIC, "queries"]]
    for r in runs:
        rows.append(
            [
                str(r.id),
                r.created,
                _short(r.set, 48),
                _short(r.model + (f" | B {r.model_b}" if r.model_b and r.model_b != r.model else ""), 40),
                _short(r.instruction + (" | B: " + r.instruction_b if r.instruction_b is not None else ""), 50),
                str(r.k),
                "-" if r.main is None else f"{r.main:.4f}",
                str(r.n_queries),
            ]
        )
    return "\n".join(table(rows))


def show_text(run: RunRecord) -> str:
    """The printed form of ``show``: the run's settings, each system's metrics, and per-query values."""
    out = [
        f"run {run.id} — recorded {run.created} from the {run.source}"
        + (f" by {run.created_by}" if run.created_by else ""),
        f"set          {run.set_name}"
        + (f" ({run.set_path})" if run.set_path and run.set_path != run.set_name else ""),
        f"set sha256   {run.set_hash}",
        f"model        {run.model}",
        f"instruction  {run.instruction}",
    ]
    if run.model_b is not None:
        out += [f"model B      {run.model_b}", f"instr. B     {run.instruction_b}"]
    out += [f"k            {run.k}", f"queries      {run.n_queries}", f"output       {run.output_dir or '-'}", ""]
    names = list(next(iter(run.metrics.values()), {}))
    rows = [["system", *names]]
    for system, by_metric in run.metrics.items():
        rows.append([system] + [f"{m:.4f} [{lo:.3f}, {hi:.3f}]" for m, lo, hi in by_metric.values()])
    out += ["metrics (mean [95% bootstrap interval])", *table(rows), ""]
    systems = run.systems
    qids = list(run.per_query["model"][names[0]]) if names else []
    rows = [["qid"] + [f"{s}:{m}" for s in systems for m in names]]
    for q in qids:
        rows.append([q] + [f"{run.per_query[s][m][q]:.4f}" for s in systems for m in names])
    out += ["per query", *table(rows)]
    return "\n".join(out)


def _show_json(run: RunRecord) -> str:
    obj = run.summary()
    obj["metrics"] = {
        s: {m: {"mean": v[0], "ci95": [v[1], v[2]]} for m, v in by_metric.items()}
        for s, by_metric in run.metrics.items()
    }
    obj["per_query"] = run.per_query
    obj["details"] = run.details
    return json.dumps(obj, ensure_ascii=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = RunStore(args.db)
    try:
        if args.command == "list":
            runs = store.list(of_set=args.set)
            if args.json:
                print(json.dumps([r.summary() for r in runs], ensure_ascii=False))
            elif not runs:
                where = f" of set {args.set!r}" if args.set else ""
                print(
                    f"no runs{where} recorded in {store.path} yet; `python -m eval --data ... --out ...` records one."
                )
            else:
                print(list_text(runs))
        elif args.command == "show":
            run = store.get(args.id)
            print(_show_json(run) if args.json else show_text(run))
        else:
            run = store.delete(args.id, actor=local_actor())
            print(f"deleted run {run.id} ({run.created}, {run.set}, model {run.model}) from {store.path}")
    except RunNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except RunStoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


__all__ = ["build_parser", "list_text", "main", "show_text"]

if __name__ == "__main__":
    sys.exit(main())
